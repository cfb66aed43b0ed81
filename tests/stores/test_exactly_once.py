"""Exactly once through the webhook router, under duplicate, concurrent and failing deliveries.

Every test counts the handler's side effect: a row in a table of a separate SQLite file.
"""

from __future__ import annotations

import multiprocessing
import queue
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import EventStatus, SqliteStore
from checkoutkit.stores import ClaimOutcome, EventStore

from .exactly_once import (
    KILLED,
    Effects,
    api_version,
    build_router,
    burst,
    close_store,
    deliver,
    event_body,
    open_store,
    worker,
)

HANDLED = b'{"received":true}'
DUPLICATE = b'{"received":true,"duplicate":true}'


@pytest.fixture
def effects(tmp_path: Path) -> Effects:
    effects = Effects(str(tmp_path / "app.db"))
    effects.create()
    return effects


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Any:
    store = SqliteStore(tmp_path / "events.db")
    yield store
    store.close()


def test_fifty_deliveries_from_eight_threads_run_the_handler_once(
    sqlite_store: SqliteStore, effects: Effects
) -> None:
    """Each of 3 events delivered 50 times from 8 threads at once has exactly one effect."""
    router = build_router(sqlite_store, effects, lease=30, handler_delay=0.05)
    version = api_version()
    bodies = {f"evt_threads_{i}": event_body(f"evt_threads_{i}", version) for i in range(3)}
    answers = burst(router, bodies, copies=50, threads=8)
    assert len(answers) == 150
    assert {status for _, status, _ in answers} <= {200, 409}
    handled = Counter(event_id for event_id, _, body in answers if body == HANDLED)
    assert handled == dict.fromkeys(bodies, 1)
    assert effects.counts() == dict.fromkeys(bodies, 1)
    for event_id, body in bodies.items():
        late = deliver(router, body)
        assert (late.status, late.body) == (200, DUPLICATE)
        record = sqlite_store.get(event_id)
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
        assert record.attempts == 1
    assert effects.counts() == dict.fromkeys(bodies, 1)


def test_failing_handler_answers_500_then_the_redelivery_runs_it_once(
    sqlite_store: SqliteStore, effects: Effects
) -> None:
    """A handler failing its first attempt → 500 and no effect; the redelivery → one effect."""
    router = build_router(sqlite_store, effects, lease=30, fail_first=["evt_fail"])
    body = event_body("evt_fail", api_version())
    first = deliver(router, body)
    assert first.status == 500
    assert effects.counts() == {}
    record = sqlite_store.get("evt_fail")
    assert record is not None
    assert record.status is EventStatus.PENDING
    assert record.last_error is not None
    assert "first attempt of evt_fail fails" in record.last_error
    second = deliver(router, body)
    assert (second.status, second.body) == (200, HANDLED)
    third = deliver(router, body)
    assert (third.status, third.body) == (200, DUPLICATE)
    assert effects.counts() == {"evt_fail": 1}
    assert effects.attempts() == {"evt_fail": 2}
    record = sqlite_store.get("evt_fail")
    assert record is not None
    assert record.status is EventStatus.SUCCEEDED
    assert record.attempts == 2


def test_failing_handler_under_concurrent_duplicates_has_one_effect(
    sqlite_store: SqliteStore, effects: Effects
) -> None:
    """50 concurrent deliveries of an event whose first attempt fails: one 500, one effect."""
    router = build_router(
        sqlite_store, effects, lease=30, fail_first=["evt_flaky"], handler_delay=0.02
    )
    answers = burst(router, {"evt_flaky": event_body("evt_flaky", api_version())}, 50, 8)
    statuses = Counter(status for _, status, _ in answers)
    assert statuses[500] == 1
    assert set(statuses) <= {200, 409, 500}
    assert sum(1 for _, _, body in answers if body == HANDLED) <= 1
    # Stripe redelivers after the 500 (and after any 409): one of those runs the handler.
    final = deliver(router, event_body("evt_flaky", api_version()))
    assert final.status == 200
    assert effects.counts() == {"evt_flaky": 1}
    assert sqlite_store.claim("evt_flaky", type="x").outcome is ClaimOutcome.DONE


def _run_processes(
    spec: dict[str, Any],
    effects: Effects,
    event_ids: list[str],
    *,
    copies: list[int],
    lease: float,
    fail_first: list[str],
    kill_worker: int | None,
) -> tuple[list[Any], list[int | None]]:
    """Start one application process per entry of ``copies`` and collect their answers."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(copies))
    killing = ctx.Event()
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=worker,
            args=(
                {
                    "spec": spec,
                    "effects_path": effects.path,
                    "event_ids": event_ids,
                    "copies": n,
                    "threads": 4,
                    "lease": lease,
                    "fail_first": fail_first,
                    "kill_first_run": i == kill_worker,
                    "wait_for_kill": kill_worker is not None and i != kill_worker,
                },
                barrier,
                results,
                killing,
            ),
        )
        for i, n in enumerate(copies)
    ]
    for proc in procs:
        proc.start()
    expected = len(copies) - (kill_worker is not None)
    collected = []
    try:
        for _ in range(expected):
            collected.append(results.get(timeout=180))
    except queue.Empty:
        pytest.fail(f"only {len(collected)} of {expected} worker processes reported")
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
                proc.join()
        results.close()
    return collected, [proc.exitcode for proc in procs]


@pytest.mark.slow
def test_fifty_deliveries_from_four_processes_run_the_handler_once(
    tmp_path: Path, effects: Effects
) -> None:
    """The same events delivered 50 times from 4 processes, each with its own router: one effect."""
    spec = {"kind": "sqlite", "path": str(tmp_path / "events.db")}
    event_ids = ["evt_procs_1", "evt_procs_2"]
    collected, exitcodes = _run_processes(
        spec,
        effects,
        event_ids,
        copies=[13, 13, 12, 12],
        lease=2.0,
        fail_first=[],
        kill_worker=None,
    )
    assert exitcodes == [0, 0, 0, 0]
    answers = [a for _, burst_answers, _ in collected for a in burst_answers]
    assert len(answers) == 100
    assert {status for _, status, _ in answers} <= {200, 409}
    handled = Counter(event_id for event_id, _, body in answers if body == HANDLED)
    retried = [r for _, _, retries in collected for r in retries]
    handled.update(event_id for event_id, _, body in retried if body == HANDLED)
    assert handled == dict.fromkeys(event_ids, 1)
    assert effects.counts() == dict.fromkeys(event_ids, 1)
    assert len({pid for pid, _, _ in collected}) == 4


def _chaos(spec: dict[str, Any], effects: Effects) -> None:
    """4 processes, 10 events x 50 concurrent deliveries, 20% of first attempts failing and one
    worker killed mid-handler: every event ends with exactly one effect and none is lost."""
    event_ids = [f"evt_chaos_{i:02d}" for i in range(10)]
    fail_first = event_ids[3:5]  # 20% of the events fail their first attempt
    collected, exitcodes = _run_processes(
        spec,
        effects,
        event_ids,
        copies=[13, 13, 12, 12],
        lease=1.0,
        fail_first=fail_first,
        kill_worker=0,
    )
    assert exitcodes[0] == KILLED
    assert exitcodes[1:] == [0, 0, 0]
    # The survivors redelivered every event they saw answered non-2xx until it was 2xx.
    for _, answers, retries in collected:
        last: dict[str, int] = {}
        for event_id, status, _ in [*answers, *retries]:
            last[event_id] = status
        assert all(200 <= status < 300 for status in last.values()), last
    assert effects.counts() == dict.fromkeys(event_ids, 1)
    attempts = effects.attempts()
    for event_id in fail_first:
        assert attempts[event_id] >= 2
    # One event was taken over from the killed worker after its lease: two attempts at least.
    assert sum(1 for e in event_ids if attempts[e] >= 2) >= len(fail_first) + 1
    store: EventStore = open_store(spec)
    try:
        records = {r.key: r for r in store.records()}
    finally:
        close_store(store)
    assert set(records) == set(event_ids)
    assert {r.status for r in records.values()} == {EventStatus.SUCCEEDED}


@pytest.mark.slow
def test_chaos_with_sqlite(tmp_path: Path, effects: Effects) -> None:
    """Exactly once with SqliteStore despite failures and a killed worker (see ``_chaos``)."""
    _chaos({"kind": "sqlite", "path": str(tmp_path / "events.db")}, effects)


@pytest.mark.slow
@pytest.mark.services
def test_chaos_with_postgres(postgres: Any, effects: Effects) -> None:
    """Exactly once with PostgresStore despite failures and a killed worker (see ``_chaos``)."""
    _chaos(
        {"kind": "postgres", "dsn": postgres.dsn, "table": f"ck_{uuid.uuid4().hex[:12]}"}, effects
    )


@pytest.mark.slow
@pytest.mark.services
def test_chaos_with_redis(redis_server: Any, effects: Effects) -> None:
    """Exactly once with RedisStore despite failures and a killed worker (see ``_chaos``)."""
    spec = {"kind": "redis", "url": redis_server.url, "prefix": f"{{ck-{uuid.uuid4().hex}}}:"}
    _chaos(spec, effects)
