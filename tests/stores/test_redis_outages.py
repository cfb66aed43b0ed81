"""RedisStore and AsyncRedisStore recover by themselves when Redis goes away.

Each test stops a real Redis server of its own at a chosen point: before the store's first
use, killed with SIGKILL with connections idle in the pool, killed while a call is inside the
server, frozen (SIGSTOP: it accepts and never answers), and with the pool exhausted. While the
server is unreachable every call raises StoreUnavailableError within a bound; once it is back
the same store object works again.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from checkoutkit import EventStatus, StoreUnavailableError
from checkoutkit.stores import ClaimOutcome, EventStore
from servers import RedisServer, ServerUnavailable

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
def server() -> Iterator[RedisServer]:
    """A Redis server of this module's own (append-only file on), since its tests kill it."""
    pytest.importorskip("redis")
    try:
        rs = RedisServer(appendonly=True)
        rs.start()
    except (ServerUnavailable, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not available: {exc}", pytrace=False)
        pytest.skip(f"Redis is not available: {exc}")
    yield rs
    rs.destroy()


@pytest.fixture
def running(server: RedisServer) -> Iterator[RedisServer]:
    """The server, running (and not frozen) at the start of the test and again at its end."""
    if server.proc is None:
        server.start()
    yield server
    if server.proc is not None:
        os.kill(server.proc.pid, signal.SIGCONT)
    else:
        server.start()


@pytest.fixture(params=["sync", "async"])
def make_store(request: pytest.FixtureRequest, server: RedisServer) -> Iterator[MakeStore]:
    """Make a RedisStore, or an AsyncRedisStore driven from another thread's loop."""
    from checkoutkit.stores.redis import AsyncRedisStore, RedisStore

    def named(make: Callable[..., Any]) -> Callable[..., Any]:
        def build(**kwargs: Any) -> Any:
            kwargs.setdefault("prefix", f"{{ck-{uuid.uuid4().hex[:12]}}}:")
            return make(server.url, **kwargs)

        return build

    with store_maker(request.param, named(RedisStore), named(AsyncRedisStore)) as make:
        yield make


def _warm(store: EventStore, n: int = 4, name: str = "warm") -> None:
    """Calls at once, so that the pool keeps several connections."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def busy(i: int) -> None:
        try:
            barrier.wait()
            assert store.complete(claimed(store, f"evt_{name}_{i}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=busy, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _request_waits_in_server(port: int) -> bool:
    """True when a connection to ``port`` has bytes the (frozen) server has not read yet."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            rx_queue = int(fields[4].split(":")[1], 16)
            if local_port == port and rx_queue > 0:
                return True
    return False


def _freeze(server: RedisServer) -> None:
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGSTOP)


def _thaw(server: RedisServer) -> None:
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGCONT)


def test_first_use_while_the_server_is_down(running: RedisServer, make_store: MakeStore) -> None:
    """A store first used while Redis is down raises StoreUnavailableError, then works."""
    running.stop()
    store = make_store()
    for n in range(3):
        unavailable(f"call #{n} before first contact", lambda: store.get("evt_1"), bound=BOUND)
    running.start()
    claim, _ = until_it_works(
        "first use after the server started", lambda: store.claim("evt_1", type=PAID)
    )
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert store.complete(claim) is True
    assert store.claim("evt_1", type=PAID).outcome is ClaimOutcome.DONE


def test_sigkill_and_restart_with_connections_idle_in_the_pool(
    running: RedisServer, make_store: MakeStore
) -> None:
    """After Redis is SIGKILLed and restarted the first call works: dead pooled connections are
    noticed before use; records in the append-only file are all there."""
    store = make_store()
    _warm(store)
    held = claimed(store, "evt_held")
    time.sleep(1.1)  # appendfsync everysec: let the append-only file reach the disk
    running.kill()
    unavailable("get while killed", lambda: store.get("evt_warm_0"), bound=BOUND)
    running.start()
    started = time.monotonic()
    record = within(BOUND, lambda: store.get("evt_warm_0"))  # no StoreUnavailableError
    print(f"[outage] first call after SIGKILL and restart: {time.monotonic() - started:.3f} s")
    assert record is not None
    assert record.status is EventStatus.SUCCEEDED
    assert store.claim("evt_held", type=PAID).outcome is ClaimOutcome.BUSY
    assert store.complete(held) is True
    _warm(store, name="after")


def test_sigkill_while_a_call_is_inside_the_server(
    running: RedisServer, make_store: MakeStore
) -> None:
    """A claim already sent when Redis dies raises StoreUnavailableError; after the restart
    the store works again."""
    store = make_store(timeout=10)  # longer than the test needs: the kill ends the call
    assert store.release(claimed(store, "evt_1"), error="boom")
    _freeze(running)
    outcome: dict[str, object] = {}

    def claim() -> None:
        try:
            outcome["result"] = store.claim("evt_1", type=PAID, lease=30)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=claim)
    thread.start()
    deadline = time.monotonic() + BOUND
    while not _request_waits_in_server(running.port):
        assert time.monotonic() < deadline, "the claim never reached the server"
        assert thread.is_alive(), outcome
        time.sleep(0.01)
    running.kill()
    thread.join(BOUND)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), StoreUnavailableError), outcome
    running.start()
    again, failures = until_it_works(
        "claim after SIGKILL mid-call", lambda: store.claim("evt_1", type=PAID, lease=30)
    )
    assert failures == 0
    assert again.outcome is ClaimOutcome.CLAIMED
    assert store.complete(again) is True


def test_frozen_server_raises_store_unavailable_after_the_timeout(
    running: RedisServer, make_store: MakeStore
) -> None:
    """A server that accepts and never answers (SIGSTOP) costs a call ``timeout``, then
    StoreUnavailableError; when it answers again so does the store."""
    store = make_store()
    _warm(store)
    _freeze(running)
    try:
        unavailable(
            "claim on a frozen server", lambda: store.claim("evt_1", type=PAID), bound=BOUND
        )
        unavailable("get on a frozen server", lambda: store.get("evt_1"), bound=BOUND)
    finally:
        _thaw(running)
    claim, _ = until_it_works(
        "claim after the server thawed", lambda: store.claim("evt_2", type=PAID, lease=30)
    )
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert store.complete(claim) is True


def test_exhausted_pool_raises_store_unavailable_and_recovers(running: RedisServer) -> None:
    """With every connection of the client's pool taken, a call waits the pool's timeout and
    raises StoreUnavailableError; once one is free the store serves calls again."""
    import redis

    from checkoutkit.stores.redis import RedisStore

    pool = redis.BlockingConnectionPool.from_url(running.url, max_connections=1, timeout=0.5)
    client = redis.Redis(connection_pool=pool)
    try:
        store = RedisStore(client, prefix=f"{{ck-{uuid.uuid4().hex[:12]}}}:")
        assert store.complete(claimed(store, "evt_1"))
        taken = pool.get_connection()
        try:
            unavailable("get with the pool exhausted", lambda: store.get("evt_1"), bound=BOUND)
        finally:
            pool.release(taken)
        record = within(BOUND, lambda: store.get("evt_1"))
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
    finally:
        client.close()
        pool.disconnect()
