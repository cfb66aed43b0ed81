"""The shape walk: each value against the spec compiled from the stripe SDK's typed params.

It reports unknown keys, wrong types, enum values the API does not take, missing required keys,
lengths, list sizes and numeric bounds (see :mod:`checkoutkit._rules._spec`). It only reads the
input, and input of any shape yields problems, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from checkoutkit._rules._common import (
    MAX_CONTAINER,
    Loc,
    Report,
    as_decimal,
    check_currency,
    describe,
    number,
    render,
)
from checkoutkit._rules._spec import REQUEST_OPTION_KEYS, Kind, Spec

__all__ = ["check_shape"]

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

# Hints added to the message of an unknown key, by its rule id.
_UNKNOWN_HINTS = {
    "legacy_line_item_params_removed": (
        " Line items take a price or price_data since API version 2022-08-01."
    ),
    "pwyw_requires_price_object": (
        " Pay-what-you-want needs a Price with custom_unit_amount, passed by ID."
    ),
    "price_data_recurring_fields": (
        " Inline recurring prices take only interval and interval_count."
    ),
}


def check_shape(spec: Spec, params: dict[Any, Any], out: Report) -> None:
    """Report every way ``params`` does not fit ``spec`` (the root spec of the session)."""
    _object(spec, params, None, out)


def _check(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    """Check ``value`` (never None) against ``spec``."""
    _BY_KIND[spec.kind](spec, value, loc, out)


def _not_kind(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    """``value`` is not of the spec's kind: fine if it is an empty string the spec allows."""
    if isinstance(value, str) and not value:
        if not spec.empty_ok:
            name = render(loc)
            out.add(
                loc,
                "parameter_invalid_empty",
                f"You passed an empty string for '{name}'. Stripe reads an empty value as an "
                f"attempt to unset a parameter, and '{name}' cannot be unset: leave it out or "
                "give a non-empty value.",
            )
        return
    wanted = _TYPE_NAMES.get(spec.kind, "a value")
    if isinstance(value, bool) and spec.kind in (Kind.INT, Kind.NUMBER, Kind.DECIMAL):
        message = f"Expected {wanted}, got the boolean {value}."
    elif isinstance(value, float) and spec.kind == Kind.DECIMAL:
        message = f"Expected {wanted}; floats are inexact, use Decimal or a string."
    else:
        message = f"Expected {wanted}, got {type(value).__name__} {describe(value)}."
    out.add(loc, "invalid_type", message)


def _object_kind(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if isinstance(value, dict):
        _object(spec, value, loc, out)
    else:
        _not_kind(spec, value, loc, out)


def _str(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if not isinstance(value, str) or not value:
        _not_kind(spec, value, loc, out)
    elif spec.max_len is not None and len(value) > spec.max_len:
        out.add(
            loc,
            spec.limit_code,
            f"At most {spec.max_len} characters are allowed; this has {len(value)}.",
        )


def _enum(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if not isinstance(value, str) or not value:
        _not_kind(spec, value, loc, out)
        return
    text = value if type(value) is str else str.__str__(value)
    if text not in spec.enum:
        if len(spec.enum) <= 25:
            allowed = "one of: " + ", ".join(sorted(spec.enum))
        else:
            allowed = f"one of the {len(spec.enum)} values the API accepts"
        out.add(loc, spec.enum_code, f"{describe(text)} is not {allowed}.")


def _int(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _not_kind(spec, value, loc, out)
    elif spec.limit_code:
        _bounds(spec, value, loc, out)


def _bool(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if value is not True and value is not False:
        _not_kind(spec, value, loc, out)


def _decimal(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if as_decimal(value) is None:
        _not_kind(spec, value, loc, out)


def _number(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    found = None if isinstance(value, bool) else as_decimal(value, floats=True)
    if found is None:
        _not_kind(spec, value, loc, out)
    elif spec.limit_code:
        _bounds(spec, found, loc, out)


def _any(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    """Whatever a newer SDK types in a way this module does not know: accepted."""


def _bounds(spec: Spec, value: int | Decimal, loc: Loc, out: Report) -> None:
    if spec.minimum is not None and value < spec.minimum:
        out.add(loc, spec.limit_code, f"Must be at least {spec.minimum}; got {number(value)}.")
    elif spec.maximum is not None and value > spec.maximum:
        out.add(loc, spec.limit_code, f"Must be at most {spec.maximum}; got {number(value)}.")


def _too_big(
    container: dict[Any, Any] | list[Any] | tuple[Any, ...], loc: Loc, out: Report
) -> None:
    out.add(
        loc,
        "too_many_items",
        f"{len(container)} entries is far more than Stripe accepts; not checked further.",
    )


def _object(spec: Spec, value: dict[Any, Any], loc: Loc, out: Report) -> None:
    if len(value) > MAX_CONTAINER:
        _too_big(value, loc, out)
        return
    fields = spec.fields
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            if item is not None:  # the stripe SDK leaves None values out of the request
                _unknown(spec, key, loc, out)
        elif item is None:
            if key in spec.required_set:  # None is not sent, so the key is missing
                _missing(spec, key, loc, out)
        else:
            _BY_KIND[field.kind](field, item, (loc, key), out)
    required = spec.required_set
    if required and not required <= value.keys():
        for key in spec.required:
            if key not in value:
                _missing(spec, key, loc, out)


def _missing(spec: Spec, key: str, loc: Loc, out: Report) -> None:
    code = spec.required_codes.get(key, "parameter_missing")
    out.add((loc, key), code, f"Missing required parameter {render((loc, key))}.")


def _unknown(spec: Spec, key: object, loc: Loc, out: Report) -> None:
    if not isinstance(key, str):
        out.add(loc, "invalid_type", f"Parameter names must be strings, not {describe(key)}.")
        return
    code = spec.unknown_codes.get(key, "unknown_parameter")
    message = f"Received unknown parameter: {render((loc, key))}."
    if loc is None and key in REQUEST_OPTION_KEYS:
        message += " It is a request option: pass it to the client call, not in the params."
    elif loc is None and key == "payment_method_types":
        message += " Since API version 2026-03-25 it is named allowed_payment_method_types."
    else:
        message += _UNKNOWN_HINTS.get(code, "")
    out.add((loc, key), code, message)


def _list(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if not isinstance(value, (list, tuple)):
        _not_kind(spec, value, loc, out)
        return
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
    check = _BY_KIND[item_spec.kind]
    for index, item in enumerate(value):
        if item is None:
            out.add((loc, index), "invalid_type", "A list entry cannot be None.")
        else:
            check(item_spec, item, (loc, index), out)


def _map(spec: Spec, value: object, loc: Loc, out: Report) -> None:
    if not isinstance(value, dict):
        _not_kind(spec, value, loc, out)
        return
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
            out.add(loc, "invalid_type", f"Keys must be strings, not {describe(key)}.")
            continue
        if metadata:
            _metadata_entry(key, item, loc, out)
        elif spec.key_rule == "currency":
            check_currency(key, (loc, key), out)
        if item is not None and item_spec is not None and not (metadata and item == ""):
            # An empty metadata value unsets a key on update and is harmless on create.
            _check(item_spec, item, (loc, key), out)


def _metadata_entry(key: str, item: object, loc: Loc, out: Report) -> None:
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
            f"Metadata key {describe(key)} contains a square bracket.",
        )
    if isinstance(item, str) and len(item) > 500:
        out.add(
            (loc, key),
            "metadata_key_40_value_500",
            f"Metadata values are at most 500 characters; this one has {len(item)}.",
        )


_BY_KIND: dict[int, Callable[[Spec, Any, Loc, Report], None]] = {
    Kind.ANY: _any,
    Kind.STR: _str,
    Kind.ENUM: _enum,
    Kind.INT: _int,
    Kind.BOOL: _bool,
    Kind.DECIMAL: _decimal,
    Kind.NUMBER: _number,
    Kind.OBJECT: _object_kind,
    Kind.LIST: _list,
    Kind.MAP: _map,
}
