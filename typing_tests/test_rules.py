"""Type-checked only: validation and currency conversion have the signatures users rely on."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from typing_extensions import assert_type

from checkoutkit import Problem, from_minor_units, to_minor_units, validate_session_params

params = {"mode": "payment", "line_items": [{"price": "price_123", "quantity": 1}]}
assert_type(validate_session_params(params), tuple[Problem, ...])
assert_type(validate_session_params(params, now=1_800_000_000), tuple[Problem, ...])
assert_type(validate_session_params(params, now=datetime.now(timezone.utc)), tuple[Problem, ...])
assert_type(validate_session_params(None), tuple[Problem, ...])

assert_type(to_minor_units(Decimal("19.99"), "usd"), int)
assert_type(to_minor_units("19.99", "usd", param="line_items[0]"), int)
assert_type(to_minor_units(5, "jpy"), int)
assert_type(from_minor_units(1999, "usd"), Decimal)
to_minor_units(19.99, "usd")  # type: ignore[arg-type]  # floats are refused by the types too
