"""``complete()`` failing transiently, after the callback returned: the callback ran once.

The store raises :class:`~checkoutkit.StoreUnavailableError` once, at a named point:
``before-complete`` (the completion was not recorded) or ``after-complete`` (it was, but the
answer was lost on the way back). Afterwards the claim's lease is allowed to expire and the work
is asked for again — as Stripe's redelivery and the customer's success page would — and must be
found done. The in-process scenarios run on every Python; the one through the served shop runs
on the newest only.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import EventStatus, FulfilOutcome
from stores.exactly_once import Effects, api_version, build_router, deliver, event_body

from .conftest import multi_process
from .fault_shop import open_store
from .faultpoints import FaultControl, FaultyStore, Plan
from .harness import running_shop, store_spec
from .inprocess import SHORT_LEASE, local_checkout

POINTS = ["before-complete", "after-complete"]


def _fail_once(faults: FaultControl, point: str, match: str) -> None:
    faults.plan([{"id": "fail", "point": point, "match": match, "action": "raise"}])


def _outcome(call: Any, *args: Any) -> FulfilOutcome | Exception:
    """What ``call`` returned or raised (the test counts effects before judging it)."""
    try:
        outcome: FulfilOutcome = call(*args)
    except Exception as exc:
        return exc
    return outcome


def _wait_settled(record_of: Any, key: str, timeout: float = 30) -> None:
    """Wait (bounded) until ``key`` is not held, or its lease has expired."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = record_of(key)
        if record is None or record.status is not EventStatus.PROCESSING:
            return
        if record.lease_expires_at is not None and time.time() > record.lease_expires_at + 0.05:
            return
        time.sleep(0.02)
    raise AssertionError(f"{key} is still held after {timeout} s")


@pytest.mark.parametrize("point", POINTS)
def test_fulfil_session_runs_the_callback_once(
    point: str, store_kind: str, server: Any, tmp_path: Path
) -> None:
    """``Checkout.fulfil`` with the store failing once at ``point``: FULFILLED, then
    ALREADY_FULFILLED however often and however late it is asked again."""
    with local_checkout(store_kind, server, tmp_path) as local:
        session = local.paid_session()
        key = f"fulfil:{session.id}"
        _fail_once(local.faults, point, "fulfil:*")
        first = _outcome(local.checkout.fulfil, session.id)
        assert local.faults.fired("fail") is not None
        _wait_settled(local.record, key)
        again = [local.checkout.fulfil(session.id) for _ in range(2)]
        record = local.record(key)
        counts, attempts = local.effects.counts(), local.effects.attempts()
    assert counts == {key: 1}
    assert attempts == {key: 1}
    assert first is FulfilOutcome.FULFILLED
    assert again == [FulfilOutcome.ALREADY_FULFILLED] * 2
    assert record is not None
    assert (record.status, record.attempts) == (EventStatus.SUCCEEDED, 1)


@pytest.mark.parametrize("point", POINTS)
def test_fulfil_session_async_runs_the_callback_once(
    point: str, store_kind: str, server: Any, tmp_path: Path
) -> None:
    """The async path (the plain callback in a worker thread), as the FastAPI adapter uses it."""
    with local_checkout(store_kind, server, tmp_path) as local:
        session = local.paid_session()
        key = f"fulfil:{session.id}"
        _fail_once(local.faults, point, "fulfil:*")

        async def run(checkout: Any = local.checkout) -> list[FulfilOutcome | Exception]:
            try:
                first: FulfilOutcome | Exception = await checkout.fulfil_session_async(session)
            except Exception as exc:  # counted below: the effects say what it cost
                first = exc
            await asyncio.to_thread(_wait_settled, local.record, key)
            return [first, *[await checkout.fulfil_session_async(session) for _ in range(2)]]

        outcomes: list[FulfilOutcome | Exception] = asyncio.run(run())
        counts = local.effects.counts()
    assert counts == {key: 1}
    assert outcomes == [FulfilOutcome.FULFILLED, *[FulfilOutcome.ALREADY_FULFILLED] * 2]


@pytest.mark.parametrize("point", POINTS)
def test_plain_router_handler_runs_once(
    point: str, store_kind: str, server: Any, tmp_path: Path
) -> None:
    """A plain ``@router.on`` handler (the router claims the event itself): the delivery whose
    completion failed once answers 200, and redeliveries after the lease are duplicates."""
    effects = Effects(str(tmp_path / "effects.db"))
    effects.create()
    faults = FaultControl(tmp_path / "plan")
    store = FaultyStore(
        open_store(store_spec(store_kind, tmp_path, server)), Plan(faults.directory)
    )
    try:
        router = build_router(store, effects, lease=SHORT_LEASE)
        event_id = f"evt_complete_fails_{store_kind}_{point}".replace("-", "_")
        body = event_body(event_id, api_version())
        _fail_once(faults, point, "evt_*")
        first = deliver(router, body)
        _wait_settled(store.inner.get, event_id)
        again = [deliver(router, body) for _ in range(2)]
        record = store.inner.get(event_id)
    finally:
        store.close()
    assert effects.counts() == {event_id: 1}
    assert (first.status, first.body) == (200, b'{"received":true}')
    assert [(a.status, a.body) for a in again] == [(200, b'{"received":true,"duplicate":true}')] * 2
    assert record is not None
    assert (record.status, record.attempts) == (EventStatus.SUCCEEDED, 1)


@multi_process
@pytest.mark.slow
@pytest.mark.services
def test_served_shop_fulfils_once_when_complete_fails(
    store_kind: str, server: Any, tmp_path: Path
) -> None:
    """Through the shop under gunicorn: the webhook whose fulfilment's ``complete()`` fails once
    answers 200, and so does the one whose router-level ``complete()`` fails once (the
    ``checkout.session.expired`` handler); after the lease, redeliveries and the success page
    find the work done. One effect each."""
    spec = store_spec(store_kind, tmp_path, server)
    with running_shop(spec, tmp_path) as shop:
        shop.faults.plan(
            [
                {"id": "paid", "point": "before-complete", "match": "fulfil:*", "action": "raise"},
                {"id": "expired", "point": "before-complete", "match": "evt_*", "action": "raise"},
            ]
        )
        paid = shop.create_session()
        paid_event = shop.pay(paid)
        first = shop.wait_attempts(paid_event, 1)[0]
        assert shop.faults.fired("paid") is not None
        _wait_settled(shop.record, f"fulfil:{paid}")
        later = [shop.redeliver(paid_event)["status"], shop.success(paid).status]

        abandoned = shop.create_session()
        shop.sandbox.expire(abandoned)
        expired_event = shop.event_id(abandoned, "checkout.session.expired")
        first_expired = shop.wait_attempts(expired_event, 1)[0]
        assert shop.faults.fired("expired") is not None
        _wait_settled(shop.record, expired_event)
        later.append(shop.redeliver(expired_event)["status"])
        counts = shop.effects.counts()
    assert counts == {f"fulfil:{paid}": 1, f"expired:{abandoned}": 1}
    assert (first["status"], first_expired["status"]) == (200, 200)
    assert later == [200, 200, 200]
