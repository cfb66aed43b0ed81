"""The store's server stopped and restarted: down at first use, and down mid-run while a worker
holds a claim between its callback's return and ``complete()``.

PostgreSQL and Redis are stopped and started again (same port, same data); SQLite's outage is
another process holding its write lock past the store's busy timeout. Every request made while
the store is down must answer 5xx (so that Stripe retries, and the customer is told to come
back); once it is back, without restarting the shop, redeliveries succeed and every paid session
is fulfilled exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checkoutkit import EventStatus

from .conftest import multi_process
from .harness import outage_for, running_shop, store_spec

pytestmark = [multi_process, pytest.mark.slow, pytest.mark.services]


def test_store_down_at_first_use_and_mid_run(store_kind: str, server: Any, tmp_path: Path) -> None:
    """Down before the shop's first store call, then up; then down again while a worker holds a
    claim whose callback has returned (paused at ``before-complete``): the worker's
    ``complete()`` meets the outage and is retried in-process (the second pause at
    ``before-complete``) while more requests arrive and answer 5xx; then up, and every session
    ends fulfilled exactly once."""
    spec = store_spec(store_kind, tmp_path, server)
    outage = outage_for(spec, server)
    while_down: list[tuple[str, int | None]] = []
    try:
        with running_shop(spec, tmp_path, before_start=outage) as shop:
            # 1. Down at first use: nothing was ever connected.
            first = shop.create_session()  # creating a session needs Stripe, not the store
            first_event = shop.pay(first)
            while_down.append(("webhook", shop.wait_attempts(first_event, 1)[0]["status"]))
            while_down.append(("success page", shop.success(first).status))
            outage.up()
            assert shop.redeliver(first_event)["status"] == 200
            assert shop.success(first).status == 200

            # 2. Down mid-run, between a callback's return and its completion.
            shop.faults.plan(
                [
                    {
                        "id": "hold",
                        "point": "before-complete",
                        "match": "fulfil:*",
                        "action": "pause",
                        "times": 2,
                    }
                ]
            )
            held = shop.create_session()
            held_event = shop.pay(held)
            assert shop.faults.wait_fired("hold", 1)["key"] == f"fulfil:{held}"
            outage.down()
            shop.faults.go("hold", 1)  # complete() now meets the outage ...
            # ... and is tried again by the same process, which holds the claim meanwhile.
            retry = shop.faults.wait_fired("hold", 2, timeout=10)
            assert retry["key"] == f"fulfil:{held}"
            late = shop.create_session()
            late_event = shop.pay(late)
            while_down.append(("webhook", shop.wait_attempts(late_event, 1)[0]["status"]))
            while_down.append(("success page", shop.success(late).status))
            while_down.append(("success page", shop.success(held).status))
            outage.up()
            shop.faults.go("hold", 2)
            assert shop.wait_attempts(held_event, 1)[0]["status"] == 200
            assert shop.redeliver(late_event)["status"] == 200

            sessions = {first: first_event, held: held_event, late: late_event}
            for session_id, event_id in sessions.items():
                assert shop.success(session_id).status == 200
                assert shop.redeliver(event_id)["status"] == 200
            effects = shop.effects.counts()
            attempts = shop.effects.attempts()
            records = {s: shop.record(f"fulfil:{s}") for s in sessions}
    finally:
        if outage.is_down:  # type: ignore[attr-defined]
            outage.up()
    assert while_down, "no request was made while the store was down"
    assert all(status is not None and 500 <= status < 600 for _, status in while_down), while_down
    expected = {f"fulfil:{s}": 1 for s in sessions}
    assert effects == expected
    assert attempts == expected  # every callback ran once: none was retried after returning
    for record in records.values():
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
