"""PostgreSQL event stores (psycopg 3): :class:`PostgresStore` and :class:`AsyncPostgresStore`.

Install with ``pip install 'checkoutkit[postgres]'``. Every instance of an application may share
one table: a claim is a single ``INSERT … ON CONFLICT … DO UPDATE … WHERE`` statement, so exactly
one caller wins, and leases are measured by the database server's clock.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from checkoutkit.exceptions import (
    ConfigurationError,
)
from checkoutkit.stores._postgres_sql import (
    DEFAULT_TABLE,
    Queries,
    check_limits,
    claim_from_row,
    connect_kwargs,
    is_suspect,
    require_driver,
    translate_errors,
)
from checkoutkit.stores._protocol import (
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    check_claim_args,
    new_token,
)
from checkoutkit.stores._rows import matching_records, record_from_row

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

__all__ = ["AsyncPostgresStore", "PostgresStore"]


class PostgresStore:
    """An :class:`~checkoutkit.stores.EventStore` in a PostgreSQL table, shared by every instance.

    ``conninfo`` is a libpq connection string or URL (the store then keeps its own pool of up to
    ``pool_size`` connections), a :class:`psycopg_pool.ConnectionPool`, or a
    :class:`psycopg.Connection` dedicated to the store (switched to autocommit; calls through it
    are serialised by a lock). ``timeout`` bounds the wait for a connection: past it, and whenever
    the server cannot be reached, calls raise :class:`~checkoutkit.StoreUnavailableError`.

    With a connection string the store recovers by itself from an outage, whenever it began
    (before first use, with connections idle in the pool, in the middle of a statement): its
    pool reconnects in the background, and a pooled connection that the server dropped is
    noticed and replaced before use. A connection passed in is the caller's to replace.

    The table (``checkoutkit_events`` unless ``table`` names another, optionally
    schema-qualified) is created on first use unless ``create_schema=False``; then call
    :meth:`create_schema` once, e.g. from a migration.
    """

    def __init__(
        self,
        conninfo: str | psycopg.Connection[Any] | psycopg_pool.ConnectionPool[Any],
        *,
        table: str = DEFAULT_TABLE,
        create_schema: bool = True,
        pool_size: int = 4,
        timeout: float = 10.0,
    ) -> None:
        require_driver()
        import psycopg
        import psycopg_pool

        check_limits(timeout, pool_size)
        self._queries = Queries(table)
        self.table = table
        self._schema_ready = not create_schema
        self._lock = threading.Lock()
        self._timeout = timeout
        self._pool_size = pool_size
        self._conninfo = ""
        self._kwargs: dict[str, Any] = {}
        self._owns_pool = False
        self._pool: psycopg_pool.ConnectionPool[Any] | None = None
        self._conn: psycopg.Connection[Any] | None = None
        if isinstance(conninfo, str):
            self._conninfo = conninfo
            self._kwargs = connect_kwargs(conninfo, timeout)
            self._owns_pool = True  # made and opened at first use, made again after close()
        elif isinstance(conninfo, psycopg_pool.ConnectionPool):
            self._pool = conninfo
        elif isinstance(conninfo, psycopg.Connection):
            self._conn = conninfo
            if not conninfo.autocommit:
                with translate_errors("connect"):
                    conninfo.autocommit = True
        else:
            raise ConfigurationError(
                "PostgresStore needs a connection string, a psycopg Connection or a ConnectionPool"
            )

    def __repr__(self) -> str:
        return f"PostgresStore(table={self.table!r})"

    def _open_pool(self) -> psycopg_pool.ConnectionPool[Any]:
        """The store's own pool, made and opened now if needed (never fails for a server down:
        the pool connects in the background and keeps trying)."""
        import psycopg_pool

        with self._lock:
            if self._pool is None:
                pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._pool_size,
                    kwargs=self._kwargs,
                    open=False,
                    timeout=self._timeout,
                    # Give up a round of reconnection attempts (1 s, 2 s, 4 s… apart) after
                    # ``timeout``; the next caller waiting for a connection starts a new one.
                    reconnect_timeout=self._timeout,
                    check=self._check_connection,
                    name="checkoutkit-events",
                )
                pool.open(wait=False)
                # An unclosed pool makes the interpreter wait 5 s per pool thread at exit.
                weakref.finalize(self, pool.close, timeout=1.0)
                self._pool = pool
            return self._pool

    def _check_connection(self, conn: psycopg.Connection[Any]) -> None:
        """The pool's ``check``: a connection that looks dead is tested, and if it is, every
        idle connection is (a server restart breaks them all), so the pool hands out a live one."""
        from psycopg_pool import ConnectionPool

        if not is_suspect(conn):
            return
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            if self._pool is not None:
                with suppress(Exception):
                    self._pool.check()
            raise

    @contextmanager
    def _connection(self, where: str) -> Iterator[psycopg.Connection[Any]]:
        import psycopg

        with translate_errors(where):
            if self._conn is None:
                pool = self._pool if self._pool is not None else self._open_pool()
                with pool.connection(timeout=self._timeout) as conn:
                    try:
                        self._ensure_schema(conn)
                        yield conn
                    except psycopg.Error:
                        if conn.closed:
                            # The server went away mid-call: the idle connections are likely
                            # dead too; replace them now rather than fail one call each.
                            with suppress(Exception):
                                pool.check()
                        raise
            else:
                with self._lock:
                    self._ensure_schema(self._conn)
                    yield self._conn

    def _ensure_schema(self, conn: psycopg.Connection[Any]) -> None:
        if self._schema_ready:
            return
        self._create_schema(conn)
        self._schema_ready = True

    def _create_schema(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            # Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalogue: serialise it.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._queries.lock_key,))
            for statement in self._queries.schema:
                conn.execute(statement)

    def create_schema(self) -> None:
        """Create the table and its index if they do not exist (safe to call concurrently)."""
        self._schema_ready = True  # _connection must not try first
        with self._connection("create schema") as conn:
            self._create_schema(conn)

    def close(self) -> None:
        """Close the pool the store opened itself (a pool or connection passed in stays open).

        A store made from a connection string opens a new pool if it is used again.
        """
        if self._owns_pool:
            with self._lock:
                pool, self._pool = self._pool, None
            if pool is not None:
                pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        token = new_token()
        params = {
            "key": key,
            "type": type,
            "lease": float(lease),
            "token": token,
            "payload": None if payload is None else bytes(payload),
        }
        with self._connection("claim") as conn:
            row = conn.execute(self._queries.claim, params).fetchone()
        return claim_from_row(key, token, row)

    def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with self._connection(status.value) as conn:
            cursor = conn.execute(
                self._queries.finish, (status.value, error, claim.key, claim.token)
            )
            return cursor.rowcount == 1

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""
        return self._finish(claim, EventStatus.SUCCEEDED, None)

    def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with self._connection("renew") as conn:
            cursor = conn.execute(self._queries.renew, (float(lease), claim.key, claim.token))
            return cursor.rowcount == 1

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""
        return self._finish(claim, EventStatus.FAILED if permanent else EventStatus.PENDING, error)

    def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        with self._connection("requeue") as conn:
            cursor = conn.execute(self._queries.requeue, (key,))
            return cursor.rowcount == 1

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        with self._connection("get") as conn:
            row = conn.execute(self._queries.get, (key,)).fetchone()
        return None if row is None else record_from_row(row)

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        query, args = self._queries.records_query(status)
        with self._connection("records") as conn:
            rows = conn.execute(query, args).fetchall()
        return matching_records(rows, type_pattern)


class AsyncPostgresStore:
    """The asyncio twin of :class:`PostgresStore` (an :class:`~checkoutkit.stores.AsyncEventStore`).

    ``conninfo`` is a connection string (the store keeps its own
    :class:`psycopg_pool.AsyncConnectionPool`), an ``AsyncConnectionPool``, or a dedicated
    :class:`psycopg.AsyncConnection`. Same table, same guarantees: sync and async instances may
    share one table.
    """

    def __init__(
        self,
        conninfo: str | psycopg.AsyncConnection[Any] | psycopg_pool.AsyncConnectionPool[Any],
        *,
        table: str = DEFAULT_TABLE,
        create_schema: bool = True,
        pool_size: int = 4,
        timeout: float = 10.0,
    ) -> None:
        require_driver()
        import psycopg
        import psycopg_pool

        check_limits(timeout, pool_size)
        self._queries = Queries(table)
        self.table = table
        self._schema_ready = not create_schema
        self._timeout = timeout
        self._pool_size = pool_size
        self._conninfo = ""
        self._kwargs: dict[str, Any] = {}
        self._owns_pool = False
        self._lock: asyncio.Lock | None = None
        self._pool: psycopg_pool.AsyncConnectionPool[Any] | None = None
        self._conn: psycopg.AsyncConnection[Any] | None = None
        if isinstance(conninfo, str):
            self._conninfo = conninfo
            self._kwargs = connect_kwargs(conninfo, timeout)
            self._owns_pool = True  # made and opened at first use, made again after close()
        elif isinstance(conninfo, psycopg_pool.AsyncConnectionPool):
            self._pool = conninfo
        elif isinstance(conninfo, psycopg.AsyncConnection):
            self._conn = conninfo
        else:
            raise ConfigurationError(
                "AsyncPostgresStore needs a connection string, a psycopg AsyncConnection or an"
                " AsyncConnectionPool"
            )

    def __repr__(self) -> str:
        return f"AsyncPostgresStore(table={self.table!r})"

    def _get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _open_pool(self) -> psycopg_pool.AsyncConnectionPool[Any]:
        """The store's own pool, made and opened now if needed (see PostgresStore._open_pool)."""
        import psycopg_pool

        async with self._get_lock():
            if self._pool is None:
                pool: psycopg_pool.AsyncConnectionPool[Any] = psycopg_pool.AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._pool_size,
                    kwargs=self._kwargs,
                    open=False,
                    timeout=self._timeout,
                    reconnect_timeout=self._timeout,
                    check=self._check_connection,
                    name="checkoutkit-events",
                )
                await pool.open(wait=False)
                self._pool = pool
            return self._pool

    async def _check_connection(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """The pool's ``check``: see PostgresStore._check_connection."""
        from psycopg_pool import AsyncConnectionPool

        if not is_suspect(conn):
            return
        try:
            await AsyncConnectionPool.check_connection(conn)
        except Exception:
            if self._pool is not None:
                with suppress(Exception):
                    await self._pool.check()
            raise

    async def _run(
        self, where: str, query: Any, params: Any, fetch: str
    ) -> Any:  # one statement on a connection from the pool (or the dedicated one)
        import psycopg

        with translate_errors(where):
            if self._conn is None:
                pool = self._pool if self._pool is not None else await self._open_pool()
                async with pool.connection(timeout=self._timeout) as conn:
                    try:
                        return await self._execute(conn, query, params, fetch)
                    except psycopg.Error:
                        if conn.closed:  # the server went away: replace the idle ones now
                            with suppress(Exception):
                                await pool.check()
                        raise
            async with self._get_lock():
                if not self._conn.autocommit:
                    await self._conn.set_autocommit(True)
                return await self._execute(self._conn, query, params, fetch)

    async def _execute(
        self, conn: psycopg.AsyncConnection[Any], query: Any, params: Any, fetch: str
    ) -> Any:
        if not self._schema_ready:
            await self._create_schema(conn)
            self._schema_ready = True
        if query is None:
            return None
        cursor = await conn.execute(query, params)
        if fetch == "one":
            return await cursor.fetchone()
        if fetch == "all":
            return await cursor.fetchall()
        return cursor.rowcount

    async def _create_schema(self, conn: psycopg.AsyncConnection[Any]) -> None:
        async with conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (self._queries.lock_key,)
            )
            for statement in self._queries.schema:
                await conn.execute(statement)

    async def create_schema(self) -> None:
        """Create the table and its index if they do not exist (safe to call concurrently)."""
        self._schema_ready = False
        await self._run("create schema", None, None, "none")

    async def close(self) -> None:
        """Close the pool the store opened itself (a pool or connection passed in stays open).

        A store made from a connection string opens a new pool if it is used again.
        """
        if self._owns_pool:
            pool, self._pool = self._pool, None
            if pool is not None:
                await pool.close()

    async def __aenter__(self) -> AsyncPostgresStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        token = new_token()
        params = {
            "key": key,
            "type": type,
            "lease": float(lease),
            "token": token,
            "payload": None if payload is None else bytes(payload),
        }
        row = await self._run("claim", self._queries.claim, params, "one")
        return claim_from_row(key, token, row)

    async def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        params = (status.value, error, claim.key, claim.token)
        rowcount = await self._run(status.value, self._queries.finish, params, "rowcount")
        return bool(rowcount == 1)

    async def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost."""
        return await self._finish(claim, EventStatus.SUCCEEDED, None)

    async def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        params = (float(lease), claim.key, claim.token)
        rowcount = await self._run("renew", self._queries.renew, params, "rowcount")
        return bool(rowcount == 1)

    async def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` or ``failed`` if permanent."""
        status = EventStatus.FAILED if permanent else EventStatus.PENDING
        return await self._finish(claim, status, error)

    async def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        rowcount = await self._run("requeue", self._queries.requeue, (key,), "rowcount")
        return bool(rowcount == 1)

    async def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        row = await self._run("get", self._queries.get, (key,), "one")
        return None if row is None else record_from_row(row)

    async def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        query, args = self._queries.records_query(status)
        rows = await self._run("records", query, args, "all")
        return matching_records(rows, type_pattern)
