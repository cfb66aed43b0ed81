"""The fluent, immutable Checkout Session builder.

The builder only assembles parameters in the form the stripe SDK takes; every check is made by
:func:`checkoutkit._rules.validate_session_params` when :meth:`SessionBuilder.build` or
:meth:`SessionBuilder.problems` runs. Methods never raise on bad values: whatever they are given
is kept and reported, with every other problem, at build time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, cast

from checkoutkit._currencies import ISO_CURRENCIES, minor_units_or_none, to_minor_units
from checkoutkit._problems import Problem
from checkoutkit._rules import (
    MAX_CONTAINER,
    plain_amount_limits,
    plain_payment_valid,
    validate_session_params,
)
from checkoutkit.exceptions import InvalidSessionError

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

__all__ = ["SessionBuilder"]

SESSION_ID_TEMPLATE: Final = "{CHECKOUT_SESSION_ID}"
_SESSION_ID_QUERY: Final = "?session_id=" + SESSION_ID_TEMPLATE

# Values that are immutable, so built params may share them with the builder.
_LEAVES: Final = frozenset({str, int, bool, float, type(None), Decimal})
# Deeper than any Stripe parameter nests; below it, values are handed on as they are.
_MAX_COPY_DEPTH: Final = 32

# Unix timestamps of this size or less convert to float.
_HUGE: Final = 10**300

_set = object.__setattr__
_new = object.__new__


class _Keep:
    """Marks an argument of ``_derive`` that keeps the builder's current value."""


_KEEP: Final = _Keep()
# Top-level keys the builder keeps apart from the other fields.
_SPECIAL_KEYS: Final = frozenset({"line_items", "expires_at"})


def _copy(value: Any, depth: int = 0) -> Any:
    """Copy JSON-like ``value`` (dicts, lists, tuples) so that no container is shared."""
    kind = type(value)
    if kind in _LEAVES or depth > _MAX_COPY_DEPTH:
        return value
    if kind is dict:
        out = value.copy()
        for key, item in value.items():
            if type(item) not in _LEAVES:
                out[key] = _copy(item, depth + 1)
        return out
    if kind is list:
        return [item if type(item) in _LEAVES else _copy(item, depth + 1) for item in value]
    if kind is tuple:
        return tuple(_copy(item, depth + 1) for item in value)
    if isinstance(value, Mapping):
        try:
            return {key: _copy(item, depth + 1) for key, item in value.items()}
        except Exception:  # a broken mapping is handed on for validation to report
            return value
    return value


# The builder keeps each line item as an entry: a tuple ``(make, ...)`` where ``make(entry)``
# returns the line item as a fresh dict.

Entry = tuple[Any, ...]


def _copy_entry(entry: Entry) -> Any:
    """The item of entry ``(_copy_entry, item)``, copied."""
    return _copy(entry[1])


def _dict_copy_entry(entry: Entry) -> Any:
    """The item of entry ``(_dict_copy_entry, item)``, a dict of immutable values, copied."""
    return entry[1].copy()


def _copy_price_data_item(entry: Entry) -> dict[str, Any]:
    """Copy the item of entry ``(_copy_price_data_item, item)`` (a faster :func:`_copy`).

    The item is one ``add_price_data`` made without options.
    """
    item: dict[str, Any] = entry[1]
    out = item.copy()
    price_data = out["price_data"] = item["price_data"].copy()
    product_data = price_data.get("product_data")
    if product_data is not None:
        price_data["product_data"] = product_data.copy()
    return out


def _named_price_data_item(entry: Entry) -> dict[str, Any]:
    """The line item ``add_price_data`` makes from a name, currency, amount and quantity.

    The builder keeps such an item as the recipe ``(_named_price_data_item, currency, name,
    unit_amount, quantity)`` and makes the dict only when building: one fresh dict per call,
    with nothing copied twice.
    """
    _, currency, name, unit_amount, quantity = entry
    return {
        "price_data": {
            "currency": currency,
            "product_data": {"name": name},
            "unit_amount": unit_amount,
        },
        "quantity": quantity,
    }


def _metadata_value(value: object) -> object:
    """Metadata values are strings: numbers and booleans become their string form."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return value


def _metadata(values: object) -> object:
    """``values`` as a metadata dict; anything that is not a mapping is kept for validation."""
    if isinstance(values, Mapping):
        try:
            return {key: _metadata_value(value) for key, value in values.items()}
        except Exception:  # a broken mapping is handed on for validation to report
            return values
    return _copy(values)


def _list(values: object) -> object:
    """An iterable (not a string or mapping) as a list; anything else is kept for validation."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        return values
    try:
        # One more than the validator looks into, so an endless iterator still ends.
        return [_copy(value) for value in islice(values, MAX_CONTAINER + 1)]
    except Exception:  # a broken iterable is handed on for validation to report
        return values


def _currency(code: object) -> object:
    """Currency codes are sent in lowercase."""
    return code.lower() if isinstance(code, str) else code


def _datetime_timestamp(when: datetime) -> float | None:
    """Unix time of ``when`` (naive means UTC), or None if its time zone cannot say."""
    try:
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.timestamp()
    except Exception:  # a broken tzinfo is reported, not raised
        return None


def _timestamp(when: object) -> object:
    """A datetime as a Unix timestamp (naive datetimes are UTC); other values are kept."""
    if isinstance(when, datetime):
        timestamp = _datetime_timestamp(when)
        return when if timestamp is None else int(timestamp)
    return when


def _now_timestamp(now: object) -> float | None:
    """``now`` (datetime, Unix time or None for the current time) as Unix time, or None if bad."""
    if now is None:
        return datetime.now(timezone.utc).timestamp()
    if isinstance(now, datetime):
        return _datetime_timestamp(now)
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        try:
            timestamp = float(now)
        except OverflowError:
            return None
        return timestamp if math.isfinite(timestamp) else None
    return None


def url_with_session_id(url: str) -> str:
    """Return ``url`` with ``session_id={CHECKOUT_SESSION_ID}`` added to its query string.

    Stripe replaces the template with the session's id when it redirects. The braces are kept
    as they are (Stripe looks for them literally); a URL that already has the template is
    returned unchanged, and so is anything that is not a string (validation reports it).
    """
    if type(url) is str and "?" not in url and "#" not in url and SESSION_ID_TEMPLATE not in url:
        return url + _SESSION_ID_QUERY  # the common case, spelled out
    if not isinstance(url, str) or SESSION_ID_TEMPLATE in url:
        return url
    base, hash_sign, fragment = url.partition("#")
    if "?" not in base:
        joiner = "?"
    elif base.endswith(("?", "&")):
        joiner = ""
    else:
        joiner = "&"
    return f"{base}{joiner}session_id={SESSION_ID_TEMPLATE}{hash_sign}{fragment}"


def _drop_none(values: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}


def _adjustable_quantity(value: object) -> object:
    """``True``/``False`` as ``{"enabled": ...}``; a mapping is copied; anything else is kept."""
    if isinstance(value, bool):
        return {"enabled": value}
    return _copy(value)


class SessionBuilder:
    """An immutable, fluent builder of Checkout Session parameters.

    Start from :meth:`payment`, :meth:`subscription`, :meth:`setup` or :meth:`from_params`. Every
    method returns a new builder and leaves the one it was called on unchanged, so one base
    builder can be shared by all the requests (and threads) of an application.

    Methods accept values of any type and never raise: :meth:`build` reports every problem at
    once by raising :class:`~checkoutkit.InvalidSessionError`, and :meth:`problems` lists them
    without raising.
    """

    # All state is one tuple, set once: (fields, items, expires_in, pending).
    #   fields      top-level params other than line_items (a dict never changed after creation)
    #   items       None (no line_items key) or a tuple of entries (make, ...), where
    #               make(entry) returns the line item as a fresh dict (a copy of a dict item, or
    #               the dict
    #               a recipe tuple stands for)
    #   expires_in  the timedelta given to expires_in(), resolved at build time, or None
    #   pending     problems found while assembling (amounts that cannot be converted)
    __slots__ = ("_state",)

    _state: tuple[Any, tuple[Entry, ...] | None, object, tuple[Problem, ...]]

    def __init__(self) -> None:
        """An empty builder (no ``mode`` yet); prefer the entry points such as :meth:`payment`."""
        _set(self, "_state", ({}, None, None, ()))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SessionBuilder is immutable; {name!r} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SessionBuilder is immutable; {name!r} cannot be deleted")

    def __repr__(self) -> str:
        fields, items, expires_in, _ = self._state
        params = dict(fields)
        if items is not None:
            params["line_items"] = [entry[0](entry) for entry in items]
        extra = f", expires_in={expires_in!r}" if expires_in is not None else ""
        return f"SessionBuilder({params!r}{extra})"

    # -- internal constructors ---------------------------------------------------------------

    def _derive(
        self,
        fields: dict[str, Any],
        items: tuple[Entry, ...] | _Keep | None = _KEEP,
        expires_in: object = _KEEP,
        pending: tuple[Problem, ...] | _Keep = _KEEP,
    ) -> SessionBuilder:
        state = self._state
        new = _new(SessionBuilder)
        _set(
            new,
            "_state",
            (
                fields,
                state[1] if items is _KEEP else items,
                state[2] if expires_in is _KEEP else expires_in,
                state[3] if pending is _KEEP else pending,
            ),
        )
        return new

    def _with(self, key: str, value: object) -> SessionBuilder:
        """A builder with top-level ``key`` set to ``value`` (removed when ``value`` is None)."""
        if value is None or key in _SPECIAL_KEYS:
            return self._with_slow(key, value)
        fields, items, delay, pending = self._state
        new = _new(SessionBuilder)
        _set_state(new, ({**fields, key: value}, items, delay, pending))
        return new

    def _with_slow(self, key: str, value: object) -> SessionBuilder:
        if key == "line_items":
            return self._with_line_items(value)
        fields = self._without(key)
        if value is not None:
            fields[key] = value
        if key == "expires_at":
            return self._derive(fields, expires_in=None)
        return self._derive(fields)

    def _without(self, key: str) -> dict[str, Any]:
        return {name: value for name, value in self._state[0].items() if name != key}

    def _merge(self, key: str, values: Mapping[str, object]) -> SessionBuilder:
        """A builder whose sub-object ``key`` has ``values`` (None values skipped) merged in."""
        given = _drop_none(values)
        current = self._state[0].get(key)
        return self._with(key, {**current, **given} if type(current) is dict else given)

    def _append(self, key: str, value: object) -> SessionBuilder:
        """A builder with ``value`` appended to the top-level list ``key``."""
        current = self._state[0].get(key)
        return self._with(key, [*current, value] if type(current) is list else [value])

    def _pending_without(self, key: str) -> tuple[Problem, ...]:
        """The pending problems, less those about the list ``key`` (which is being replaced)."""
        prefix = key + "["
        return tuple(p for p in self._state[3] if not p.param.startswith(prefix))

    def _with_line_items(self, value: object) -> SessionBuilder:
        fields = self._without("line_items")
        pending = self._pending_without("line_items")
        if value is None:
            return self._derive(fields, None, pending=pending)
        copied = _copy(value)
        if type(copied) is list:
            return self._derive(
                fields, tuple((_copy_entry, item) for item in copied), pending=pending
            )
        # Not a list: kept as given for validation to report.
        fields["line_items"] = copied
        return self._derive(fields, None, pending=pending)

    def _add_item(self, entry: Entry, pending: tuple[Problem, ...] = ()) -> SessionBuilder:
        fields, items, delay, old_pending = self._state
        # Concatenation is faster than (*items, entry), which makes a list first.
        items = (entry,) if items is None else items + (entry,)  # noqa: RUF005
        if "line_items" in fields:
            fields = self._without("line_items")  # the new list replaces a non-list value
        new = _new(SessionBuilder)
        _set(
            new,
            "_state",
            (fields, items, delay, (*old_pending, *pending) if pending else old_pending),
        )
        return new

    # -- entry points ------------------------------------------------------------------------

    @classmethod
    def payment(cls) -> SessionBuilder:
        """A builder for a one-time payment (``mode=payment``)."""
        return _PAYMENT

    @classmethod
    def subscription(cls) -> SessionBuilder:
        """A builder for a subscription (``mode=subscription``)."""
        return _SUBSCRIPTION

    @classmethod
    def setup(cls, currency: str | None = None) -> SessionBuilder:
        """A builder that saves a payment method for later (``mode=setup``).

        Stripe needs ``currency`` in setup mode unless ``allowed_payment_method_types`` is set.
        """
        return _SETUP if currency is None else _SETUP._with("currency", _currency(currency))

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | object) -> SessionBuilder:
        """A builder holding a copy of ``params``, a dict in the form the stripe SDK takes.

        ``SessionBuilder.from_params(p).build() == p`` for every valid ``p``. Anything that is
        not a mapping is kept as it is, and :meth:`build` reports it.
        """
        builder = _new(SessionBuilder)
        copied = _copy(params)
        if type(copied) is not dict:
            # Whatever it is, validation says what is wrong with it; the builder starts empty.
            _set(builder, "_state", ({}, None, None, validate_session_params(copied)))
            return builder
        items = None
        if type(copied.get("line_items")) is list:
            items = tuple((_copy_entry, item) for item in copied.pop("line_items"))
        _set(builder, "_state", (copied, items, None, ()))
        return builder

    # -- line items --------------------------------------------------------------------------

    def add_price(
        self,
        price: str,
        quantity: int | None,
        *,
        adjustable_quantity: bool | Mapping[str, Any] | None = None,
        tax_rates: Iterable[str] | None = None,
        dynamic_tax_rates: Iterable[str] | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> SessionBuilder:
        """Add a line item for the Price ``price`` (``price_...``) times ``quantity``.

        ``quantity=None`` leaves the quantity out, as metered prices need.
        ``adjustable_quantity=True`` lets the customer change the quantity (within Stripe's
        defaults); pass ``{"enabled": True, "minimum": 1, "maximum": 10}`` for bounds.
        """
        item: dict[str, Any] = {"price": price}
        if quantity is not None:
            item["quantity"] = quantity
        if (
            adjustable_quantity is None
            and tax_rates is None
            and dynamic_tax_rates is None
            and metadata is None
        ):
            return self._add_item((_dict_copy_entry, item))
        item = self._item_extras(item, adjustable_quantity, tax_rates, dynamic_tax_rates, metadata)
        return self._add_item((_copy_entry, item))

    def add_price_data(
        self,
        *,
        currency: str,
        quantity: int | None,
        name: str | None = None,
        product: str | None = None,
        amount: Decimal | str | int | None = None,
        unit_amount: int | None = None,
        unit_amount_decimal: Decimal | str | None = None,
        recurring: str | Mapping[str, Any] | None = None,
        interval_count: int | None = None,
        tax_behavior: str | None = None,
        description: str | None = None,
        images: Iterable[str] | None = None,
        product_metadata: Mapping[str, object] | None = None,
        tax_code: str | None = None,
        unit_label: str | None = None,
        adjustable_quantity: bool | Mapping[str, Any] | None = None,
        tax_rates: Iterable[str] | None = None,
        dynamic_tax_rates: Iterable[str] | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> SessionBuilder:
        """Add a line item with an inline price (``price_data``).

        The product is either new, named by ``name`` (with the optional ``description``,
        ``images``, ``product_metadata``, ``tax_code`` and ``unit_label``), or an existing
        Product ID given as ``product``.

        The price is ``amount`` in **major** units (``Decimal("19.99")`` or ``"19.99"``; an int
        counts whole units) converted exactly to Stripe's minor units for ``currency``, or
        ``unit_amount`` already in **minor** units (``1999`` cents, or ``500`` yen), or
        ``unit_amount_decimal``. ``currency`` is sent in lowercase.

        ``recurring`` makes it a subscription price: an interval (``"month"``, with an optional
        ``interval_count``) or Stripe's ``{"interval": ..., "interval_count": ...}``.
        """
        if type(currency) is str and currency not in ISO_CURRENCIES:  # those are lowercase
            currency = currency.lower()
        if (
            name is not None
            and quantity is not None
            and product is None
            and unit_amount_decimal is None
            and recurring is None
            and interval_count is None
            and tax_behavior is None
            and images is None
            and product_metadata is None
            and description is None
            and tax_code is None
            and unit_label is None
            and adjustable_quantity is None
            and tax_rates is None
            and dynamic_tax_rates is None
            and metadata is None
        ):
            # The common item: kept as a recipe (see _named_price_data_item).
            if amount is None:
                if unit_amount is None:
                    pass
                elif "line_items" not in (state := self._state)[0]:  # _add_item, inlined
                    entry = (_named_price_data_item, currency, name, unit_amount, quantity)
                    items = state[1]
                    new = _new(SessionBuilder)
                    _set_state(
                        new,
                        (
                            state[0],
                            (entry,) if items is None else items + (entry,),  # noqa: RUF005
                            state[2],
                            state[3],
                        ),
                    )
                    return new
                else:
                    recipe = (_named_price_data_item, currency, name, unit_amount, quantity)
                    return self._add_item(recipe)
            elif unit_amount is None:
                minor = minor_units_or_none(amount, currency)
                if minor is not None:
                    recipe = (_named_price_data_item, currency, name, minor, quantity)
                    return self._add_item(recipe)
        price_data: dict[str, Any] = {"currency": currency}
        if product is not None:
            price_data["product"] = product
        simple = True
        if (
            images is None
            and product_metadata is None
            and description is None
            and tax_code is None
            and unit_label is None
        ):
            if name is not None:
                price_data["product_data"] = {"name": name}
        else:
            simple = False
            price_data["product_data"] = _drop_none(
                {
                    "name": name,
                    "description": description,
                    "images": _list(images) if images is not None else None,
                    "metadata": (
                        _metadata(product_metadata) if product_metadata is not None else None
                    ),
                    "tax_code": tax_code,
                    "unit_label": unit_label,
                }
            )
        if recurring is not None or interval_count is not None:
            simple = False
            if isinstance(recurring, str) or recurring is None:
                price_data["recurring"] = _drop_none(
                    {"interval": recurring, "interval_count": interval_count}
                )
            else:
                price_data["recurring"] = _copy(recurring)
                if interval_count is not None and type(price_data["recurring"]) is dict:
                    price_data["recurring"]["interval_count"] = interval_count
        if tax_behavior is not None:
            price_data["tax_behavior"] = tax_behavior
        pending: tuple[Problem, ...] = ()
        if amount is not None:
            items = self._state[1]
            index = len(items) if items is not None else 0
            param = f"line_items[{index}][price_data][unit_amount]"
            if unit_amount is not None:
                pending = (
                    Problem(
                        param,
                        "unit_amount_xor_unit_amount_decimal",
                        "Give the price once: either amount (in major units, e.g. "
                        "Decimal('19.99')) or unit_amount (in minor units, e.g. 1999), not both.",
                    ),
                )
            else:
                unit_amount, pending = self._minor_units(amount, currency, param)
        if unit_amount is not None:
            price_data["unit_amount"] = unit_amount
        if unit_amount_decimal is not None:
            price_data["unit_amount_decimal"] = unit_amount_decimal
        item: dict[str, Any] = {"price_data": price_data}
        if quantity is not None:
            item["quantity"] = quantity
        if (
            simple
            and adjustable_quantity is None
            and tax_rates is None
            and dynamic_tax_rates is None
            and metadata is None
        ):
            return self._add_item((_copy_price_data_item, item), pending)
        item = self._item_extras(item, adjustable_quantity, tax_rates, dynamic_tax_rates, metadata)
        return self._add_item((_copy_entry, item), pending)

    @staticmethod
    def _minor_units(
        amount: object, currency: object, param: str
    ) -> tuple[int | None, tuple[Problem, ...]]:
        """``amount`` in major units as minor units of ``currency``, or the problems found."""
        if not isinstance(currency, str):
            # No currency to convert with: validation reports the missing or bad currency.
            return None, ()
        try:
            return to_minor_units(amount, currency, param=param), ()  # type: ignore[arg-type]
        except InvalidSessionError as error:
            return None, error.problems
        except (ArithmeticError, ValueError):  # e.g. an exponent beyond Decimal's range
            return None, (
                Problem(
                    param,
                    "maximum_amount_8_digits",
                    "The amount is far beyond the largest amount Stripe accepts.",
                ),
            )

    @staticmethod
    def _item_extras(
        item: dict[str, Any],
        adjustable_quantity: object,
        tax_rates: object,
        dynamic_tax_rates: object,
        metadata: object,
    ) -> dict[str, Any]:
        if adjustable_quantity is not None:
            item["adjustable_quantity"] = _adjustable_quantity(adjustable_quantity)
        if tax_rates is not None:
            item["tax_rates"] = _list(tax_rates)
        if dynamic_tax_rates is not None:
            item["dynamic_tax_rates"] = _list(dynamic_tax_rates)
        if metadata is not None:
            item["metadata"] = _metadata(metadata)
        return item

    def add_line_item(self, item: Mapping[str, Any]) -> SessionBuilder:
        """Add a line item given in the SDK's form (``{"price": ..., "quantity": ...}``)."""
        return self._add_item((_copy_entry, _copy(item)))

    def line_items(self, items: Iterable[Mapping[str, Any]] | None) -> SessionBuilder:
        """Replace all line items with ``items`` (SDK form); ``None`` removes them."""
        return self._with_line_items(_list(items) if items is not None else None)

    def add_optional_item(
        self,
        price: str,
        quantity: int,
        *,
        adjustable_quantity: bool | Mapping[str, Any] | None = None,
    ) -> SessionBuilder:
        """Offer the Price ``price`` as an optional item (a cross-sell the customer may add)."""
        item: dict[str, Any] = {"price": price, "quantity": quantity}
        if adjustable_quantity is not None:
            item["adjustable_quantity"] = _adjustable_quantity(adjustable_quantity)
        return self._append("optional_items", item)

    # -- redirects and presentation ----------------------------------------------------------

    url_with_session_id = staticmethod(url_with_session_id)

    def success_url(self, url: str, *, with_session_id: bool = False) -> SessionBuilder:
        """Where Stripe sends the customer after paying (hosted pages).

        ``with_session_id=True`` appends ``session_id={CHECKOUT_SESSION_ID}`` to the query, which
        Stripe fills in, so the success page can look the session up.
        """
        return self._with("success_url", url_with_session_id(url) if with_session_id else url)

    def cancel_url(self, url: str) -> SessionBuilder:
        """Where Stripe sends the customer who goes back without paying (hosted pages)."""
        return self._with("cancel_url", url)

    def return_url(self, url: str, *, with_session_id: bool = False) -> SessionBuilder:
        """Where embedded and elements sessions send the customer after payment."""
        return self._with("return_url", url_with_session_id(url) if with_session_id else url)

    def redirect_on_completion(self, value: str) -> SessionBuilder:
        """``always``, ``if_required`` or ``never`` (embedded and elements sessions)."""
        return self._with("redirect_on_completion", value)

    def ui_mode(self, value: str) -> SessionBuilder:
        """``hosted_page`` (Stripe's default), ``embedded_page``, ``elements`` or ``form``."""
        return self._with("ui_mode", value)

    def locale(self, value: str) -> SessionBuilder:
        """The language of the payment page (``auto``, ``en``, ``fr-CA``...)."""
        return self._with("locale", value)

    def submit_type(self, value: str) -> SessionBuilder:
        """The pay button's wording: ``auto``, ``book``, ``donate``, ``pay`` or ``subscribe``."""
        return self._with("submit_type", value)

    def currency(self, code: str) -> SessionBuilder:
        """The session's currency (sent in lowercase); setup mode needs it."""
        return self._with("currency", _currency(code))

    # -- customer ----------------------------------------------------------------------------

    def customer(self, customer_id: str) -> SessionBuilder:
        """An existing Customer (``cus_...``) to attach the session to."""
        return self._with("customer", customer_id)

    def customer_email(self, email: str) -> SessionBuilder:
        """Prefill the email of a customer who has no Customer object yet."""
        return self._with("customer_email", email)

    def customer_creation(self, value: str) -> SessionBuilder:
        """``always`` or ``if_required``: when payment mode creates a Customer."""
        return self._with("customer_creation", value)

    def customer_update(
        self, *, address: str | None = None, name: str | None = None, shipping: str | None = None
    ) -> SessionBuilder:
        """Whether to save what the customer enters onto ``customer`` (``auto`` or ``never``)."""
        return self._merge(
            "customer_update", {"address": address, "name": name, "shipping": shipping}
        )

    def client_reference_id(self, value: str) -> SessionBuilder:
        """Your own reference for the session (an order or cart id), up to 200 characters."""
        return self._with("client_reference_id", value)

    def metadata(
        self, values: Mapping[str, object] | None = None, /, **more: object
    ) -> SessionBuilder:
        """Add metadata to the session; numbers and booleans are stored as strings."""
        given: dict[str, object] = {}
        if values is not None:
            converted = _metadata(values)
            if not isinstance(converted, dict):
                return self._with("metadata", converted)
            given.update(converted)
        given.update({key: _metadata_value(value) for key, value in more.items()})
        current = self._state[0].get("metadata")
        return self._with("metadata", {**current, **given} if type(current) is dict else given)

    # -- mode-specific sub-objects -----------------------------------------------------------

    def payment_intent_data(
        self,
        *,
        setup_future_usage: str | None = None,
        capture_method: str | None = None,
        description: str | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        metadata: Mapping[str, object] | None = None,
        receipt_email: str | None = None,
        on_behalf_of: str | None = None,
        application_fee_amount: int | None = None,
        transfer_group: str | None = None,
        transfer_data: Mapping[str, Any] | None = None,
        shipping: Mapping[str, Any] | None = None,
        **more: Any,
    ) -> SessionBuilder:
        """Settings for the PaymentIntent that payment mode creates; merged with earlier calls.

        ``setup_future_usage="off_session"`` saves the card for later charges;
        ``capture_method="manual"`` places a hold that you capture later. ``more`` passes any
        other key Stripe knows.
        """
        return self._merge(
            "payment_intent_data",
            {
                "setup_future_usage": setup_future_usage,
                "capture_method": capture_method,
                "description": description,
                "statement_descriptor": statement_descriptor,
                "statement_descriptor_suffix": statement_descriptor_suffix,
                "metadata": _metadata(metadata) if metadata is not None else None,
                "receipt_email": receipt_email,
                "on_behalf_of": on_behalf_of,
                "application_fee_amount": application_fee_amount,
                "transfer_group": transfer_group,
                "transfer_data": _copy(transfer_data),
                "shipping": _copy(shipping),
                **{key: _copy(value) for key, value in more.items()},
            },
        )

    def subscription_data(
        self,
        *,
        trial_period_days: int | None = None,
        trial_end: datetime | int | None = None,
        metadata: Mapping[str, object] | None = None,
        description: str | None = None,
        billing_cycle_anchor: datetime | int | None = None,
        proration_behavior: str | None = None,
        default_tax_rates: Iterable[str] | None = None,
        trial_settings: Mapping[str, Any] | None = None,
        application_fee_percent: float | None = None,
        on_behalf_of: str | None = None,
        **more: Any,
    ) -> SessionBuilder:
        """Settings for the Subscription that subscription mode creates; merged with earlier calls.

        ``trial_end`` and ``billing_cycle_anchor`` take a datetime (naive means UTC) or a Unix
        timestamp. ``more`` passes any other key Stripe knows.
        """
        return self._merge(
            "subscription_data",
            {
                "trial_period_days": trial_period_days,
                "trial_end": _timestamp(trial_end),
                "metadata": _metadata(metadata) if metadata is not None else None,
                "description": description,
                "billing_cycle_anchor": _timestamp(billing_cycle_anchor),
                "proration_behavior": proration_behavior,
                "default_tax_rates": (
                    _list(default_tax_rates) if default_tax_rates is not None else None
                ),
                "trial_settings": _copy(trial_settings),
                "application_fee_percent": application_fee_percent,
                "on_behalf_of": on_behalf_of,
                **{key: _copy(value) for key, value in more.items()},
            },
        )

    def setup_intent_data(
        self,
        *,
        description: str | None = None,
        metadata: Mapping[str, object] | None = None,
        on_behalf_of: str | None = None,
    ) -> SessionBuilder:
        """Settings for the SetupIntent that setup mode creates; merged with earlier calls."""
        return self._merge(
            "setup_intent_data",
            {
                "description": description,
                "metadata": _metadata(metadata) if metadata is not None else None,
                "on_behalf_of": on_behalf_of,
            },
        )

    def saved_payment_method_options(
        self,
        *,
        payment_method_save: bool | str | None = None,
        payment_method_remove: bool | str | None = None,
        allow_redisplay_filters: Iterable[str] | None = None,
    ) -> SessionBuilder:
        """Let the customer save (and remove) payment methods; ``True`` means ``"enabled"``."""

        def enabled(value: object) -> object:
            if isinstance(value, bool):
                return "enabled" if value else "disabled"
            return value

        return self._merge(
            "saved_payment_method_options",
            {
                "payment_method_save": enabled(payment_method_save),
                "payment_method_remove": enabled(payment_method_remove),
                "allow_redisplay_filters": (
                    _list(allow_redisplay_filters) if allow_redisplay_filters is not None else None
                ),
            },
        )

    # -- discounts ---------------------------------------------------------------------------

    def allow_promotion_codes(self, value: bool = True) -> SessionBuilder:
        """Show a promotion-code field (not together with :meth:`discount`)."""
        return self._with("allow_promotion_codes", value)

    def discount(
        self, *, coupon: str | None = None, promotion_code: str | None = None
    ) -> SessionBuilder:
        """Apply a coupon or a promotion code (Stripe takes one discount per session)."""
        return self._append(
            "discounts", _drop_none({"coupon": coupon, "promotion_code": promotion_code})
        )

    def discounts(self, discounts: Iterable[Mapping[str, Any]] | None) -> SessionBuilder:
        """Replace the discounts with ``discounts`` in the SDK's form; ``None`` removes them."""
        return self._with("discounts", _list(discounts) if discounts is not None else None)

    # -- expiry ------------------------------------------------------------------------------

    def expires_at(self, when: datetime | int) -> SessionBuilder:
        """Expire the session at ``when`` (a datetime, naive means UTC, or a Unix timestamp).

        Stripe accepts 30 minutes to 24 hours after the session is created.
        """
        return self._with("expires_at", _timestamp(when))

    def expires_in(self, delay: timedelta) -> SessionBuilder:
        """Expire the session ``delay`` after the ``now`` given to :meth:`build`.

        Stripe accepts 30 minutes to 24 hours; the check keeps a small safety margin for the time
        between building and Stripe creating the session, so ask for a little more than
        30 minutes and a little less than 24 hours.
        """
        return self._derive(self._without("expires_at"), expires_in=delay)

    # -- collection and presentation options -------------------------------------------------

    def billing_address_collection(self, value: str = "required") -> SessionBuilder:
        """``required`` to always collect the billing address, ``auto`` to let Stripe decide."""
        return self._with("billing_address_collection", value)

    def shipping_address_collection(self, allowed_countries: Iterable[str]) -> SessionBuilder:
        """Collect a shipping address in one of ``allowed_countries`` (``["US", "CA"]``)."""
        return self._with(
            "shipping_address_collection", {"allowed_countries": _list(allowed_countries)}
        )

    def add_shipping_rate(self, shipping_rate: str) -> SessionBuilder:
        """Offer the existing Shipping Rate ``shipping_rate`` (``shr_...``)."""
        return self._append("shipping_options", {"shipping_rate": shipping_rate})

    def add_shipping_rate_data(
        self,
        *,
        display_name: str,
        currency: str,
        amount: Decimal | str | int | None = None,
        fixed_amount: int | None = None,
        delivery_estimate: Mapping[str, Any] | None = None,
        tax_behavior: str | None = None,
        tax_code: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> SessionBuilder:
        """Offer an inline fixed-amount shipping rate.

        Like :meth:`add_price_data`, the price is ``amount`` in major units or ``fixed_amount``
        in minor units.
        """
        current = self._state[0].get("shipping_options")
        index = len(current) if type(current) is list else 0
        currency = cast("str", _currency(currency))
        param = f"shipping_options[{index}][shipping_rate_data][fixed_amount][amount]"
        pending: tuple[Problem, ...] = ()
        if amount is not None:
            if fixed_amount is not None:
                pending = (
                    Problem(
                        param,
                        "unit_amount_xor_unit_amount_decimal",
                        "Give the shipping price once: either amount (in major units) or "
                        "fixed_amount (in minor units), not both.",
                    ),
                )
            else:
                fixed_amount, pending = self._minor_units(amount, currency, param)
        fixed: dict[str, Any] = {"currency": currency}
        if fixed_amount is not None:
            fixed["amount"] = fixed_amount
        rate_data = _drop_none(
            {
                "display_name": display_name,
                "fixed_amount": fixed,
                "delivery_estimate": _copy(delivery_estimate),
                "tax_behavior": tax_behavior,
                "tax_code": tax_code,
                "metadata": _metadata(metadata) if metadata is not None else None,
            }
        )
        new = self._append("shipping_options", {"shipping_rate_data": rate_data})
        return new._derive(new._state[0], pending=(*new._state[3], *pending)) if pending else new

    def phone_number_collection(self, enabled: bool = True) -> SessionBuilder:
        """Ask for the customer's phone number."""
        return self._with("phone_number_collection", {"enabled": enabled})

    def tax_id_collection(
        self, enabled: bool = True, *, required: str | None = None
    ) -> SessionBuilder:
        """Let business customers enter a tax ID (``required="if_supported"`` to insist)."""
        return self._with(
            "tax_id_collection", _drop_none({"enabled": enabled, "required": required})
        )

    def automatic_tax(
        self, enabled: bool = True, *, liability: Mapping[str, Any] | None = None
    ) -> SessionBuilder:
        """Let Stripe Tax compute taxes (Stripe Tax must be set up on the account)."""
        return self._with(
            "automatic_tax", _drop_none({"enabled": enabled, "liability": _copy(liability)})
        )

    def add_custom_field(
        self,
        key: str,
        label: str,
        type: str = "text",
        *,
        optional: bool | None = None,
        options: Iterable[tuple[str, str]] | Iterable[Mapping[str, str]] | None = None,
        default_value: str | None = None,
        minimum_length: int | None = None,
        maximum_length: int | None = None,
    ) -> SessionBuilder:
        """Add a field (``text``, ``numeric`` or ``dropdown``) to the payment page.

        For a dropdown, ``options`` are ``(value, label)`` pairs or Stripe's
        ``{"label": ..., "value": ...}`` mappings.
        """
        field: dict[str, Any] = {
            "key": key,
            "label": {"type": "custom", "custom": label},
            "type": type,
        }
        if optional is not None:
            field["optional"] = optional
        settings = _drop_none(
            {
                "default_value": default_value,
                "minimum_length": minimum_length,
                "maximum_length": maximum_length,
            }
        )
        if options is not None:
            settings["options"] = self._dropdown_options(options)
        if settings and isinstance(type, str):
            field[type] = settings
        return self._append("custom_fields", field)

    @staticmethod
    def _dropdown_options(options: object) -> object:
        listed = _list(options)
        if not isinstance(listed, list):
            return listed
        out: list[object] = []
        for option in listed:
            if type(option) in (tuple, list) and len(option) == 2:
                out.append({"value": option[0], "label": option[1]})
            else:
                out.append(option)
        return out

    def custom_text(
        self,
        *,
        submit: str | None = None,
        after_submit: str | None = None,
        shipping_address: str | None = None,
        terms_of_service_acceptance: str | None = None,
    ) -> SessionBuilder:
        """Text shown on the payment page; merged with earlier calls."""
        messages = {
            "submit": submit,
            "after_submit": after_submit,
            "shipping_address": shipping_address,
            "terms_of_service_acceptance": terms_of_service_acceptance,
        }
        return self._merge(
            "custom_text",
            {key: {"message": text} for key, text in messages.items() if text is not None},
        )

    def consent_collection(
        self,
        *,
        terms_of_service: str | None = None,
        promotions: str | None = None,
        payment_method_reuse_agreement: str | None = None,
    ) -> SessionBuilder:
        """Ask for consent: ``terms_of_service="required"``, ``promotions="auto"``...

        ``payment_method_reuse_agreement`` is the agreement's position (``auto`` or ``hidden``).
        """
        reuse = (
            {"position": payment_method_reuse_agreement}
            if payment_method_reuse_agreement is not None
            else None
        )
        return self._merge(
            "consent_collection",
            {
                "terms_of_service": terms_of_service,
                "promotions": promotions,
                "payment_method_reuse_agreement": reuse,
            },
        )

    def invoice_creation(self, enabled: bool = True, **invoice_data: Any) -> SessionBuilder:
        """Create an invoice after a payment-mode session (``invoice_data`` keys as Stripe's)."""
        value: dict[str, Any] = {"enabled": enabled}
        if invoice_data:
            data = {key: _copy(item) for key, item in invoice_data.items()}
            if "metadata" in data:
                data["metadata"] = _metadata(data["metadata"])
            value["invoice_data"] = data
        return self._with("invoice_creation", value)

    def allowed_payment_method_types(self, *types: str) -> SessionBuilder:
        """Offer only these payment method types (``"card"``, ``"ideal"``...).

        Without it, Stripe offers the methods enabled in the Dashboard.
        """
        return self._with("allowed_payment_method_types", list(types))

    # -- escape hatch ------------------------------------------------------------------------

    def param(self, name: str, value: Any) -> SessionBuilder:
        """Set any other top-level parameter Stripe knows, in the SDK's form.

        ``value=None`` removes the parameter. Names Stripe does not know are reported by
        :meth:`build`.
        """
        given: object = name  # typed as str, but any value may arrive at run time
        if not isinstance(given, str):
            problem = Problem(
                "", "invalid_type", f"Parameter names are strings, not {type(given).__name__}."
            )
            return self._derive(self._state[0], pending=(*self._state[3], problem))
        builder = self._with(name, _copy(value))
        if self._state[3]:  # problems about a list that is now replaced no longer apply
            builder = builder._derive(builder._state[0], pending=self._pending_without(name))
        return builder

    def extra(self, **params: Any) -> SessionBuilder:
        """Set several top-level parameters at once, like :meth:`param`."""
        builder = self
        for name, value in params.items():
            builder = builder.param(name, value)
        return builder

    # -- output ------------------------------------------------------------------------------

    def _params(self, now: float | None) -> tuple[dict[str, Any], tuple[Problem, ...]]:
        """The params as a fresh dict (sharing nothing with the builder), and builder problems."""
        fields, items, delay, pending = self._state
        out = fields.copy()
        for key, value in fields.items():
            if type(value) not in _LEAVES:
                out[key] = _copy(value)
        if items is not None:
            out["line_items"] = [entry[0](entry) for entry in items]
        if delay is not None and now is not None:
            if isinstance(delay, timedelta):
                out["expires_at"] = int(now + delay.total_seconds())
            else:
                out["expires_at"] = delay  # not a timedelta: validation reports it
        return out, pending

    def problems(self, now: datetime | float | None = None) -> tuple[Problem, ...]:
        """Every problem :meth:`build` would report (empty when the params are valid).

        ``now`` is the moment of creation, used by the clock-dependent rules and by
        :meth:`expires_in`: a datetime (naive means UTC), a Unix timestamp, or None for the
        current time.
        """
        return self._check(now)[1]

    def _plain_params(self) -> dict[str, Any] | None:
        """The params, if they are a payment session known valid without the full validation.

        That is when every line item is a recipe (see :func:`_named_price_data_item`) of one
        currency, the values are well typed and in range, and
        :func:`checkoutkit._rules.plain_payment_valid` accepts the rest. The params are built
        in the same pass. None means: build and validate the general way.
        """
        fields, items, delay, pending = self._state
        if not items or delay is not None or pending:
            return None
        line_items: list[dict[str, Any]] = []
        append = line_items.append
        recipe_maker = _named_price_data_item
        first: object = _KEEP  # no currency yet (a recipe never holds _KEEP)
        limit = total = 0
        whole = False
        for entry in items:
            if entry[0] is not recipe_maker:
                return None
            _, currency, name, amount, quantity = entry
            if currency is not first:
                if type(currency) is not str:
                    return None
                if first is _KEEP:
                    limits = plain_amount_limits(currency)
                    if limits is None:
                        return None
                    limit, whole = limits
                    first = currency
                elif currency != first:
                    return None
            if (
                type(name) is not str
                or type(amount) is not int
                or type(quantity) is not int
                or not name
                or not 0 <= amount <= limit
                or quantity < 1
                or (whole and amount % 100)
            ):
                return None
            total += amount * quantity
            append(
                {
                    "price_data": {
                        "currency": currency,
                        "product_data": {"name": name},
                        "unit_amount": amount,
                    },
                    "quantity": quantity,
                }
            )
        if not plain_payment_valid(fields, cast("str", first), total, len(line_items)):
            return None
        params: dict[str, Any] = fields.copy()  # the values are all strings
        params["line_items"] = line_items
        return params

    def _check(self, now: object) -> tuple[dict[str, Any], tuple[Problem, ...]]:
        if (
            now is None
            or (type(now) is int and -_HUGE < now < _HUGE)
            or _now_timestamp(now) is not None
        ):
            params = self._plain_params()
            if params is not None:
                return params, ()
        timestamp = _now_timestamp(now)
        params, pending = self._params(timestamp)
        if timestamp is None:
            pending = (
                *pending,
                Problem(
                    "",
                    "invalid_type",
                    f"now must be a datetime, a Unix timestamp or None, not {now!r}.",
                ),
            )
            found = validate_session_params(params)
        else:
            found = validate_session_params(params, now=timestamp)
        if not pending:
            return params, found
        # An amount that could not be converted is missing from the params; the problem that
        # says why replaces validation's report of the missing amount.
        unconverted = {problem.param for problem in pending}
        found = tuple(
            problem
            for problem in found
            if not (
                (problem.code == "parameter_missing" and problem.param in unconverted)
                or (
                    problem.code == "unit_amount_xor_unit_amount_decimal"
                    and problem.param + "[unit_amount]" in unconverted
                )
            )
        )
        return params, (*pending, *found)

    def build(self, now: datetime | float | None = None) -> SessionCreateParams:
        """The session params, exactly as ``StripeClient.v1.checkout.sessions.create`` takes them.

        The result is a new dict each time, with only the keys that were asked for. Raises
        :class:`~checkoutkit.InvalidSessionError` listing every problem when Stripe would reject
        the params. ``now`` is as for :meth:`problems`.
        """
        if now is None or (type(now) is int and -_HUGE < now < _HUGE):
            plain = self._plain_params()  # as in _check, without its detour
            if plain is not None:
                return cast("SessionCreateParams", plain)
        params, found = self._check(now)
        if found:
            raise InvalidSessionError(found)
        return cast("SessionCreateParams", params)


# Sets the state of a new builder (faster than object.__setattr__).
_set_state: Final[Callable[[SessionBuilder, object], None]] = SessionBuilder.__dict__[
    "_state"
].__set__

_PAYMENT: Final = SessionBuilder()._with("mode", "payment")
_SUBSCRIPTION: Final = SessionBuilder()._with("mode", "subscription")
_SETUP: Final = SessionBuilder()._with("mode", "setup")
