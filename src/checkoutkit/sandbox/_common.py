"""Shared by the sandbox's behaviour modules: the API version and where a change came from."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import attrs

#: The API version the sandbox account answers and stamps on events (stripe 16's pin).
API_VERSION = "2026-10-28.endive"


@attrs.frozen
class RequestInfo:
    """Where a change came from: the API request's ID and idempotency key (Event.request)."""

    id: str | None = None
    idempotency_key: str | None = None


def round_half_up(value: Decimal) -> int:
    """An amount in minor units, rounded half up as Stripe rounds decimal unit amounts."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
