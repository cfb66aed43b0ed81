"""What the shape walk and the rules share: the problem report and tolerant readers.

Every reader here accepts values of the wrong type (the shape walk reports those), so a rule can
read any input without raising.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from checkoutkit import _currencies as cur
from checkoutkit._problems import Problem

__all__ = [
    "MAX_CONTAINER",
    "Loc",
    "Report",
    "amount_ok",
    "as_decimal",
    "check_amount",
    "check_currency",
    "describe",
    "dig",
    "get_dict",
    "get_int",
    "get_seq",
    "get_str",
    "max_amount",
    "number",
    "present",
    "render",
]

#: Lists and mappings longer than this are reported once and not looked into. No Checkout
#: parameter allows anywhere near this many entries.
MAX_CONTAINER = 1000

ISO = cur.ISO_CURRENCIES
WHOLE_UNITS = cur.WHOLE_UNITS_ONLY

# A location is a linked list ``(parent, key)`` so that a bracket-form name is only built for
# parameters that have a problem.
Loc = tuple[Any, Any] | None


def render(loc: Loc) -> str:
    """The bracket form of a location: ``line_items[0][quantity]``."""
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


class Report:
    """Collects problems; ``add`` takes a location or an already rendered param."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: Loc | str, code: str, message: str) -> None:
        """Report a problem of the parameter ``where``."""
        param = where if isinstance(where, str) else render(where)
        self.problems.append(Problem(param, code, message))


def describe(value: object) -> str:
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


def number(value: object) -> str:
    """A number from the input for a message; very large ones are not printed in full."""
    if isinstance(value, (int, Decimal)) and not -(10**30) < value < 10**30:
        return "a number of more than 30 digits"
    return str(value)


def as_decimal(value: object, *, floats: bool = False) -> Decimal | None:
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


def present(value: object) -> bool:
    """Whether the stripe SDK sends anything for ``value`` (None, {} and [] send nothing)."""
    if value is None:
        return False
    if isinstance(value, (dict, list, tuple)):
        return len(value) > 0
    return True


def get_dict(value: object) -> dict[Any, Any]:
    """``value`` if it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def get_seq(value: object) -> list[Any] | tuple[Any, ...]:
    """``value`` if it is a list or tuple the walk looked into, else an empty tuple."""
    if isinstance(value, (list, tuple)) and len(value) <= MAX_CONTAINER:
        return value
    return ()


def get_int(value: object) -> int | None:
    """``value`` if it is an int (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def get_str(value: object) -> str | None:
    """``value`` if it is a str, else None."""
    return value if isinstance(value, str) else None


def dig(params: dict[Any, Any], path: tuple[str, ...]) -> object:
    """The value at ``path`` in nested dicts, or None."""
    value: object = params
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def check_currency(value: object, where: Loc | str, out: Report) -> str | None:
    """Report a code that is not a currency; return it lowercased if it is one."""
    if not isinstance(value, str):
        return None
    code = value.lower()
    if code in ISO:
        return code
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        out.add(
            where,
            "currency_iso_format",
            f"{describe(value)} is not a three-letter ISO 4217 currency code.",
        )
    else:
        out.add(where, "currency_supported", f"{describe(value)} is not an ISO 4217 currency.")
    return None


def max_amount(currency: str) -> int:
    """The largest amount Stripe accepts in ``currency`` (a valid lowercase code)."""
    return cur.MAXIMUM_AMOUNT.get(currency, cur.DEFAULT_MAXIMUM_AMOUNT)


def amount_ok(amount: int | Decimal, currency: str) -> bool:
    """Whether ``amount`` passes :func:`check_amount`."""
    return amount <= max_amount(currency) and not (currency in WHOLE_UNITS and amount % 100)


def check_amount(amount: int | Decimal, currency: str, param: str, out: Report) -> None:
    """Per-amount currency rules: whole units for isk/ugx, and the maximum amount."""
    if currency in WHOLE_UNITS and amount % 100:
        out.add(
            param,
            "zero_decimal_currency_amounts",
            f"{currency} is charged in whole units: {number(amount)} is not divisible by 100.",
        )
    limit = max_amount(currency)
    if amount > limit:
        out.add(
            param,
            "maximum_amount_8_digits",
            f"The largest amount Stripe accepts in {currency} is {limit}; got {number(amount)}.",
        )
