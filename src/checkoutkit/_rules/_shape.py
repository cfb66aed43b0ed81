"""The shape walk: each value against the spec compiled from the stripe SDK's typed params.

It reports unknown keys, wrong types, enum values the API does not take, missing required keys,
lengths, list sizes and numeric bounds (see :mod:`checkoutkit._rules._spec`). It only reads the
input, and input of any shape yields problems, never an exception.

:func:`compile_shape` turns a :class:`~checkoutkit._rules._spec.Spec` tree, once, into a tree of
checks: one function per parameter, chosen for its kind and limits when the tree is compiled,
with the checks of an object's keys in a dict. The walk calls each value's check directly and
builds a value's location only when it has a problem.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
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
from checkoutkit._rules._spec import REQUEST_OPTION_KEYS, Kind, Spec, session_create_spec

__all__ = ["Check", "ShapeCheck", "check_session_shape", "compile_shape"]

#: The check of one parameter: ``check(value, parent, key, out)`` reports the problems of
#: ``value`` (never None), found at ``key`` of the parameter located at ``parent``.
Check = Callable[[Any, Loc, Any, Report], None]
#: The check of a whole request: ``check(params, out)``.
ShapeCheck = Callable[[dict[Any, Any], Report], None]

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


@cache
def _session_check() -> ShapeCheck:
    return compile_shape(session_create_spec())


def check_session_shape(params: dict[Any, Any], out: Report) -> None:
    """Report every way ``params`` does not fit the Checkout Session create spec."""
    _session_check()(params, out)


def compile_shape(spec: Spec) -> ShapeCheck:
    """The check of a request whose root spec (an OBJECT) is ``spec``."""
    check = _object_check(spec, root=True)

    def check_request(params: dict[Any, Any], out: Report) -> None:
        check(params, None, None, out)

    return check_request


def _compile(spec: Spec) -> Check:
    """The check of one parameter, chosen for its kind and limits."""
    return _COMPILERS[spec.kind](spec)


# -- the checks of each kind -------------------------------------------------------------------


def _any(spec: Spec) -> Check:
    """Whatever a newer SDK types in a way this module does not know: accepted."""

    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        pass

    return check


def _str(spec: Spec) -> Check:
    max_len, code = spec.max_len, spec.limit_code
    if max_len is None:

        def check(value: object, parent: Loc, key: object, out: Report) -> None:
            if not isinstance(value, str) or not value:
                _not_kind(spec, value, (parent, key), out)

        return check

    def check_length(value: object, parent: Loc, key: object, out: Report) -> None:
        if not isinstance(value, str) or not value:
            _not_kind(spec, value, (parent, key), out)
        elif len(value) > max_len:
            out.add(
                (parent, key),
                code,
                f"At most {max_len} characters are allowed; this has {len(value)}.",
            )

    return check_length


def _enum(spec: Spec) -> Check:
    allowed = spec.enum

    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        if type(value) is str and value in allowed:  # "" is never in ``allowed``
            return
        if not isinstance(value, str) or not value:
            _not_kind(spec, value, (parent, key), out)
            return
        text = value if type(value) is str else str.__str__(value)
        if text not in allowed:
            if len(allowed) <= 25:
                wanted = "one of: " + ", ".join(sorted(allowed))
            else:
                wanted = f"one of the {len(allowed)} values the API accepts"
            out.add((parent, key), spec.enum_code, f"{describe(text)} is not {wanted}.")

    return check


def _int(spec: Spec) -> Check:
    if not spec.limit_code:

        def check(value: object, parent: Loc, key: object, out: Report) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                _not_kind(spec, value, (parent, key), out)

        return check

    low, high = spec.minimum, spec.maximum

    def check_bounds(value: object, parent: Loc, key: object, out: Report) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            _not_kind(spec, value, (parent, key), out)
        elif (low is not None and value < low) or (high is not None and value > high):
            _bounds(spec, value, (parent, key), out)

    return check_bounds


def _bool(spec: Spec) -> Check:
    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        if value is not True and value is not False:
            _not_kind(spec, value, (parent, key), out)

    return check


def _decimal(spec: Spec) -> Check:
    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        if as_decimal(value) is None:
            _not_kind(spec, value, (parent, key), out)

    return check


def _number(spec: Spec) -> Check:
    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        found = None if isinstance(value, bool) else as_decimal(value, floats=True)
        if found is None:
            _not_kind(spec, value, (parent, key), out)
        elif spec.limit_code:
            _bounds(spec, found, (parent, key), out)

    return check


def _object(spec: Spec) -> Check:
    return _object_check(spec, root=False)


def _object_check(spec: Spec, *, root: bool) -> Check:
    """The check of an OBJECT: a dict whose keys each have their own check.

    The request itself (``root``) has no location of its own: its ``parent`` and ``key`` are
    ignored.
    """
    get = {key: _compile(field) for key, field in spec.fields.items()}.get
    required, required_keys = spec.required_set, spec.required

    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        loc = None if root else (parent, key)
        if not isinstance(value, dict):
            _not_kind(spec, value, loc, out)
            return
        if len(value) > MAX_CONTAINER:
            _too_big(value, loc, out)
            return
        for name, item in value.items():
            check_item = get(name)
            if check_item is None:
                if item is not None:  # the stripe SDK leaves None values out of the request
                    _unknown(spec, name, loc, out)
            elif item is not None:
                check_item(item, loc, name, out)
            elif name in required:  # None is not sent, so the key is missing
                _missing(spec, name, loc, out)
        for name in required_keys:
            if name not in value:
                _missing(spec, name, loc, out)

    return check


def _list(spec: Spec) -> Check:
    max_items, code = spec.max_items, spec.limit_code
    item_check = None if spec.item is None else _compile(spec.item)

    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        if not isinstance(value, (list, tuple)):
            _not_kind(spec, value, (parent, key), out)
            return
        if max_items is not None and len(value) > max_items:
            out.add(
                (parent, key),
                code,
                f"At most {max_items} entries are allowed; got {len(value)}.",
            )
        if len(value) > MAX_CONTAINER:
            _too_big(value, (parent, key), out)
            return
        if item_check is None:
            return
        loc = (parent, key)
        for index, item in enumerate(value):
            if item is None:
                out.add((loc, index), "invalid_type", "A list entry cannot be None.")
            else:
                item_check(item, loc, index, out)

    return check


def _map(spec: Spec) -> Check:
    max_items, code = spec.max_items, spec.limit_code
    item_check = None if spec.item is None else _compile(spec.item)
    metadata = spec.key_rule == "metadata"
    currency = spec.key_rule == "currency"

    def check(value: object, parent: Loc, key: object, out: Report) -> None:
        if not isinstance(value, dict):
            _not_kind(spec, value, (parent, key), out)
            return
        loc = (parent, key)
        if max_items is not None and len(value) > max_items:
            out.add(loc, code, f"At most {max_items} keys are allowed; got {len(value)}.")
        if len(value) > MAX_CONTAINER:
            _too_big(value, loc, out)
            return
        for name, item in value.items():
            if not isinstance(name, str):
                out.add(loc, "invalid_type", f"Keys must be strings, not {describe(name)}.")
                continue
            if metadata:
                _metadata_entry(name, item, loc, out)
            elif currency:
                check_currency(name, (loc, name), out)
            if item is not None and item_check is not None and not (metadata and item == ""):
                # An empty metadata value unsets a key on update and is harmless on create.
                item_check(item, loc, name, out)

    return check


_COMPILERS: dict[int, Callable[[Spec], Check]] = {
    Kind.ANY: _any,
    Kind.STR: _str,
    Kind.ENUM: _enum,
    Kind.INT: _int,
    Kind.BOOL: _bool,
    Kind.DECIMAL: _decimal,
    Kind.NUMBER: _number,
    Kind.OBJECT: _object,
    Kind.LIST: _list,
    Kind.MAP: _map,
}


# -- problems ----------------------------------------------------------------------------------


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
