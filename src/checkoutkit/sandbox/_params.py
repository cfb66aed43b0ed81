"""Stripe's form encoding: ``a[b][0][c]=v`` bracket keys into nested dicts and lists.

The stripe SDK encodes lists with explicit indexes (``expand[0]=x``) and booleans as
``true``/``false``; other clients send ``expand[]=x``. Both parse the same way here. Values
stay strings except where Stripe's schema says integer or boolean (see :func:`coerce`).

Parsing is bounded whatever the client sends: keys nest at most :data:`MAX_DEPTH` brackets
deep, list indexes are ASCII digits of at most :data:`MAX_INDEX_DIGITS`, integers ASCII digits
of at most 30, and decimals (:func:`parse_decimal`) plain ASCII digits with one optional point;
anything else is a 400 naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from checkoutkit._rules import Kind, Spec, session_create_spec
from checkoutkit.sandbox._errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"-?[0-9]{1,30}")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

#: Brackets a key may nest (Stripe's deepest Checkout parameter has six).
MAX_DEPTH = 12
#: Digits a list index may have.
MAX_INDEX_DIGITS = 6
#: Characters a decimal value may have.
MAX_DECIMAL_CHARS = 40

#: Keys whose values Stripe's schema types as integers.
INT_KEYS = frozenset(
    {
        "amount",
        "amount_to_capture",
        "billing_cycle_anchor",
        "days_until_due",
        "expires_at",
        "frozen_time",
        "interval_count",
        "limit",
        "maximum",
        "minimum",
        "preset",
        "quantity",
        "seconds",
        "trial_end",
        "trial_period_days",
        "unit_amount",
        "exp_month",
        "exp_year",
        "gt",
        "gte",
        "lt",
        "lte",
    }
)

#: Keys whose values Stripe's schema types as booleans (outside Checkout Session create, which
#: goes by the SDK-derived spec: :func:`coerce_form_params`). Any other
#: ``true``/``false`` is text, e.g. a product or customer name.
BOOL_KEYS = frozenset(
    {"active", "cancel_at_period_end", "enabled", "invoice_now", "prorate", "save", "shippable"}
)

#: Keys under which every value is free text (never coerced).
_TEXT_CONTAINERS = frozenset({"metadata"})


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Parse ``(key, value)`` pairs with bracket keys into nested dicts and lists.

    A dict whose keys are all decimal indexes becomes a list in index order (except a
    ``metadata`` map, whose keys are text); ``a[]`` appends.
    Conflicting shapes (``a=1`` and ``a[b]=2``) are a 400 error naming the parameter.
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        if key.count("[") > MAX_DEPTH:
            shown = key[: key.index("[")] if key.index("[") else key[:40]
            raise invalid(
                f"Invalid parameter name: {shown}[…] nests more than {MAX_DEPTH} brackets deep.",
                param=shown,
            )
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node: dict[str, Any] = root
        for depth, segment in enumerate(path):
            last = depth == len(path) - 1
            part = segment or str(sum(1 for k in node if is_index(k)))
            if last:
                if isinstance(node.get(part), dict):
                    raise invalid(f"Invalid hash: {_bracket(path)}", param=_bracket(path))
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(
                        f"Invalid hash: {_bracket(path[: depth + 1])}",
                        param=_bracket(path[: depth + 1]),
                    )
                node = child
    # The request itself is always a map of parameters, even if every name is a number.
    return {k: _listify(v, text=k in _TEXT_CONTAINERS) for k, v in root.items()}


def _listify(node: Any, *, text: bool = False) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v, text=k in _TEXT_CONTAINERS) for k, v in node.items()}
    if items and not text and all(is_index(k) for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def is_index(key: object) -> bool:
    """Whether ``key`` is a list index: ASCII digits, at most :data:`MAX_INDEX_DIGITS`."""
    return (
        isinstance(key, str)
        and 0 < len(key) <= MAX_INDEX_DIGITS
        and key.isascii()
        and key.isdigit()
    )


def parse_int(text: str) -> int | None:
    """``text`` as an int if it is ASCII digits (at most 30, optional minus), else None."""
    return int(text) if _INTEGER.fullmatch(text) else None


def parse_decimal(text: str) -> Decimal | None:
    """``text`` as a Decimal if it is ASCII digits with at most one point, else None.

    ``Decimal()`` itself also reads exponents (``1e999999999``, which no arithmetic survives),
    underscores and non-ASCII digits; none of these is a way to write an amount.
    """
    if len(text) > MAX_DECIMAL_CHARS or not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


def _bracket(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


def coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Turn schema-integer keys into ints and boolean keys' ``true``/``false`` into bools.

    Values under ``metadata`` and every other key stay strings. A non-integer where an integer
    belongs is Stripe's ``parameter_invalid_integer`` error, naming the parameter in bracket
    form.
    """
    return _coerce(params, "", text=False)  # type: ignore[no-any-return]


def _coerce(node: Any, where: str, *, text: bool, key: str = "") -> Any:
    if isinstance(node, dict):
        return {
            k: _coerce(
                v,
                f"{where}[{k}]" if where else k,
                text=text or k in _TEXT_CONTAINERS,
                key=k,
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_coerce(v, f"{where}[{i}]", text=text, key=key) for i, v in enumerate(node)]
    if text or not isinstance(node, str):
        return node
    if key in INT_KEYS:
        number = parse_int(node)
        if number is None:
            shown = node if len(node) <= 40 else node[:37] + "..."
            raise invalid(
                f"Invalid integer: {shown}", param=where, code="parameter_invalid_integer"
            )
        return number
    if key in BOOL_KEYS:
        if node == "true":
            return True
        if node == "false":
            return False
    return node


def reject_unknown(params: dict[str, Any], allowed: Iterable[str]) -> None:
    """Stripe's ``parameter_unknown`` error for a top-level key it does not accept."""
    allowed_set = set(allowed) | {"expand"}
    for key in params:
        if key not in allowed_set:
            raise invalid(f"Received unknown parameter: {key}", param=key, code="parameter_unknown")


def drop_unset(params: dict[str, Any], spec: Spec) -> dict[str, Any]:
    """``params`` without the empty strings that mean "unset" where ``spec`` allows one.

    Stripe reads ``""`` as "leave this parameter unset"; where a parameter cannot be unset it
    refuses the request with ``parameter_invalid_empty``, which the shared rules report.
    """
    fields = spec.fields
    out: dict[str, Any] = {}
    for key, value in params.items():
        field = fields.get(key)
        if field is None:
            out[key] = value
        elif value == "" and field.empty_ok:
            continue
        elif isinstance(value, dict) and field.kind == Kind.OBJECT:
            out[key] = drop_unset(value, field)
        elif isinstance(value, list) and field.item is not None and field.item.kind == Kind.OBJECT:
            item = field.item
            out[key] = [drop_unset(v, item) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def coerce_form_params(params: dict[str, Any]) -> dict[str, Any]:
    """Give form-decoded Checkout Session params the types the stripe SDK would have sent.

    A form body carries only strings; Stripe reads them by its schema. Along the spec that
    :func:`checkoutkit.validate_session_params` walks, this turns integer parameters' digit
    strings into ``int``, boolean parameters' ``"true"``/``"false"`` into ``bool``, and dicts
    keyed ``"0"``, ``"1"``, … where a list belongs into lists. Everything else (text, metadata,
    unknown keys, values that do not parse) is kept as it is, for validation to judge. The input
    is not changed.
    """
    return _coerce_object(session_create_spec(), params)


def _coerce_object(spec: Spec, value: dict[Any, Any]) -> dict[Any, Any]:
    fields = spec.fields
    return {
        key: _coerce_by_spec(fields[key], item) if key in fields else item
        for key, item in value.items()
    }


def _coerce_by_spec(spec: Spec, value: object) -> object:
    kind = spec.kind
    if kind == Kind.INT and isinstance(value, str):
        number = parse_int(value)
        return value if number is None else number
    if kind == Kind.BOOL and isinstance(value, str):
        return {"true": True, "false": False}.get(value, value)
    if kind == Kind.OBJECT and isinstance(value, dict):
        return _coerce_object(spec, value)
    if kind == Kind.LIST and spec.item is not None:
        if isinstance(value, dict) and value and all(is_index(k) for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if isinstance(value, list):
            item_spec = spec.item
            return [_coerce_by_spec(item_spec, item) for item in value]
        return value
    if kind == Kind.MAP and spec.item is not None and isinstance(value, dict):
        item_spec = spec.item
        return {key: _coerce_by_spec(item_spec, item) for key, item in value.items()}
    return value
