"""PostgresStore and AsyncPostgresStore recover by themselves when PostgreSQL goes away.

Each test stops (or crashes) a real PostgreSQL server of its own at a chosen point: before the
store's first use, with connections idle in the pool, in the middle of a statement, and with
the pool exhausted. While the server is down every call raises StoreUnavailableError within a
bound; once it is back the same store object works again, without a restart of the process.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from checkoutkit import EventStatus, StoreUnavailableError
from checkoutkit.stores import ClaimOutcome
from servers import PostgresServer, ServerUnavailable

from .outage import (
    PAID,
    MakeStore,
    claimed,
    store_maker,
    unavailable,
    until_it_works,
    within,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]

BOUND = 30.0  # a call taking longer than this is a hang


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own, since its tests stop and start it."""
    pytest.importorskip("psycopg")
    try:
        pg = PostgresServer()
        pg.start()
    except (ServerUnavailable, OSError) as exc:
        import os

        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not available: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL is not available: {exc}")
    yield pg
    pg.destroy()


@pytest.fixture
def running(server: PostgresServer) -> Iterator[PostgresServer]:
    """The server, running at the start of the test and again at its end."""
    if not (server.data / "postmaster.pid").exists():
        server.start()
    yield server
    if not (server.data / "postmaster.pid").exists():
        server.start()


@pytest.fixture(params=["sync", "async"])
def make_store(request: pytest.FixtureRequest, server: PostgresServer) -> Iterator[MakeStore]:
    """Make a PostgresStore, or an AsyncPostgresStore driven from another thread's loop."""
    from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore

    def named(make: Callable[..., Any]) -> Callable[..., Any]:
        def build(**kwargs: Any) -> Any:
            kwargs.setdefault("table", f"ck_{uuid.uuid4().hex[:12]}")
            return make(server.dsn, **kwargs)

        return build

    with store_maker(request.param, named(PostgresStore), named(AsyncPostgresStore)) as make:
        yield make


def test_first_use_while_the_server_is_down(running: PostgresServer, make_store: MakeStore) -> None:
    """A store first used while PostgreSQL is down raises StoreUnavailableError, then works."""
    running.stop()
    store = make_store()
    for n in range(3):
        unavailable(f"claim #{n} before first contact", lambda: store.get("evt_1"), bound=BOUND)
    running.start()
    claim, _ = until_it_works(
        "first use after the server started", lambda: store.claim("evt_1", type=PAID)
    )
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert store.complete(claim) is True
    for n in range(5):  # and it keeps working
        assert store.complete(claimed(store, f"evt_more_{n}")) is True
    assert store.claim("evt_1", type=PAID).outcome is ClaimOutcome.DONE


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_restart_with_connections_idle_in_the_pool(
    running: PostgresServer, make_store: MakeStore, mode: str
) -> None:
    """After a restart (clean or a crash) the first call already works: dead pooled connections
    are noticed before use and replaced."""
    store = make_store(pool_size=4)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def busy(n: int) -> None:  # four calls at once leave up to four connections in the pool
        try:
            barrier.wait()
            assert store.complete(claimed(store, f"evt_warm_{n}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=busy, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    held = claimed(store, "evt_held")

    running.stop(mode=mode)
    unavailable(f"get while down ({mode})", lambda: store.get("evt_warm_0"), bound=BOUND)
    running.start()

    started = time.monotonic()
    record = within(BOUND, lambda: store.get("evt_warm_0"))  # no StoreUnavailableError
    print(f"[outage] first call after a {mode} restart: {time.monotonic() - started:.3f} s")
    assert record is not None
    assert record.status is EventStatus.SUCCEEDED
    assert store.claim("evt_held", type=PAID).outcome is ClaimOutcome.BUSY
    assert store.complete(held) is True
    for n in range(8):
        assert store.complete(claimed(store, f"evt_after_{n}")) is True


def _wait_for_lock_wait(dsn: str, table: str) -> None:
    """Return once a statement of the store waits for a row lock (bounded: 30 s)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE %s",
                (f"%{table}%",),
            ).fetchone()
            if row and row[0] > 0:
                return
            time.sleep(0.02)
    raise AssertionError("the store's statement never waited for the lock")


def _terminate_lock_waiters(dsn: str, table: str) -> None:
    """End the sessions whose statement on ``table`` waits for a lock."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND query LIKE %s",
            (f"%{table}%",),
        )


def _lock_row(dsn: str, table: str, key: str) -> Any:
    """A connection holding ``key``'s row locked in an open transaction."""
    import psycopg

    conn = psycopg.connect(dsn)
    conn.execute(f"SELECT * FROM {table} WHERE key = %s FOR UPDATE", (key,))  # noqa: S608
    return conn


def test_server_stops_in_the_middle_of_a_statement(
    running: PostgresServer, make_store: MakeStore
) -> None:
    """A claim waiting inside PostgreSQL when it shuts down raises StoreUnavailableError; the
    store works again once the server is back."""
    table = f"ck_{uuid.uuid4().hex[:12]}"
    store = make_store(table=table)
    assert store.release(claimed(store, "evt_1"), error="boom")  # a pending key: claimable
    blocker = _lock_row(running.dsn, table, "evt_1")
    outcome: dict[str, BaseException | object] = {}

    def claim() -> None:
        try:
            outcome["result"] = store.claim("evt_1", type=PAID, lease=30)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=claim)
    thread.start()
    _wait_for_lock_wait(running.dsn, table)
    # Shutting down ends the blocker's session too, and which one ends first is the server's
    # choice: end the waiting statement's own session first, as the shutdown would, so that
    # the claim cannot slip through once the lock is gone.
    _terminate_lock_waiters(running.dsn, table)
    running.stop()
    thread.join(BOUND)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), StoreUnavailableError), outcome
    blocker.close()
    running.start()
    claim2, failures = until_it_works(
        "claim after a mid-statement stop", lambda: store.claim("evt_1", type=PAID, lease=30)
    )
    assert failures == 0
    assert claim2.outcome is ClaimOutcome.CLAIMED
    assert claim2.attempts == 2  # the interrupted claim did not count
    assert store.complete(claim2) is True


def test_exhausted_pool_raises_store_unavailable_and_recovers(
    running: PostgresServer, make_store: MakeStore
) -> None:
    """With every pooled connection busy, a call waits ``timeout`` for one and raises
    StoreUnavailableError, and the store serves calls again as soon as one is free."""
    table = f"ck_{uuid.uuid4().hex[:12]}"
    store = make_store(table=table, pool_size=1, timeout=0.5)
    assert store.release(claimed(store, "evt_1"), error="boom")
    blocker = _lock_row(running.dsn, table, "evt_1")
    result: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("claim", store.claim("evt_1", type=PAID, lease=30))
    )
    thread.start()
    try:
        _wait_for_lock_wait(running.dsn, table)
        unavailable("get with the pool exhausted", lambda: store.get("evt_2"), bound=BOUND)
    finally:
        blocker.rollback()
        blocker.close()
    thread.join(BOUND)
    assert result["claim"].outcome is ClaimOutcome.CLAIMED
    assert within(BOUND, lambda: store.get("evt_2")) is None
    assert store.complete(result["claim"]) is True
