"""Cancelling ``fulfil_session_async`` while the plain callback runs in its worker thread, and a
callback running longer than the lease: the claim is kept until the callback has ended and its
outcome is recorded, so no second run starts meanwhile; the cancellation propagates.

In-process (a real sandbox and store), so these run on every Python.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import CheckoutSession, EventStatus, FulfilOutcome
from stores.exactly_once import Effects

from .faultpoints import Plan
from .inprocess import SHORT_LEASE, local_checkout, recording

LONG_LEASE = 60.0
WAIT = 30.0


class Gate:
    """A callback that announces each start and blocks until the test opens the gate."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.starts = 0
        self.started = threading.Event()
        self.open = threading.Event()
        self.fail_first = fail_first
        self._lock = threading.Lock()

    def callback(self, effects: Effects, plan: Plan) -> Callable[[CheckoutSession], None]:
        record = recording(effects, plan)

        def fulfil(session: CheckoutSession) -> None:
            with self._lock:
                self.starts += 1
                first = self.starts == 1
            self.started.set()
            if not self.open.wait(WAIT):
                raise RuntimeError("the test never opened the gate")
            if first and self.fail_first:
                raise RuntimeError("the first run fails")
            record(session)

        return fulfil


async def _settle(task: asyncio.Future[Any], gate: Gate) -> None:
    """Wait (bounded) until ``task`` is done or a second run of the callback has started."""
    deadline = time.monotonic() + WAIT
    while not task.done() and gate.starts < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def _result(task: asyncio.Future[Any]) -> Any:
    try:
        return await task
    except asyncio.CancelledError:
        return "cancelled"
    except Exception as exc:
        return exc


@pytest.mark.parametrize("callback_fails", [False, True], ids=["returns", "raises"])
def test_cancellation_keeps_the_claim_until_the_callback_ends(
    callback_fails: bool, store_kind: str, server: Any, tmp_path: Path
) -> None:
    """Cancel the task while its callback blocks in the worker thread: the task does not end
    before the callback; a second attempt meanwhile finds the session in progress (the callback
    is not started again); then the callback's outcome is recorded — succeeded, or released for
    a retry when it raised — and the task ends cancelled."""
    gate = Gate(fail_first=callback_fails)
    with local_checkout(
        store_kind, server, tmp_path, fulfil=gate.callback, lease=LONG_LEASE
    ) as local:
        session = local.paid_session()
        key = f"fulfil:{session.id}"
        checkout = local.checkout

        async def scenario() -> dict[str, Any]:
            task = asyncio.ensure_future(checkout.fulfil_session_async(session))
            assert await asyncio.to_thread(gate.started.wait, WAIT)
            task.cancel()
            for _ in range(50):  # let the cancellation reach the task
                await asyncio.sleep(0)
            seen: dict[str, Any] = {"ended_before_callback": task.done()}
            second = asyncio.ensure_future(checkout.fulfil_session_async(session))
            await _settle(second, gate)
            seen["starts_meanwhile"] = gate.starts
            seen["record_meanwhile"] = await asyncio.to_thread(local.record, key)
            gate.open.set()
            seen["second"] = await _result(second)
            seen["first"] = await _result(task)
            seen["record_after"] = await asyncio.to_thread(local.record, key)
            seen["again"] = await _result(
                asyncio.ensure_future(checkout.fulfil_session_async(session))
            )
            return seen

        seen = asyncio.run(scenario())
        counts = local.effects.counts()
    assert seen["ended_before_callback"] is False
    assert seen["starts_meanwhile"] == 1
    assert seen["second"] is FulfilOutcome.IN_PROGRESS
    meanwhile = seen["record_meanwhile"]
    assert meanwhile is not None
    assert meanwhile.status is EventStatus.PROCESSING
    assert seen["first"] == "cancelled"
    after = seen["record_after"]
    assert after is not None
    if callback_fails:
        assert after.status is EventStatus.PENDING
        assert "the first run fails" in (after.last_error or "")
        assert seen["again"] is FulfilOutcome.FULFILLED  # the retry the release allows
    else:
        assert after.status is EventStatus.SUCCEEDED
        assert seen["again"] is FulfilOutcome.ALREADY_FULFILLED
    assert counts == {key: 1}


def test_slow_callback_keeps_its_claim_past_the_lease(
    store_kind: str, server: Any, tmp_path: Path
) -> None:
    """A callback still running when its original lease has passed is not taken over: the claim
    is renewed while it runs, so a second attempt then finds the session in progress."""
    gate = Gate()
    with local_checkout(
        store_kind, server, tmp_path, fulfil=gate.callback, lease=SHORT_LEASE
    ) as local:
        session = local.paid_session()
        key = f"fulfil:{session.id}"
        results: dict[str, Any] = {}

        def attempt(name: str) -> None:
            try:
                results[name] = local.checkout.fulfil_session(session)
            except Exception as exc:
                results[name] = exc

        first = threading.Thread(target=attempt, args=("first",))
        first.start()
        try:
            assert gate.started.wait(WAIT)
            claimed = local.record(key)
            assert claimed is not None
            assert claimed.lease_expires_at is not None
            deadline = time.monotonic() + WAIT
            while time.time() < claimed.lease_expires_at + 0.2:  # the original lease is over
                assert time.monotonic() < deadline
                time.sleep(0.02)
            second = threading.Thread(target=attempt, args=("second",))
            second.start()
            deadline = time.monotonic() + WAIT
            while second.is_alive() and gate.starts < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            starts_meanwhile = gate.starts
        finally:
            gate.open.set()
            first.join(WAIT)
        second.join(WAIT)
        record = local.record(key)
        counts = local.effects.counts()
    assert starts_meanwhile == 1
    assert results == {"first": FulfilOutcome.FULFILLED, "second": FulfilOutcome.IN_PROGRESS}
    assert record is not None
    assert (record.status, record.attempts) == (EventStatus.SUCCEEDED, 1)
    assert counts == {key: 1}
