"""RedisStore and AsyncRedisStore pass the store contract against a real Redis server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from checkoutkit import ConfigurationError, MissingDependencyError, StoreUnavailableError
from checkoutkit.stores import AsyncEventStore, ClaimOutcome, EventStore
from servers import RedisServer, free_port

from .contract import Harness, StoreContract
from .loop import LoopThread, SyncOverAsync

pytestmark = pytest.mark.services


def _prefix() -> str:
    return f"{{ck-{uuid.uuid4().hex[:12]}}}:"


class TestRedisStore(StoreContract):
    """The contract with real leases; a restart is a new client on the same keys."""

    @pytest.fixture
    def harness(self, redis_server: RedisServer) -> Iterator[Harness]:
        from checkoutkit.stores.redis import RedisStore

        prefix = _prefix()
        stores = [RedisStore(redis_server.url, prefix=prefix)]

        def reopen() -> RedisStore:
            stores.append(RedisStore(redis_server.url, prefix=prefix))
            return stores[-1]

        yield Harness(stores[0], reopen=reopen, short_lease=0.3)
        for store in stores:
            store.close()


class TestRedisStoreOnAClient(StoreContract):
    """The contract again through a ``redis.Redis`` client passed in."""

    @pytest.fixture
    def harness(self, redis_server: RedisServer) -> Iterator[Harness]:
        import redis

        from checkoutkit.stores.redis import RedisStore

        prefix = _prefix()
        clients = [redis.Redis.from_url(redis_server.url)]

        def reopen() -> RedisStore:
            clients.append(redis.Redis.from_url(redis_server.url))
            return RedisStore(clients[-1], prefix=prefix)

        yield Harness(RedisStore(clients[0], prefix=prefix), reopen=reopen, short_lease=0.3)
        for client in clients:
            client.close()


class TestAsyncRedisStore(StoreContract):
    """The contract through AsyncRedisStore, awaited on an event loop in another thread."""

    @pytest.fixture
    def harness(self, redis_server: RedisServer) -> Iterator[Harness]:
        from checkoutkit.stores.redis import AsyncRedisStore

        loop = LoopThread()
        prefix = _prefix()
        stores: list[AsyncRedisStore] = []

        async def make() -> AsyncRedisStore:
            stores.append(AsyncRedisStore(redis_server.url, prefix=prefix))
            return stores[-1]

        def reopen() -> SyncOverAsync:
            return SyncOverAsync(loop, loop.run(make()))

        yield Harness(reopen(), reopen=reopen, short_lease=0.3)
        for store in stores:
            loop.run(store.close())
        loop.stop()


def test_stores_satisfy_the_protocols(redis_server: RedisServer) -> None:
    """RedisStore is an ``EventStore`` and AsyncRedisStore an ``AsyncEventStore``."""
    from checkoutkit.stores.redis import AsyncRedisStore, RedisStore

    with RedisStore(redis_server.url) as store:
        assert isinstance(store, EventStore)
    loop = LoopThread()
    try:

        async def check() -> bool:
            async with AsyncRedisStore(redis_server.url) as async_store:
                return isinstance(async_store, AsyncEventStore)

        assert loop.run(check())
    finally:
        loop.stop()


def test_documented_keys(redis_server: RedisServer) -> None:
    """Records live in ``<prefix>event:<key>`` hashes indexed by ``<prefix>index``."""
    import redis

    from checkoutkit.stores.redis import RedisStore

    prefix = _prefix()
    with RedisStore(redis_server.url, prefix=prefix) as store:
        assert store.complete(store.claim("fulfil:cs_1", type="checkout.session.completed"))
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert sorted(client.keys(prefix + "*")) == sorted(
            [
                f"{prefix}event:fulfil:cs_1".encode(),
                f"{prefix}index".encode(),
                f"{prefix}seq".encode(),
            ]
        )
        fields = client.hgetall(f"{prefix}event:fulfil:cs_1")
        assert fields[b"status"] == b"succeeded"
        assert b"token" not in fields
        assert client.zrange(f"{prefix}index", 0, -1) == [b"fulfil:cs_1"]
    finally:
        client.close()


def test_decoding_client_is_refused(redis_server: RedisServer) -> None:
    """A client with ``decode_responses=True`` would corrupt payloads: ConfigurationError."""
    import redis

    from checkoutkit.stores.redis import RedisStore

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        with pytest.raises(ConfigurationError, match="decode_responses"):
            RedisStore(client)
    finally:
        client.close()


@pytest.mark.parametrize("prefix", ["", None])
def test_bad_prefix_is_refused(redis_server: RedisServer, prefix: object) -> None:
    """An empty or non-string key prefix raises ConfigurationError."""
    from checkoutkit.stores.redis import RedisStore

    with pytest.raises(ConfigurationError):
        RedisStore(redis_server.url, prefix=prefix)  # type: ignore[arg-type]


def test_unreachable_server_raises_store_unavailable() -> None:
    """A URL nobody answers on raises StoreUnavailableError, for sync and async stores."""
    pytest.importorskip("redis")
    from checkoutkit.stores.redis import AsyncRedisStore, RedisStore

    url = f"redis://127.0.0.1:{free_port()}/0"
    with RedisStore(url, timeout=1) as store, pytest.raises(StoreUnavailableError):
        store.claim("evt_1", type="invoice.paid")
    loop = LoopThread()
    try:

        async def attempt() -> None:
            async with AsyncRedisStore(url, timeout=1) as async_store:
                await async_store.claim("evt_1", type="invoice.paid")

        with pytest.raises(StoreUnavailableError):
            loop.run(attempt())
    finally:
        loop.stop()


@pytest.mark.slow
def test_server_restart_keeps_data_with_the_append_only_file() -> None:
    """With ``appendonly yes`` records survive a Redis restart and the same store works again."""
    from checkoutkit.stores.redis import RedisStore

    server = RedisServer(appendonly=True)
    try:
        server.start()
    except Exception as exc:  # the session fixture reports missing binaries
        pytest.skip(f"Redis is not available: {exc}")
    try:
        with RedisStore(server.url) as store:
            payload = b'{"id": "evt_done"}'
            done = store.claim("evt_done", type="invoice.paid", payload=payload)
            assert store.complete(done)
            assert store.release(store.claim("evt_pending", type="invoice.paid"), error="x")
            server.stop()
            with pytest.raises(StoreUnavailableError):
                store.get("evt_done")
            server.start()
            assert store.claim("evt_done", type="invoice.paid").outcome is ClaimOutcome.DONE
            assert store.get("evt_done").payload == payload  # type: ignore[union-attr]
            retry = store.claim("evt_pending", type="invoice.paid")
            assert retry.outcome is ClaimOutcome.CLAIMED
            assert retry.attempts == 2
    finally:
        server.destroy()


def test_missing_driver_names_the_extra() -> None:
    """Without redis-py, creating the store raises MissingDependencyError naming the extra."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "redis":
            raise ImportError(name)
sys.meta_path.insert(0, Block())
from checkoutkit import MissingDependencyError
from checkoutkit.stores.redis import RedisStore
try:
    RedisStore("redis://127.0.0.1:1/0")
except MissingDependencyError as exc:
    print(exc)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert "checkoutkit[redis]" in out
    assert issubclass(MissingDependencyError, ImportError)


@pytest.mark.parametrize("kwargs", [{"pool_size": 0}, {"timeout": 0}, {"timeout": -1}])
def test_bad_limits_are_refused(redis_server: RedisServer, kwargs: dict[str, float]) -> None:
    """A pool size below 1 or a non-positive timeout raises ConfigurationError at creation."""
    from checkoutkit.stores.redis import AsyncRedisStore, RedisStore

    with pytest.raises(ConfigurationError):
        RedisStore(redis_server.url, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        AsyncRedisStore(redis_server.url, **kwargs)  # type: ignore[arg-type]
