"""PostgresStore and AsyncPostgresStore pass the store contract against a real PostgreSQL."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from checkoutkit import (
    ConfigurationError,
    EventStatus,
    MissingDependencyError,
    StoreUnavailableError,
)
from checkoutkit.stores import AsyncEventStore, ClaimOutcome, EventStore
from servers import PostgresServer, free_port

from .contract import Harness, StoreContract
from .loop import LoopThread, SyncOverAsync

pytestmark = pytest.mark.services


def _table() -> str:
    return f"ck_{uuid.uuid4().hex[:12]}"


class TestPostgresStore(StoreContract):
    """The contract with real leases; a restart is a new store (and pool) on the same table."""

    @pytest.fixture
    def harness(self, postgres: PostgresServer) -> Iterator[Harness]:
        from checkoutkit.stores.postgres import PostgresStore

        table = _table()
        stores = [PostgresStore(postgres.dsn, table=table)]

        def reopen() -> PostgresStore:
            stores.append(PostgresStore(postgres.dsn, table=table))
            return stores[-1]

        yield Harness(stores[0], reopen=reopen, short_lease=0.3)
        for store in stores:
            store.close()


class TestPostgresStoreOnAConnection(StoreContract):
    """The contract again through one dedicated psycopg connection passed in."""

    @pytest.fixture
    def harness(self, postgres: PostgresServer) -> Iterator[Harness]:
        import psycopg

        from checkoutkit.stores.postgres import PostgresStore

        table = _table()
        conns = [psycopg.connect(postgres.dsn)]

        def reopen() -> PostgresStore:
            conns.append(psycopg.connect(postgres.dsn))
            return PostgresStore(conns[-1], table=table)

        yield Harness(PostgresStore(conns[0], table=table), reopen=reopen, short_lease=0.3)
        for conn in conns:
            conn.close()


class TestAsyncPostgresStore(StoreContract):
    """The contract through AsyncPostgresStore, awaited on an event loop in another thread."""

    @pytest.fixture
    def harness(self, postgres: PostgresServer) -> Iterator[Harness]:
        from checkoutkit.stores.postgres import AsyncPostgresStore

        loop = LoopThread()
        table = _table()
        stores: list[AsyncPostgresStore] = []

        async def make() -> AsyncPostgresStore:
            stores.append(AsyncPostgresStore(postgres.dsn, table=table))
            return stores[-1]

        def reopen() -> SyncOverAsync:
            return SyncOverAsync(loop, loop.run(make()))

        yield Harness(reopen(), reopen=reopen, short_lease=0.3)
        for store in stores:
            loop.run(store.close())
        loop.stop()


def test_async_store_satisfies_the_async_protocol(postgres: PostgresServer) -> None:
    """AsyncPostgresStore is an ``AsyncEventStore`` and PostgresStore an ``EventStore``."""
    from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore

    assert isinstance(AsyncPostgresStore(postgres.dsn), AsyncEventStore)
    with PostgresStore(postgres.dsn) as store:
        assert isinstance(store, EventStore)


def test_sync_and_async_stores_share_one_table(postgres: PostgresServer) -> None:
    """A key claimed through the async store is busy, then done, for the sync store."""
    from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore

    table = _table()
    loop = LoopThread()
    try:
        async_store = SyncOverAsync(loop, AsyncPostgresStore(postgres.dsn, table=table))
        with PostgresStore(postgres.dsn, table=table) as sync_store:
            claim = async_store.claim("evt_1", type="invoice.paid")
            assert claim.outcome is ClaimOutcome.CLAIMED
            assert sync_store.claim("evt_1", type="invoice.paid").outcome is ClaimOutcome.BUSY
            assert sync_store.complete(claim)
            assert async_store.claim("evt_1", type="invoice.paid").outcome is ClaimOutcome.DONE
        loop.run(async_store.inner.close())  # type: ignore[attr-defined]
    finally:
        loop.stop()


def test_pool_passed_in_is_used_and_left_open(postgres: PostgresServer) -> None:
    """A ConnectionPool passed in serves the store and stays open after the store closes."""
    from psycopg_pool import ConnectionPool

    from checkoutkit.stores.postgres import PostgresStore

    with ConnectionPool(postgres.dsn, min_size=1, max_size=2) as pool:
        store = PostgresStore(pool, table=_table())
        assert store.complete(store.claim("evt_1", type="invoice.paid"))
        store.close()
        assert not pool.closed
        assert store.get("evt_1").status is EventStatus.SUCCEEDED  # type: ignore[union-attr]


def test_explicit_schema_creation(postgres: PostgresServer) -> None:
    """With ``create_schema=False`` the table appears only through ``create_schema()``."""
    import psycopg

    from checkoutkit.stores.postgres import PostgresStore

    table = _table()
    with PostgresStore(postgres.dsn, table=table, create_schema=False) as store:
        with pytest.raises(Exception, match="does not exist"):
            store.get("evt_1")
        store.create_schema()
        store.create_schema()  # idempotent
        assert store.complete(store.claim("evt_1", type="invoice.paid"))
    with psycopg.connect(postgres.dsn) as conn:
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                " ORDER BY ordinal_position",
                (table,),
            )
        ]
    assert columns == [
        "key",
        "seq",
        "type",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "updated_at",
        "lease_expires_at",
        "token",
        "payload",
    ]


def test_schema_qualified_table(postgres: PostgresServer) -> None:
    """A ``schema.table`` name puts the store in that schema."""
    import psycopg

    from checkoutkit.stores.postgres import PostgresStore

    schema = _table()
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    with PostgresStore(postgres.dsn, table=f"{schema}.events") as store:
        assert store.complete(store.claim("evt_1", type="invoice.paid"))
    with psycopg.connect(postgres.dsn) as conn:
        row = conn.execute(f"SELECT status FROM {schema}.events").fetchone()  # noqa: S608
    assert row == ("succeeded",)


@pytest.mark.parametrize("table", ["", "a b", "x;drop table y", "a.b.c", "1abc", 'q"uote'])
def test_bad_table_names_are_refused(postgres: PostgresServer, table: str) -> None:
    """A table name that is not a plain identifier raises ConfigurationError at creation."""
    from checkoutkit.stores.postgres import PostgresStore

    with pytest.raises(ConfigurationError):
        PostgresStore(postgres.dsn, table=table)


def test_unreachable_server_raises_store_unavailable() -> None:
    """A DSN nobody answers on raises StoreUnavailableError, for sync and async stores."""
    pytest.importorskip("psycopg")
    from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore

    dsn = f"host=127.0.0.1 port={free_port()} user=nobody dbname=x connect_timeout=1"
    store = PostgresStore(dsn, timeout=1)
    try:
        with pytest.raises(StoreUnavailableError):
            store.claim("evt_1", type="invoice.paid")
    finally:
        store.close()
    loop = LoopThread()
    try:
        async_store = AsyncPostgresStore(dsn, timeout=1)
        with pytest.raises(StoreUnavailableError):
            loop.run(async_store.claim("evt_1", type="invoice.paid"))
        loop.run(async_store.close())
    finally:
        loop.stop()


@pytest.mark.slow
def test_server_restart_keeps_data_and_the_store_recovers() -> None:
    """After PostgreSQL restarts, records are all there and the same store object works again."""
    from checkoutkit.stores.postgres import PostgresStore

    server = PostgresServer()
    try:
        server.start()
    except Exception as exc:  # the session fixture reports missing binaries
        pytest.skip(f"PostgreSQL is not available: {exc}")
    try:
        with PostgresStore(server.dsn, timeout=5) as store:
            assert store.complete(store.claim("evt_done", type="invoice.paid"))
            pending = store.claim("evt_pending", type="invoice.paid")
            assert store.release(pending, error="boom")
            server.stop()
            with pytest.raises(StoreUnavailableError):
                store.get("evt_done")
            server.start()
            # The pooled connection broken by the restart is noticed and replaced before use.
            assert store.claim("evt_done", type="invoice.paid").outcome is ClaimOutcome.DONE
            retry = store.claim("evt_pending", type="invoice.paid")
            assert retry.outcome is ClaimOutcome.CLAIMED
            assert retry.attempts == 2
    finally:
        server.destroy()


def test_a_closed_store_opens_a_new_pool_when_used_again(postgres: PostgresServer) -> None:
    """``close()`` ends the store's pool; a later call opens a new one instead of failing."""
    from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore

    table = _table()
    store = PostgresStore(postgres.dsn, table=table)
    assert store.complete(store.claim("evt_1", type="invoice.paid"))
    store.close()
    assert store.claim("evt_1", type="invoice.paid").outcome is ClaimOutcome.DONE
    store.close()
    loop = LoopThread()
    try:
        async_store = AsyncPostgresStore(postgres.dsn, table=table)
        loop.run(async_store.get("evt_1"))
        loop.run(async_store.close())
        record = loop.run(async_store.get("evt_1"))
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
        loop.run(async_store.close())
    finally:
        loop.stop()


@pytest.mark.parametrize("conninfo", ["host=127.0.0.1 port", "postgresql://a:b@[::1"])
def test_malformed_connection_string_is_refused(conninfo: str) -> None:
    """A connection string libpq cannot parse raises ConfigurationError at creation."""
    pytest.importorskip("psycopg")
    from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore

    with pytest.raises(ConfigurationError):
        PostgresStore(conninfo)
    with pytest.raises(ConfigurationError):
        AsyncPostgresStore(conninfo)


def test_missing_driver_names_the_extra() -> None:
    """Without psycopg, creating the store raises MissingDependencyError naming the extra."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("psycopg", "psycopg_pool"):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
from checkoutkit import MissingDependencyError
from checkoutkit.stores.postgres import PostgresStore
try:
    PostgresStore("host=127.0.0.1")
except MissingDependencyError as exc:
    print(exc)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert "checkoutkit[postgres]" in out
    assert issubclass(MissingDependencyError, ImportError)


@pytest.mark.parametrize(
    "kwargs",
    [{"pool_size": 0}, {"pool_size": 2.5}, {"timeout": 0}, {"timeout": -1}, {"timeout": math.inf}],
)
def test_bad_limits_are_refused(postgres: PostgresServer, kwargs: dict[str, float]) -> None:
    """A pool size below 1 or a non-positive timeout raises ConfigurationError at creation."""
    from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore

    with pytest.raises(ConfigurationError):
        PostgresStore(postgres.dsn, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        AsyncPostgresStore(postgres.dsn, **kwargs)  # type: ignore[arg-type]


def test_a_process_that_never_closes_its_store_exits_without_waiting(
    postgres: PostgresServer,
) -> None:
    """The store's own pool is closed at exit: psycopg_pool would otherwise wait 5 s for each of
    its threads, and say so on stderr (``checkoutkit replay`` took 20 s to end)."""
    code = (
        "from checkoutkit.stores.postgres import PostgresStore\n"
        f"store = PostgresStore({postgres.dsn!r})\n"
        "assert store.get('evt_never') is None\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "couldn't stop thread" not in result.stderr
