"""Offline validation of Checkout Session create parameters.

:func:`validate_session_params` reports every reason Stripe would reject a
``POST /v1/checkout/sessions`` request that can be known without the network, each as a
:class:`~checkoutkit.Problem` whose ``code`` is the rule id of docs/rules.md.

Two passes run over the parameters:

1. The *shape* pass walks them along the spec compiled from the installed stripe SDK
   (:mod:`checkoutkit._schema`): unknown keys, types, enum values, required keys, lengths,
   list sizes and numeric bounds.
2. The *rules* pass checks what involves more than one parameter: what each ``mode`` and
   ``ui_mode`` allows, line items, amounts per currency, the clock.

Both passes only read the input. Input of any shape yields problems, never an exception.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from checkoutkit import _currencies as cur
from checkoutkit._problems import Problem
from checkoutkit._schema import (
    PLAIN_LINE_ITEM_KEYS,
    REQUEST_OPTION_KEYS,
    Kind,
    Spec,
    session_create_spec,
)
from checkoutkit.exceptions import ConfigurationError

__all__ = [
    "EXPIRES_AT_MARGIN",
    "MAX_CONTAINER",
    "coerce_form_params",
    "plain_amount_limits",
    "plain_payment_valid",
    "validate_session_params",
]

#: Seconds of headroom for clock rules: the session is created a little after it is validated,
#: and clocks drift, so lower bounds in the future (``expires_at`` at least 30 minutes ahead,
#: ``trial_end`` at least 48 hours ahead) must hold this much later than ``now``.
EXPIRES_AT_MARGIN = 60

#: Lists and mappings longer than this are reported once and not looked into. No Checkout
#: parameter allows anywhere near this many entries.
MAX_CONTAINER = 1000

_MODES = frozenset({"payment", "setup", "subscription"})
_EMBEDDED = frozenset({"embedded_page", "elements"})
_ELEMENTS_LIKE = frozenset({"elements", "form"})
_UI_MODES = frozenset({"hosted_page", "embedded_page", "elements", "form"})

#: Payment methods that send the customer to another site or app and back (to ``return_url``).
_REDIRECT_PMS = frozenset(
    """
    affirm afterpay_clearpay alipay alma amazon_pay bancontact billie eps fpx giropay grabpay
    ideal kakao_pay klarna kr_card mobilepay naver_pay p24 payco paypal revolut_pay samsung_pay
    satispay scalapay sofort twint zip
    """.split()  # noqa: SIM905 - a word list reads better than quoted strings
)

#: The longest ``interval_count`` per interval: three years. Stripe documents weeks, months and
#: years; a limit in days (about 1095) would only be inferred, so days are not checked.
_MAX_INTERVAL_COUNT = {"week": 156, "month": 36, "year": 3}

_ISO = cur.ISO_CURRENCIES
_WHOLE_UNITS = cur.WHOLE_UNITS_ONLY
_MAX_AMOUNT = cur.MAXIMUM_AMOUNT
_DEFAULT_MAX_AMOUNT = cur.DEFAULT_MAXIMUM_AMOUNT
_MINIMUM_CHARGE = cur.MINIMUM_CHARGE

_TYPE_NAMES = {
    Kind.STR: "a string",
    Kind.ENUM: "a string",
    Kind.INT: "an integer",
    Kind.BOOL: "a boolean",
    Kind.DECIMAL: "a decimal (Decimal, int or numeric string)",
    Kind.NUMBER: "a number",
    Kind.OBJECT: "an object (dict)",
    Kind.LIST: "a list",
    Kind.MAP: "an object (dict)",
}

# A location is a linked list ``(parent, key)`` so that a bracket-form name is only built for
# parameters that have a problem.
Loc = tuple[Any, Any] | None


def _param(loc: Loc) -> str:
    keys: list[str] = []
    while loc is not None:
        loc, key = loc
        keys.append(
            key if isinstance(key, str) else repr(key) if not isinstance(key, int) else str(key)
        )
    if not keys:
        return ""
    keys.reverse()
    return keys[0] + "".join(f"[{k}]" for k in keys[1:])


def _describe(value: object) -> str:
    """A short description of a value from the input, for a message."""
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return f"of {len(value)} entries"
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:57]) + "..."
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (sys.set_int_max_str_digits)
        return "(a very large number)"
    return text if len(text) <= 60 else text[:57] + "..."


def _empty_str(value: object) -> bool:
    """Whether ``value`` is ``""`` (Stripe's "unset" for some parameters)."""
    return isinstance(value, str) and not value


def _num(value: object) -> str:
    """A number from the input for a message; very large ones are not printed in full."""
    if isinstance(value, (int, Decimal)) and not -(10**30) < value < 10**30:
        return "a number of more than 30 digits"
    return str(value)


class _Out:
    """Collects problems; ``add`` takes a location or an already rendered param."""

    __slots__ = ("plain_currencies", "plain_line_items", "plain_total", "plain_valid", "problems")

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Set by the shape pass when every line item has the common shape and is well typed; it
        # then also checks their currencies and amounts and leaves the rules pass a summary:
        self.plain_line_items = False
        #: the distinct (lowercased) valid currencies, in order of appearance;
        self.plain_currencies: list[str] = []
        #: the sum of unit_amount * quantity over items whose currency is valid;
        self.plain_total = 0
        #: whether every item's currency is valid.
        self.plain_valid = True

    def add(self, where: Loc | str, code: str, message: str) -> None:
        param = where if isinstance(where, str) else _param(where)
        self.problems.append(Problem(param, code, message))


# ---------------------------------------------------------------------------------------------
# Pass 1: shape


def _type_problem(spec: Spec, value: object, loc: Loc, out: _Out) -> None:
    wanted = _TYPE_NAMES.get(spec.kind, "a value")
    if isinstance(value, bool) and spec.kind in (Kind.INT, Kind.NUMBER, Kind.DECIMAL):
        message = f"Expected {wanted}, got the boolean {value}."
    elif isinstance(value, float) and spec.kind == Kind.DECIMAL:
        message = f"Expected {wanted}; floats are inexact, use Decimal or a string."
    else:
        message = f"Expected {wanted}, got {type(value).__name__} {_describe(value)}."
    out.add(loc, "invalid_type", message)


def _check(spec: Spec, value: object, loc: Loc, out: _Out) -> None:
    """Check ``value`` (never None) against ``spec``."""
    kind = spec.kind
    if isinstance(value, str) and not value and kind != Kind.ANY:
        if not spec.empty_ok:
            name = _param(loc)
            out.add(
                loc,
                "parameter_invalid_empty",
                f"You passed an empty string for '{name}'. Stripe reads an empty value as an "
                f"attempt to unset a parameter, and '{name}' cannot be unset: leave it out or "
                "give a non-empty value.",
            )
        return
    if kind == Kind.OBJECT:
        if isinstance(value, dict):
            _check_object(spec, value, loc, out)
        elif not (spec.empty_ok and _empty_str(value)):
            _type_problem(spec, value, loc, out)
        return
    if kind == Kind.STR:
        if not isinstance(value, str):
            _type_problem(spec, value, loc, out)
        elif spec.max_len is not None and len(value) > spec.max_len:
            out.add(
                loc,
                spec.limit_code,
                f"At most {spec.max_len} characters are allowed; this has {len(value)}.",
            )
        return
    if kind == Kind.ENUM:
        if not isinstance(value, str):
            _type_problem(spec, value, loc, out)
            return
        text = value if type(value) is str else str.__str__(value)
        if text not in spec.enum and not (spec.empty_ok and text == ""):
            if len(spec.enum) <= 25:
                allowed = "one of: " + ", ".join(sorted(spec.enum))
            else:
                allowed = f"one of the {len(spec.enum)} values the API accepts"
            out.add(loc, spec.enum_code, f"{_describe(text)} is not {allowed}.")
        return
    if kind == Kind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            if not (spec.empty_ok and _empty_str(value)):
                _type_problem(spec, value, loc, out)
            return
        _check_bounds(spec, value, loc, out)
        return
    if kind == Kind.BOOL:
        if value is not True and value is not False:
            _type_problem(spec, value, loc, out)
        return
    if kind == Kind.LIST:
        if isinstance(value, (list, tuple)):
            _check_list(spec, value, loc, out)
        elif not (spec.empty_ok and _empty_str(value)):
            _type_problem(spec, value, loc, out)
        return
    if kind == Kind.MAP:
        if isinstance(value, dict):
            _check_map(spec, value, loc, out)
        else:
            _type_problem(spec, value, loc, out)
        return
    if kind == Kind.DECIMAL:
        if _as_decimal(value) is None:
            _type_problem(spec, value, loc, out)
        return
    if kind == Kind.NUMBER:
        number = None if isinstance(value, bool) else _as_decimal(value, floats=True)
        if number is None:
            _type_problem(spec, value, loc, out)
        elif spec.limit_code:
            _check_bounds(spec, number, loc, out)
        return
    # Kind.ANY: whatever a newer SDK types in a way this module does not know.


def _check_bounds(spec: Spec, value: int | Decimal, loc: Loc, out: _Out) -> None:
    if spec.minimum is not None and value < spec.minimum:
        out.add(loc, spec.limit_code, f"Must be at least {spec.minimum}; got {_num(value)}.")
    elif spec.maximum is not None and value > spec.maximum:
        out.add(loc, spec.limit_code, f"Must be at most {spec.maximum}; got {_num(value)}.")


def _too_big(container: dict[Any, Any] | list[Any] | tuple[Any, ...], loc: Loc, out: _Out) -> None:
    out.add(
        loc,
        "too_many_items",
        f"{len(container)} entries is far more than Stripe accepts; not checked further.",
    )


_OBJECT = Kind.OBJECT
_STR = Kind.STR
_INT = Kind.INT
_BOOL = Kind.BOOL
_LIST = Kind.LIST


def _check_object(spec: Spec, value: dict[Any, Any], loc: Loc, out: _Out) -> None:
    if len(value) > MAX_CONTAINER:
        _too_big(value, loc, out)
        return
    fields = spec.fields
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            if item is not None:  # the stripe SDK leaves None values out of the request
                _unknown(spec, key, loc, out)
            continue
        # Fast paths for the common well-typed cases; everything else goes through _check.
        kind = type(item)
        if kind is str:
            if field.kind is _STR:
                if item and len(item) <= field.str_max:
                    continue
            elif item in field.enum:
                continue
        elif kind is int:
            if field.kind is _INT and field.lo <= item <= field.hi:
                continue
        elif kind is dict:
            if field.kind is _OBJECT:
                _check_object(field, item, (loc, key), out)
                continue
        elif kind is list:
            if field.kind is _LIST:
                _check_list(field, item, (loc, key), out)
                continue
        elif kind is bool:
            if field.kind is _BOOL:
                continue
        elif item is None:
            if key in spec.required_set:  # None is not sent, so the key is missing
                _missing(spec, key, loc, out)
            continue
        _check(field, item, (loc, key), out)
    required = spec.required_set
    if required and not required <= value.keys():
        for key in spec.required:
            if key not in value:
                _missing(spec, key, loc, out)


def _missing(spec: Spec, key: str, loc: Loc, out: _Out) -> None:
    code = spec.required_codes.get(key, "parameter_missing")
    out.add((loc, key), code, f"Missing required parameter {_param((loc, key))}.")


def _unknown(spec: Spec, key: object, loc: Loc, out: _Out) -> None:
    if not isinstance(key, str):
        out.add(loc, "invalid_type", f"Parameter names must be strings, not {_describe(key)}.")
        return
    code = spec.unknown_codes.get(key, "unknown_parameter")
    message = f"Received unknown parameter: {_param((loc, key))}."
    if loc is None and key in REQUEST_OPTION_KEYS:
        message += " It is a request option: pass it to the client call, not in the params."
    elif loc is None and key == "payment_method_types":
        message += " Since API version 2026-03-25 it is named allowed_payment_method_types."
    elif code == "legacy_line_item_params_removed":
        message += " Line items take a price or price_data since API version 2022-08-01."
    elif code == "pwyw_requires_price_object":
        message += " Pay-what-you-want needs a Price with custom_unit_amount, passed by ID."
    elif code == "price_data_recurring_fields":
        message += " Inline recurring prices take only interval and interval_count."
    out.add((loc, key), code, message)


def _check_list(spec: Spec, value: list[Any] | tuple[Any, ...], loc: Loc, out: _Out) -> None:
    if spec.max_items is not None and len(value) > spec.max_items:
        out.add(
            loc,
            spec.limit_code,
            f"At most {spec.max_items} entries are allowed; got {len(value)}.",
        )
    if len(value) > MAX_CONTAINER:
        _too_big(value, loc, out)
        return
    item_spec = spec.item
    if item_spec is None:
        return
    if spec.plain_items and value:
        _check_line_items(item_spec, value, loc, out)
        return
    objects = item_spec.kind == _OBJECT
    for index, item in enumerate(value):
        if objects and type(item) is dict:
            _check_object(item_spec, item, (loc, index), out)
        elif item is None:
            out.add((loc, index), "invalid_type", "A list entry cannot be None.")
        else:
            _check(item_spec, item, (loc, index), out)


# The fast path spells these keys out (constants are faster than lookups); they must match.
if (
    frozenset({"price_data", "quantity"}),
    frozenset({"currency", "product_data", "unit_amount"}),
    frozenset({"name"}),
) != PLAIN_LINE_ITEM_KEYS:  # pragma: no cover
    raise ImportError("checkoutkit._rules does not match checkoutkit._schema")


def _check_line_items(
    item_spec: Spec, value: list[Any] | tuple[Any, ...], loc: Loc, out: _Out
) -> None:
    """Line items, skipping the walk for those of the most common shape and types.

    Such an item is exactly ``{"price_data": {"currency": str, "product_data": {"name": str},
    "unit_amount": int >= 0}, "quantity": int >= 1}`` with non-empty strings; the compiled spec
    has checked that the full walk would accept it
    (:func:`checkoutkit._schema.plain_line_items_allowed`).
    """
    all_plain = valid = whole_units = True
    total = limit = 0
    currencies: list[str] = []
    last_raw: object = None
    last_code = ""
    rules: _Out | None = None
    for index, item in enumerate(value):
        # A dict of the plain shape's size whose plain keys all hold values of the plain types
        # (never None) has exactly the plain keys: cheaper than comparing the key sets.
        if type(item) is dict and len(item) == 2:
            quantity = item.get("quantity")
            price_data = item.get("price_data")
            if (
                type(quantity) is int
                and quantity >= 1
                and type(price_data) is dict
                and len(price_data) == 3
            ):
                amount = price_data.get("unit_amount")
                product_data = price_data.get("product_data")
                currency = price_data.get("currency")
                if (
                    type(amount) is int
                    and amount >= 0
                    and type(currency) is str
                    and currency
                    and type(product_data) is dict
                    and len(product_data) == 1
                    and type(name := product_data.get("name")) is str
                    and name
                ):
                    # The item's rules, done here while its values are at hand.
                    # Their problems wait in ``rules`` until every item is known to be plain;
                    # otherwise the rules pass checks all items the general way.
                    if currency is not last_raw:  # a new currency object: check it
                        code = currency if currency in _ISO else None
                        if code is None:
                            rules = rules or _Out()
                            code = _check_currency(
                                currency, f"line_items[{index}][price_data][currency]", rules
                            )
                        if code is None:
                            valid = False
                            last_raw = None
                            continue
                        last_raw, last_code = currency, code
                        if code not in currencies:
                            currencies.append(code)
                        limit = _MAX_AMOUNT.get(code, _DEFAULT_MAX_AMOUNT)
                        whole_units = code in _WHOLE_UNITS
                    if amount > limit or (whole_units and amount % 100):
                        rules = rules or _Out()
                        _check_amount(
                            amount,
                            last_code,
                            f"line_items[{index}][price_data][unit_amount]",
                            rules,
                        )
                    total += amount * quantity
                    continue
        all_plain = False
        if type(item) is dict:
            _check_object(item_spec, item, (loc, index), out)
        elif item is None:
            out.add((loc, index), "invalid_type", "A list entry cannot be None.")
        else:
            _check(item_spec, item, (loc, index), out)
    if all_plain:
        if rules is not None:
            out.problems += rules.problems
        out.plain_line_items = True
        out.plain_currencies = currencies
        out.plain_total = total
        out.plain_valid = valid


def _check_map(spec: Spec, value: dict[Any, Any], loc: Loc, out: _Out) -> None:
    if spec.max_items is not None and len(value) > spec.max_items:
        out.add(
            loc, spec.limit_code, f"At most {spec.max_items} keys are allowed; got {len(value)}."
        )
    if len(value) > MAX_CONTAINER:
        _too_big(value, loc, out)
        return
    item_spec = spec.item
    metadata = spec.key_rule == "metadata"
    for key, item in value.items():
        if not isinstance(key, str):
            out.add(loc, "invalid_type", f"Keys must be strings, not {_describe(key)}.")
            continue
        if metadata:
            if len(key) > 40:
                out.add(
                    (loc, key),
                    "metadata_key_40_value_500",
                    f"Metadata keys are at most 40 characters; this one has {len(key)}.",
                )
            if "[" in key or "]" in key:
                out.add(
                    loc,
                    "metadata_no_square_brackets",
                    f"Metadata key {_describe(key)} contains a square bracket.",
                )
            if isinstance(item, str) and len(item) > 500:
                out.add(
                    (loc, key),
                    "metadata_key_40_value_500",
                    f"Metadata values are at most 500 characters; this one has {len(item)}.",
                )
        elif spec.key_rule == "currency":
            _check_currency(key, (loc, key), out)
        if item is not None and item_spec is not None and not (metadata and item == ""):
            # An empty metadata value unsets a key on update and is harmless on create.
            _check(item_spec, item, (loc, key), out)


# ---------------------------------------------------------------------------------------------
# Helpers for pass 2. Every helper tolerates values of the wrong type (pass 1 reports those).


def _as_decimal(value: object, *, floats: bool = False) -> Decimal | None:
    """A finite Decimal from a Decimal, int or numeric string (and float if ``floats``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        if not -(10**30) < value < 10**30:
            return None
        result = Decimal(value)
    elif isinstance(value, str):
        if len(value) > 100:
            return None
        try:
            result = Decimal(value)
        except (InvalidOperation, ValueError):
            return None
    elif floats and isinstance(value, float):
        if not math.isfinite(value):
            return None
        result = Decimal(value)
    else:
        return None
    # Far beyond any Stripe amount; refusing it keeps Decimal arithmetic exact below.
    if not result.is_finite() or not (result.is_zero() or -40 <= result.adjusted() < 26):
        return None
    return result


def _present(value: object) -> bool:
    """Whether the stripe SDK sends anything for ``value`` (None, {} and [] send nothing)."""
    if value is None:
        return False
    if isinstance(value, (dict, list, tuple)):
        return len(value) > 0
    return True


def _dict(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _seq(value: object) -> list[Any] | tuple[Any, ...]:
    if isinstance(value, (list, tuple)) and len(value) <= MAX_CONTAINER:
        return value
    return ()


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _check_currency(value: object, where: Loc | str, out: _Out) -> str | None:
    """Report a code that is not a currency; return it lowercased if it is one."""
    if not isinstance(value, str):
        return None
    code = value.lower()
    if code in _ISO:
        return code
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        out.add(
            where,
            "currency_iso_format",
            f"{_describe(value)} is not a three-letter ISO 4217 currency code.",
        )
    else:
        out.add(where, "currency_supported", f"{_describe(value)} is not an ISO 4217 currency.")
    return None


def _check_amount(amount: int | Decimal, currency: str, param: str, out: _Out) -> None:
    """Per-amount currency rules: whole units for isk/ugx, and the maximum amount."""
    if currency in _WHOLE_UNITS and amount % 100:
        out.add(
            param,
            "zero_decimal_currency_amounts",
            f"{currency} is charged in whole units: {_num(amount)} is not divisible by 100.",
        )
    limit = _MAX_AMOUNT.get(currency, _DEFAULT_MAX_AMOUNT)
    if amount > limit:
        out.add(
            param,
            "maximum_amount_8_digits",
            f"The largest amount Stripe accepts in {currency} is {limit}; got {_num(amount)}.",
        )


def _to_timestamp(now: datetime | float | int | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        if now.tzinfo is None:  # naive datetimes are taken as UTC, as Stripe's clock is
            now = now.replace(tzinfo=timezone.utc)
        return now.timestamp()
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        try:
            timestamp = float(now)
        except OverflowError:
            timestamp = math.inf
        if math.isfinite(timestamp):
            return timestamp
    raise ConfigurationError(f"now must be a datetime or a Unix timestamp, not {now!r}")


# ---------------------------------------------------------------------------------------------
# Pass 2: rules across parameters


def _rules(params: dict[Any, Any], now: float, out: _Out) -> None:
    get = params.get
    raw_mode = get("mode")
    if raw_mode is None:
        out.add("mode", "mode_required", "mode is required: payment, setup or subscription.")
    mode = raw_mode if isinstance(raw_mode, str) and raw_mode in _MODES else None
    raw_ui_mode = get("ui_mode")
    ui_mode: str | None = "hosted_page" if raw_ui_mode is None else None
    if isinstance(raw_ui_mode, str) and raw_ui_mode in _UI_MODES:
        ui_mode = raw_ui_mode

    if mode == "setup":
        if _present(get("line_items")):
            out.add(
                "line_items", "setup_no_line_items", "You can not pass line_items in setup mode."
            )
    elif mode is not None or "line_items" in params:
        _line_item_rules(params, mode, out)
    if ui_mode == "hosted_page":
        if get("success_url") is None:
            out.add(
                "success_url",
                "hosted_requires_success_url",
                "success_url is required for hosted sessions.",
            )
        if get("return_url") is not None:
            out.add(
                "return_url",
                "hosted_no_return_url",
                "Hosted sessions can't use return_url; use success_url.",
            )
    elif ui_mode is not None:
        _ui_mode_rules(params, ui_mode, out)
    if mode == "setup":
        _setup_rules(params, out)

    # Rules that only concern less common parameters run only when one of them is present.
    present = params.keys() & _TRIGGERS
    if not present:
        return
    if mode is not None:
        for key in sorted(present & _MODE_SCOPED.keys()):  # sorted: a stable problem order
            modes, code = _MODE_SCOPED[key]
            if mode not in modes and _present(get(key)):
                allowed = " and ".join(sorted(modes))
                out.add(key, code, f"You can not pass {key} in {mode} mode (only in {allowed}).")
        if mode != "payment" and "invoice_creation" in present:
            invoice_creation = get("invoice_creation")
            if isinstance(invoice_creation, dict) and invoice_creation.get("enabled") is True:
                out.add(
                    "invoice_creation",
                    "invoice_creation_payment_mode_only",
                    "You can only enable invoice creation when mode is payment.",
                )
    if "currency" in present:
        _check_currency(get("currency"), "currency", out)
    if "permissions" in present:
        _permissions_rules(params, ui_mode, out)
    if "customer" in present or "customer_update" in present:
        _customer_rules(params, out)
    if get("allow_promotion_codes") is True and _present(get("discounts")):
        out.add(
            "discounts",
            "allow_promotion_codes_xor_discounts",
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
        )
    if "expires_at" in present:
        _expires_at_rules(get("expires_at"), now, out)
    if "subscription_data" in present:
        subscription_data = get("subscription_data")
        if isinstance(subscription_data, dict) and subscription_data:
            _subscription_data_rules(subscription_data, now, out)
    if "custom_fields" in present:
        _custom_field_rules(get("custom_fields"), out)
    if "shipping_options" in present:
        _shipping_rules(get("shipping_options"), out)
    if "automatic_tax" in present or "invoice_creation" in present:
        _liability_rules(params, out)


def _line_item_rules(params: dict[Any, Any], mode: str | None, out: _Out) -> None:
    """Rules over ``line_items`` in payment or subscription mode (or an unknown mode)."""
    raw_items = params.get("line_items")
    if type(raw_items) is list and 0 < len(raw_items) <= MAX_CONTAINER:
        items: list[Any] | tuple[Any, ...] = raw_items
    else:
        if mode is not None and not _present(raw_items):
            code = (
                "payment_requires_line_items"
                if mode == "payment"
                else "subscription_requires_line_items"
            )
            out.add("line_items", code, f"line_items is required in {mode} mode.")
        items = _seq(raw_items)
    item_count = len(items)
    optional = _seq(params.get("optional_items")) if "optional_items" in params else ()
    top = params.get("currency")
    currency_seen = None
    if top is not None:
        currency_seen = top.lower() if isinstance(top, str) and top.lower() in _ISO else None
    currencies: set[str] = set()
    total: int | Decimal = 0
    all_inline = bool(items)  # every item has price_data with a known amount and quantity
    recurring_count = one_time_count = 0
    if out.plain_line_items:
        # The shape pass found every item to be {"price_data": {"currency", "product_data",
        # "unit_amount"}, "quantity"}, well typed, and checked their currencies and amounts.
        one_time_count = item_count
        total = out.plain_total
        all_inline = out.plain_valid
        for code in out.plain_currencies:
            if currency_seen is None:
                currency_seen = code
            elif code != currency_seen:
                currencies.update((code, currency_seen))
    for index, item in enumerate(() if out.plain_line_items else items):
        if not isinstance(item, dict):
            all_inline = False
            continue
        get = item.get
        price_data = get("price_data")
        quantity = get("quantity")
        if (get("price") is None) == (price_data is None):
            out.add(
                f"line_items[{index}]",
                "price_xor_price_data",
                "Each line item needs exactly one of price or price_data.",
            )
        if quantity is None and (mode == "payment" or price_data is not None):
            out.add(
                f"line_items[{index}][quantity]",
                "quantity_required",
                f"Quantity is required. Add quantity to line_items[{index}].",
            )
        if "adjustable_quantity" in item:
            _adjustable_quantity_rules(item, index, out)
        if not isinstance(price_data, dict):
            all_inline = False
            continue
        pget = price_data.get
        if (pget("product") is None) == (pget("product_data") is None):
            out.add(
                f"line_items[{index}][price_data]",
                "price_data_product_xor_product_data",
                "Exactly one of product or product_data is required.",
            )
        amount = pget("unit_amount")
        if type(amount) is not int or "unit_amount_decimal" in price_data:
            amount = _unit_amount(price_data, index, out)
        recurring = pget("recurring")
        if _present(recurring):
            recurring_count += 1
            _recurring_rules(recurring, mode, index, out)
        else:
            one_time_count += 1
        currency = pget("currency")
        if type(currency) is not str or currency not in _ISO:
            currency = _check_currency(currency, f"line_items[{index}][price_data][currency]", out)
        if currency is not None:
            if currency_seen is None:
                currency_seen = currency
            elif currency != currency_seen:
                currencies.update((currency, currency_seen))
        if amount is None or currency is None or type(quantity) is not int or amount < 0:
            all_inline = False
            continue
        if amount > _MAX_AMOUNT.get(currency, _DEFAULT_MAX_AMOUNT) or (
            currency in _WHOLE_UNITS and amount % 100
        ):
            field = (
                "unit_amount"
                if price_data.get("unit_amount") is not None
                else "unit_amount_decimal"
            )
            _check_amount(amount, currency, f"line_items[{index}][price_data][{field}]", out)
        total += amount * quantity

    if currencies:
        out.add(
            "line_items",
            "line_items_single_currency",
            "All prices in a session must use one currency; got "
            + ", ".join(sorted(currencies))
            + ".",
        )
    count = item_count + len(optional)
    if mode == "payment" and count > 100:
        out.add(
            "line_items",
            "payment_max_100_line_items",
            f"Payment mode allows at most 100 line items and optional items; got {count}.",
        )
    elif mode == "subscription":
        if recurring_count > 20 or one_time_count > 20 or count > 40:
            out.add(
                "line_items",
                "subscription_max_20_recurring_20_one_time",
                "Subscription mode allows at most 20 recurring and 20 one-time line items.",
            )
        if all_inline and recurring_count == 0:
            out.add(
                "line_items",
                "subscription_requires_recurring_price",
                "You must provide at least one recurring price in subscription mode.",
            )
    if all_inline and not currencies and currency_seen is not None:
        _total_rules(params, mode, currency_seen, total, out)


def _unit_amount(price_data: dict[Any, Any], index: int, out: _Out) -> int | Decimal | None:
    """The unit amount of a ``price_data`` that does not simply have an int ``unit_amount``."""
    where = f"line_items[{index}][price_data]"
    unit_amount = price_data.get("unit_amount")
    unit_amount_decimal = price_data.get("unit_amount_decimal")
    if (unit_amount is None) == (unit_amount_decimal is None):
        out.add(
            where,
            "unit_amount_xor_unit_amount_decimal",
            "Exactly one of unit_amount or unit_amount_decimal is required.",
        )
    if unit_amount is not None:
        return _int(unit_amount)
    amount = _as_decimal(unit_amount_decimal)
    if amount is None:
        return None
    exponent = amount.as_tuple().exponent
    if amount < 0:
        out.add(
            f"{where}[unit_amount_decimal]",
            "unit_amount_non_negative",
            f"unit_amount_decimal must not be negative; got {_num(amount)}.",
        )
        return None
    if isinstance(exponent, int) and exponent < -12:
        out.add(
            f"{where}[unit_amount_decimal]",
            "unit_amount_non_negative",
            "unit_amount_decimal has at most 12 decimal places.",
        )
    return amount


def _recurring_rules(recurring: object, mode: str | None, index: int, out: _Out) -> None:
    where = f"line_items[{index}][price_data][recurring]"
    if mode == "payment":
        out.add(
            where,
            "payment_no_recurring_prices",
            "You specified payment mode but passed a recurring price. Either switch to "
            "subscription mode or use only one-time prices.",
        )
    if not isinstance(recurring, dict):
        return
    interval = recurring.get("interval")
    count = _int(recurring.get("interval_count"))
    limit = _MAX_INTERVAL_COUNT.get(interval) if isinstance(interval, str) else None
    if limit is not None and count is not None and count > limit:
        out.add(
            f"{where}[interval_count]",
            "recurring_interval_max_3_years",
            f"The longest interval is three years: at most {limit} {interval}s.",
        )


def _total_rules(
    params: dict[Any, Any], mode: str | None, currency: str, total: int | Decimal, out: _Out
) -> None:
    limit = _MAX_AMOUNT.get(currency, _DEFAULT_MAX_AMOUNT)
    if total > limit:
        out.add(
            "line_items",
            "maximum_amount_8_digits",
            f"The session total {_num(total)} exceeds the largest amount Stripe accepts in "
            f"{currency} ({limit}).",
        )
    minimum = cur.MINIMUM_CHARGE.get(currency)
    # Discounts and shipping change the amount due in ways unknown offline, and a zero total is
    # a no-cost order, which Checkout allows.
    if (
        mode == "payment"
        and minimum is not None
        and 0 < total < minimum
        and not _present(params.get("discounts"))
        and not _present(params.get("shipping_options"))
    ):
        out.add(
            "line_items",
            "minimum_charge_amount",
            f"The Checkout Session's total amount due must add up to at least {minimum} "
            f"(minor units of {currency}); it is {_num(total)}.",
        )


def _adjustable_quantity_rules(item: dict[Any, Any], index: int, out: _Out) -> None:
    adjustable = item.get("adjustable_quantity")
    if not isinstance(adjustable, dict):
        return
    where = f"line_items[{index}][adjustable_quantity]"
    minimum = _int(adjustable.get("minimum"))
    maximum = _int(adjustable.get("maximum"))
    if minimum is not None and maximum is not None and minimum > maximum:
        out.add(
            where,
            "adjustable_quantity_bounds",
            f"minimum ({_num(minimum)}) is greater than maximum ({_num(maximum)}).",
        )
        return
    quantity = _int(item.get("quantity"))
    if adjustable.get("enabled") is not True or quantity is None:
        return
    upper = 99 if maximum is None else maximum
    lower = 0 if minimum is None else minimum
    if quantity > upper:
        out.add(
            f"{where}[maximum]",
            "adjustable_quantity_max_ge_quantity",
            f"The quantity {_num(quantity)} is above the adjustable maximum {_num(upper)}; set "
            "adjustable_quantity.maximum to at least the quantity.",
        )
    elif quantity < lower:
        out.add(
            f"{where}[minimum]",
            "adjustable_quantity_max_ge_quantity",
            f"The quantity {_num(quantity)} is below the adjustable minimum {_num(lower)}.",
        )


#: Parameters allowed only in some modes: key -> (modes, rule id).
_MODE_SCOPED: dict[str, tuple[frozenset[str], str]] = {
    "payment_intent_data": (frozenset({"payment"}), "payment_intent_data_payment_only"),
    "subscription_data": (frozenset({"subscription"}), "subscription_data_subscription_only"),
    "setup_intent_data": (frozenset({"setup"}), "setup_intent_data_setup_only"),
    "payment_method_collection": (
        frozenset({"subscription"}),
        "payment_method_collection_subscription_only",
    ),
    "phone_number_collection": (
        frozenset({"payment", "subscription"}),
        "phone_number_collection_payment_or_subscription",
    ),
    "shipping_options": (frozenset({"payment"}), "shipping_options_payment_mode_only"),
    "submit_type": (frozenset({"payment", "subscription"}), "submit_type_payment_or_subscription"),
    "saved_payment_method_options": (
        frozenset({"payment", "subscription"}),
        "saved_payment_method_options_mode",
    ),
    "customer_creation": (
        frozenset({"payment", "setup"}),
        "customer_creation_payment_or_setup_only",
    ),
}


def _setup_rules(params: dict[Any, Any], out: _Out) -> None:
    if params.get("currency") is None and not _present(params.get("allowed_payment_method_types")):
        out.add(
            "currency",
            "setup_currency_or_payment_method_types",
            "currency is required in setup mode when allowed_payment_method_types is not set.",
        )


def _ui_mode_rules(params: dict[Any, Any], ui_mode: str, out: _Out) -> None:
    """URL rules for the ui_modes other than hosted_page, and what elements forbids."""
    if ui_mode in _ELEMENTS_LIKE:
        _elements_rules(params, ui_mode, out)
    if ui_mode not in _EMBEDDED:
        return
    get = params.get
    if get("success_url") is not None:
        out.add(
            "success_url",
            "embedded_no_success_url",
            f"success_url is not allowed with ui_mode {ui_mode}; use return_url.",
        )
    if get("cancel_url") is not None:
        out.add(
            "cancel_url",
            "embedded_no_cancel_url",
            f"cancel_url is not allowed with ui_mode {ui_mode}.",
        )
    pms = {pm for pm in _seq(get("allowed_payment_method_types")) if isinstance(pm, str)}
    redirect_pms = ", ".join(sorted(pms & _REDIRECT_PMS))
    if not redirect_pms:
        return
    if get("redirect_on_completion") == "never":
        out.add(
            "allowed_payment_method_types",
            "redirect_on_completion_never_no_redirect_pms",
            "With redirect_on_completion=never, redirect-based payment methods can't be "
            f"listed: {redirect_pms}.",
        )
    elif get("return_url") is None:
        out.add(
            "return_url",
            "embedded_return_url_required_for_redirect_pms",
            f"return_url is required with ui_mode {ui_mode} and redirect-based payment "
            f"methods ({redirect_pms}).",
        )


def _customer_rules(params: dict[Any, Any], out: _Out) -> None:
    customer = params.get("customer")
    if customer is not None and params.get("customer_email") is not None:
        out.add(
            "customer_email",
            "customer_xor_customer_email",
            "You may only specify one of these parameters: customer, customer_email.",
        )
    if customer is None and _present(params.get("customer_update")):
        out.add(
            "customer_update",
            "customer_update_requires_customer",
            "customer_update can only be provided when customer is provided.",
        )


#: Parameters that can't be set with ui_mode elements (or form): path -> the ui_modes.
_ELEMENTS_FORBIDDEN: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("after_expiration",), frozenset({"elements"})),
    (("branding_settings",), frozenset({"elements"})),
    (("custom_fields",), frozenset({"elements"})),
    (("custom_text",), frozenset({"elements"})),
    (("optional_items",), frozenset({"elements", "form"})),
    (("origin_context",), frozenset({"elements"})),
    (("submit_type",), frozenset({"elements"})),
    (("payment_method_options", "acss_debit"), frozenset({"elements"})),
    (("payment_method_options", "card", "restrictions"), frozenset({"elements"})),
    (("subscription_data", "billing_cycle_anchor"), frozenset({"elements"})),
    (("tax_id_collection", "required"), frozenset({"elements"})),
)


#: Top-level keys whose presence triggers a rule in the second half of ``_rules``.
_TRIGGERS = frozenset(
    {
        *_MODE_SCOPED,
        "allow_promotion_codes",
        "automatic_tax",
        "currency",
        "custom_fields",
        "customer",
        "customer_update",
        "expires_at",
        "invoice_creation",
        "permissions",
        "shipping_options",
        "subscription_data",
    }
)


def _dig(params: dict[Any, Any], path: tuple[str, ...]) -> object:
    value: object = params
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _bracket(path: tuple[str, ...]) -> str:
    return path[0] + "".join(f"[{key}]" for key in path[1:])


def _elements_rules(params: dict[Any, Any], ui_mode: str, out: _Out) -> None:
    for path, ui_modes in _ELEMENTS_FORBIDDEN:
        if ui_mode in ui_modes and _present(_dig(params, path)):
            out.add(
                _bracket(path),
                "custom_ui_mode_restrictions",
                f"{_bracket(path)} can't be set when ui_mode is {ui_mode}.",
            )


def _permissions_rules(params: dict[Any, Any], ui_mode: str | None, out: _Out) -> None:
    permissions = params.get("permissions")
    if not _present(permissions):
        return
    if ui_mode not in _EMBEDDED:
        out.add(
            "permissions",
            "permissions_embedded_or_custom_only",
            "permissions can only be set with ui_mode embedded_page or elements.",
        )
    elif ui_mode != "elements" and _dict(permissions).get("update_shipping_details") is not None:
        out.add(
            "permissions[update_shipping_details]",
            "permissions_embedded_or_custom_only",
            "update_shipping_details is only supported with ui_mode elements.",
        )


def _expires_at_rules(value: object, now: float, out: _Out) -> None:
    expires_at = _int(value)
    if expires_at is None:
        return
    earliest = now + 30 * 60 + EXPIRES_AT_MARGIN
    if expires_at < earliest:
        out.add(
            "expires_at",
            "expires_at_30min_to_24h",
            "expires_at must be at least 30 minutes after the session is created "
            f"(with {EXPIRES_AT_MARGIN} s of margin: at least {math.ceil(earliest)}).",
        )
    elif expires_at > now + 24 * 60 * 60:
        out.add(
            "expires_at",
            "expires_at_30min_to_24h",
            "expires_at must be less than 24 hours from Checkout Session creation.",
        )


def _subscription_data_rules(subscription_data: dict[Any, Any], now: float, out: _Out) -> None:
    trial_end = _int(subscription_data.get("trial_end"))
    if trial_end is not None and trial_end < now + 48 * 3600 + EXPIRES_AT_MARGIN:
        out.add(
            "subscription_data[trial_end]",
            "trial_end_min_48h",
            "trial_end has to be at least 48 hours in the future.",
        )
    anchor = _int(subscription_data.get("billing_cycle_anchor"))
    if anchor is not None and anchor <= now:
        out.add(
            "subscription_data[billing_cycle_anchor]",
            "billing_cycle_anchor_future",
            "billing_cycle_anchor must be in the future.",
        )
    fee_value = subscription_data.get("application_fee_percent")
    fee = None if isinstance(fee_value, bool) else _as_decimal(fee_value, floats=True)
    if fee is not None and 0 <= fee <= 100 and fee != fee.quantize(Decimal("0.01")):
        out.add(
            "subscription_data[application_fee_percent]",
            "application_fee_percent_range",
            "application_fee_percent has at most two decimal places.",
        )


def _alphanumeric(text: str) -> bool:
    return text.isascii() and text.isalnum()


def _custom_field_rules(custom_fields: object, out: _Out) -> None:
    keys: set[str] = set()
    for index, field in enumerate(_seq(custom_fields)):
        if not isinstance(field, dict):
            continue
        where = f"custom_fields[{index}]"
        key = _str(field.get("key"))
        if key is not None:
            if not _alphanumeric(key):
                out.add(
                    f"{where}[key]", "custom_field_key_max_200", "The key must be alphanumeric."
                )
            elif key in keys:
                out.add(
                    f"{where}[key]",
                    "custom_field_key_max_200",
                    f"The key {_describe(key)} is used by two fields.",
                )
            keys.add(key)
        if field.get("type") == "dropdown":
            _dropdown_rules(field.get("dropdown"), where, out)


def _dropdown_rules(dropdown: object, where: str, out: _Out) -> None:
    if dropdown is None:
        out.add(
            f"{where}[dropdown]",
            "custom_field_dropdown_options_required",
            "A dropdown field needs dropdown.options.",
        )
        return
    values: set[str] = set()
    for index, option in enumerate(_seq(_dict(dropdown).get("options"))):
        value = _str(_dict(option).get("value"))
        if value is None:
            continue
        option_where = f"{where}[dropdown][options][{index}][value]"
        if not _alphanumeric(value):
            out.add(
                option_where,
                "custom_field_dropdown_options_required",
                "Option values must be alphanumeric.",
            )
        elif value in values:
            out.add(
                option_where,
                "custom_field_dropdown_options_required",
                f"The value {_describe(value)} is used by two options.",
            )
        values.add(value)
    default = _str(_dict(dropdown).get("default_value"))
    if default is not None and default not in values:
        out.add(
            f"{where}[dropdown][default_value]",
            "custom_field_dropdown_options_required",
            "default_value must match the value of one of the options.",
        )


def _shipping_rules(shipping_options: object, out: _Out) -> None:
    for index, option in enumerate(_seq(shipping_options)):
        rate = _dict(_dict(option).get("shipping_rate_data"))
        if not rate:
            continue
        where = f"shipping_options[{index}][shipping_rate_data]"
        fixed = rate.get("fixed_amount")
        if rate.get("type") in (None, "fixed_amount") and fixed is None:
            out.add(
                f"{where}[fixed_amount]",
                "parameter_missing",
                "fixed_amount is required for a fixed_amount shipping rate.",
            )
        if isinstance(fixed, dict):
            currency = _check_currency(
                fixed.get("currency"), f"{where}[fixed_amount][currency]", out
            )
            amount = _int(fixed.get("amount"))
            if currency and amount is not None:
                _check_amount(amount, currency, f"{where}[fixed_amount][amount]", out)


def _liability_rules(params: dict[Any, Any], out: _Out) -> None:
    for path in (("automatic_tax", "liability"), ("invoice_creation", "invoice_data", "issuer")):
        value = _dig(params, path)
        if (
            isinstance(value, dict)
            and value.get("type") == "account"
            and value.get("account") is None
        ):
            out.add(
                f"{_bracket(path)}[account]",
                "parameter_missing",
                "account is required when type is account.",
            )


# ---------------------------------------------------------------------------------------------

_SPEC: Spec | None = None


def _load_spec() -> Spec:
    global _SPEC  # noqa: PLW0603 - the compiled spec is built once, on first use
    _SPEC = session_create_spec()
    return _SPEC


def validate_session_params(
    params: object, *, now: datetime | float | int | None = None
) -> tuple[Problem, ...]:
    """Every problem Stripe would reject ``params`` for, as far as can be known offline.

    ``params`` is a Checkout Session create request in the form the stripe SDK takes
    (``stripe.params.checkout.SessionCreateParams``). Each :class:`~checkoutkit.Problem` names
    the parameter in Stripe's bracket form (``line_items[0][quantity]``) and the rule id (see
    the rules page of the docs). An empty tuple means no problem was found.

    ``now`` (a datetime, naive meaning UTC, or a Unix timestamp; default: the current time) is
    the clock for ``expires_at`` and ``subscription_data.trial_end``, which must lie far enough
    ahead of it (see :data:`EXPIRES_AT_MARGIN`).

    Input of any shape yields problems, never an exception; a bad ``now`` raises
    :class:`~checkoutkit.ConfigurationError`.
    """
    timestamp = _to_timestamp(now)
    out = _Out()
    if not isinstance(params, dict):
        out.add(
            "",
            "invalid_type",
            f"Checkout Session parameters must be a dict, not {type(params).__name__}.",
        )
        return tuple(out.problems)
    try:
        _check_object(_SPEC or _load_spec(), params, None, out)
        if len(params) <= MAX_CONTAINER:
            _rules(params, timestamp, out)
    except Exception as exc:
        out.add("", "invalid_type", f"The parameters could not be read ({type(exc).__name__}).")
    return tuple(out.problems)


# ---------------------------------------------------------------------------------------------
# A verdict without the walk, for the builder's most common sessions
#
# A hosted payment session whose line items all have the plain shape (PLAIN_LINE_ITEM_KEYS) and
# whose other parameters are non-empty strings of keys no rule reads needs only a few checks.
# The functions below answer "valid" only when validate_session_params would find no problem;
# otherwise the caller runs it, so every report still comes from the full validation.

#: Top-level keys that the rules pass reads, besides the shape pass's checks of each value.
_RULE_KEYS = frozenset(
    {
        *_TRIGGERS,
        *(path[0] for path, _ in _ELEMENTS_FORBIDDEN),
        "allowed_payment_method_types",
        "cancel_url",
        "customer_email",
        "discounts",
        "line_items",
        "mode",
        "optional_items",
        "redirect_on_completion",
        "return_url",
        "success_url",
        "ui_mode",
    }
)
#: Keys of _RULE_KEYS that take part only in rules that a hosted payment session with plain line
#: items and no ``customer`` (a rule key, so never in such a session) cannot break, as long as
#: it has ``success_url`` and ``mode`` is ``payment``, which are checked.
_PLAIN_RULE_KEYS = ("cancel_url", "customer_email", "mode", "success_url")

# The plain session's (longest string per free-text key, allowed values per enum key, keys it
# must have, most line items), or None when the spec has no plain line items.
_Plain = tuple[dict[str, int], dict[str, frozenset[str]], tuple[str, ...], int]
_PLAIN: list[_Plain | None] = []


def _load_plain() -> _Plain | None:
    root = _SPEC or _load_spec()
    items = root.fields.get("line_items")
    plain: _Plain | None = None
    if items is not None and items.plain_items:
        str_max: dict[str, int] = {}
        enums: dict[str, frozenset[str]] = {}
        for key, spec in root.fields.items():
            if key in _RULE_KEYS and key not in _PLAIN_RULE_KEYS:
                continue
            if spec.kind == Kind.STR:
                str_max[key] = spec.str_max
            elif spec.kind == Kind.ENUM:
                enums[key] = spec.enum
        # Only payment mode, whatever type the spec gives mode.
        mode = str_max.pop("mode", None) is not None or "payment" in enums.get("mode", ())
        enums["mode"] = frozenset({"payment"} if mode else ())
        required = tuple(sorted(root.required_set - {"line_items"} | {"mode", "success_url"}))
        most = min(100, MAX_CONTAINER, items.max_items or MAX_CONTAINER)
        plain = (str_max, enums, required, most)
    _PLAIN.append(plain)
    return plain


def plain_amount_limits(currency: str) -> tuple[int, bool] | None:
    """The largest unit amount and whether only whole units are allowed, for a valid code.

    ``currency`` is a lowercase ``str``; None means it is not a currency Stripe takes.
    """
    if currency not in _ISO:
        return None
    return _MAX_AMOUNT.get(currency, _DEFAULT_MAX_AMOUNT), currency in _WHOLE_UNITS


def plain_payment_valid(fields: dict[str, Any], currency: str, total: int, count: int) -> bool:
    """Whether :func:`validate_session_params` finds no problem in such a session.

    The session is ``fields`` plus ``line_items``: ``count`` line items, each of the shape
    ``{"price_data": {"currency": currency, "product_data": {"name": name}, "unit_amount":
    amount}, "quantity": quantity}`` where the caller has made sure that ``currency`` has
    :func:`plain_amount_limits` ``(limit, whole)``, ``name`` is a non-empty ``str``, ``amount``
    an ``int`` from 0 to ``limit`` (a multiple of 100 when ``whole``) and ``quantity`` an
    ``int`` of at least 1, and ``total`` is the sum of ``amount * quantity``.

    False means the session may have problems: run :func:`validate_session_params`.
    """
    plain = _PLAIN[0] if _PLAIN else _load_plain()
    if plain is None:
        return False
    str_max, enums, required, most = plain
    for key, value in fields.items():
        longest = str_max.get(key)
        if longest is not None:
            if type(value) is str and 0 < len(value) <= longest:
                continue
            return False
        allowed = enums.get(key)  # the values are non-empty strings
        if allowed is None or type(value) is not str or value not in allowed:
            return False
    for key in required:
        if key not in fields:
            return False
    if not 0 < count <= most or total > _MAX_AMOUNT.get(currency, _DEFAULT_MAX_AMOUNT):
        return False
    minimum = _MINIMUM_CHARGE.get(currency)
    return minimum is None or not 0 < total < minimum


def coerce_form_params(params: dict[str, Any]) -> dict[str, Any]:
    """Give form-decoded Checkout Session params the types the stripe SDK would have sent.

    A form body carries only strings; Stripe reads them by its schema. Along the same spec as
    :func:`validate_session_params`, this turns integer parameters' digit strings into ``int``,
    boolean parameters' ``"true"``/``"false"`` into ``bool``, and dicts keyed ``"0"``, ``"1"``,
    … where a list belongs into lists. Everything else (text, metadata, unknown keys, values that
    do not parse) is kept as it is, for :func:`validate_session_params` to judge. The input is
    not changed.
    """
    return _coerce_object(_SPEC or _load_spec(), params)


def _coerce_object(spec: Spec, value: dict[Any, Any]) -> dict[Any, Any]:
    fields = spec.fields
    return {
        key: _coerce(fields[key], item) if key in fields else item for key, item in value.items()
    }


def _coerce(spec: Spec, value: object) -> object:
    kind = spec.kind
    if kind == Kind.INT and isinstance(value, str):
        digits = value[1:] if value[:1] == "-" else value
        if digits.isascii() and digits.isdigit() and len(digits) <= 30:
            return int(value)
        return value
    if kind == Kind.BOOL and isinstance(value, str):
        return {"true": True, "false": False}.get(value, value)
    if kind == Kind.OBJECT and isinstance(value, dict):
        return _coerce_object(spec, value)
    if kind == Kind.LIST and spec.item is not None:
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(k, str) and k.isascii() and k.isdigit() for k in value)
        ):
            value = [value[k] for k in sorted(value, key=int)]
        if isinstance(value, list):
            item_spec = spec.item
            return [_coerce(item_spec, item) for item in value]
        return value
    if kind == Kind.MAP and spec.item is not None and isinstance(value, dict):
        item_spec = spec.item
        return {key: _coerce(item_spec, item) for key, item in value.items()}
    return value
