"""A worker SIGKILLed inside the fulfil callback: after the lease, the redelivery fulfils once."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import EventStatus

from .conftest import multi_process
from .harness import running_shop, store_spec

pytestmark = [multi_process, pytest.mark.slow, pytest.mark.services]


def test_worker_killed_mid_callback_is_taken_over_after_the_lease(
    store_kind: str, server: Any, tmp_path: Path
) -> None:
    """SIGKILL at ``callback:commit`` (the effect's transaction open, the claim held): the
    attempt dies unanswered and leaves no effect; once the lease has expired, one redelivery is
    answered 200 and runs the callback again, to completion; later deliveries and the success
    page find it done. One effect per paid session, none lost."""
    spec = store_spec(store_kind, tmp_path, server)
    with running_shop(spec, tmp_path) as shop:
        shop.faults.plan(
            [{"id": "kill", "point": "callback:commit", "match": "fulfil:*", "action": "kill"}]
        )
        before = shop.create_session()
        first_event = shop.pay(before)
        killed = shop.faults.wait_fired("kill")
        assert killed["key"] == f"fulfil:{before}"
        died = shop.wait_attempts(first_event, 1)[0]
        assert (died["status"], died["succeeded"]) == (None, False), died  # no answer
        _wait_gone(killed["pid"])
        key = killed["key"]
        record = shop.record(key)
        assert record is not None
        assert record.status is EventStatus.PROCESSING  # the dead worker's claim is still held
        assert shop.effects.counts() == {}  # its transaction died with it
        shop.wait_lease_expired(key)
        retried = shop.redeliver(first_event)
        assert (retried["status"], retried["succeeded"]) == (200, True), retried
        # Another session, paid after the crash, goes through normally.
        after = shop.create_session()
        second_event = shop.pay(after)
        assert shop.wait_attempts(second_event, 1)[0]["status"] == 200
        for session_id, event_id in ((before, first_event), (after, second_event)):
            assert shop.redeliver(event_id)["status"] == 200  # a duplicate, answered 200
            assert shop.success(session_id).status == 200
        effects = shop.effects.counts()
        attempts = shop.effects.attempts()
        final = shop.record(key)
    assert effects == {f"fulfil:{before}": 1, f"fulfil:{after}": 1}
    assert attempts == {f"fulfil:{before}": 2, f"fulfil:{after}": 1}
    assert final is not None
    assert (final.status, final.attempts) == (EventStatus.SUCCEEDED, 2)


def _wait_gone(pid: int) -> None:
    """Wait (bounded) until the killed worker has been reaped by gunicorn's arbiter."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"worker {pid} was not reaped within 30 s")
