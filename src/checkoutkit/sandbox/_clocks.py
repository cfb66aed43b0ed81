"""Stripe's test clocks (``/v1/test_helpers/test_clocks``): frozen time that tests advance.

A customer created with ``test_clock=clock_…`` lives in that clock's time, and so do its
subscriptions and invoices (:func:`._billing.now_for`). Advancing the clock runs every renewal
that falls due on the way (:func:`._billing.run_renewals`); as on Stripe, a clock advances at
most two intervals of its shortest-billed subscription at a time, which also bounds the work
one request can start. The advance is done when the request answers: its clock is ``ready``.
"""

from __future__ import annotations

from typing import Any

from checkoutkit.sandbox import _billing
from checkoutkit.sandbox._common import RequestInfo
from checkoutkit.sandbox._errors import invalid, missing
from checkoutkit.sandbox._params import reject_unknown
from checkoutkit.sandbox._state import PRIVATE, new_id

KIND = "test_helpers.test_clock"

#: How long Stripe keeps a test clock before deleting it (seconds).
LIFETIME = 30 * 24 * 3600


def find_clock(host: _billing.Host, clock_id: str) -> dict[str, Any] | None:
    """The test clock with this ID, unless deleted."""
    clock = host.state.get(clock_id, KIND) if isinstance(clock_id, str) else None
    if clock is None or clock.get(PRIVATE, {}).get("deleted"):
        return None
    return clock


def get_clock(host: _billing.Host, clock_id: str) -> dict[str, Any]:
    """The test clock, or Stripe's 404."""
    clock = find_clock(host, clock_id)
    if clock is None:
        raise missing("test clock", clock_id, param="test_clock")
    return clock


def _frozen_time(params: dict[str, Any]) -> int:
    value = params.get("frozen_time")
    if value is None:
        raise invalid(
            "Missing required param: frozen_time.", param="frozen_time", code="parameter_missing"
        )
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**41:
        raise invalid(
            "Invalid integer: frozen_time must be a Unix timestamp.",
            param="frozen_time",
            code="parameter_invalid_integer",
        )
    return value


def create_clock(
    host: _billing.Host, params: dict[str, Any], request: RequestInfo | None = None
) -> dict[str, Any]:
    """``POST /v1/test_helpers/test_clocks`` (``frozen_time``, optional ``name``)."""
    reject_unknown(params, ["frozen_time", "name"])
    frozen = _frozen_time(params)
    name = params.get("name")
    if name is not None and not isinstance(name, str):
        raise invalid("Invalid string", param="name")
    now = host.clock.timestamp()
    clock = {
        "id": new_id("clock_"),
        "object": KIND,
        "created": now,
        "deletes_after": now + LIFETIME,
        "frozen_time": frozen,
        "livemode": False,
        "name": name,
        "status": "ready",
        "status_details": {"advancing": None},
    }
    with host.state.transaction():
        host.state.put(clock)
        host.emit("test_helpers.test_clock.created", clock, request)
    return clock


def advance_clock(
    host: _billing.Host, clock_id: str, params: dict[str, Any], request: RequestInfo | None = None
) -> dict[str, Any]:
    """``POST /v1/test_helpers/test_clocks/{id}/advance``: run every renewal due on the way."""
    reject_unknown(params, ["frozen_time"])
    target = _frozen_time(params)
    with host.state.transaction():
        clock = get_clock(host, clock_id)
        if target <= clock["frozen_time"]:
            raise invalid(
                "The test clock can only be advanced: frozen_time must be after the current "
                f"frozen time ({clock['frozen_time']}).",
                param="frozen_time",
            )
        limit = _billing.shortest_interval(
            _billing.clock_subscriptions(host, clock["id"]), clock["frozen_time"]
        )
        if limit is not None and target > limit:
            raise invalid(
                "Cannot advance the test clock more than two intervals of its shortest "
                f"subscription interval at a time (at most to {limit}).",
                param="frozen_time",
            )
        clock["status"] = "advancing"
        clock["status_details"] = {"advancing": {"target_frozen_time": target}}
        host.emit("test_helpers.test_clock.advancing", clock, request)
        _billing.run_renewals(host, clock, target)
        clock["status"] = "ready"
        clock["status_details"] = {"advancing": None}
        host.state.put(clock)
        host.emit("test_helpers.test_clock.ready", clock, None)
    return clock


def delete_clock(
    host: _billing.Host, clock_id: str, request: RequestInfo | None = None
) -> dict[str, Any]:
    """``DELETE /v1/test_helpers/test_clocks/{id}``: the clock is gone and renews no more."""
    with host.state.transaction():
        clock = get_clock(host, clock_id)
        clock[PRIVATE] = {"deleted": True}
        host.state.put(clock)
        host.emit("test_helpers.test_clock.deleted", clock, request)
    return {"id": clock["id"], "object": KIND, "deleted": True}
