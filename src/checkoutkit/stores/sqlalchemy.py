"""Event stores in the application's own database through SQLAlchemy 2: :class:`SqlAlchemyStore`
(on an ``Engine``) and :class:`AsyncSqlAlchemyStore` (on an ``AsyncEngine``).

Install with ``pip install 'checkoutkit[sqlalchemy]'`` (and the application's driver: psycopg 3
for PostgreSQL, sync and async; ``aiosqlite`` for async SQLite). Both are transactional
stores: the fulfil callback (and router handlers registered with ``transactional=True``) get
the open ``Session`` (``AsyncSession``) as a second argument, and the event is recorded as
handled in that same database transaction, so the work's writes and the record commit, or
roll back, together.

The table is declared on a ``MetaData`` the application passes (its Alembic autogenerate then
picks it up), or on one of its own; :meth:`SqlAlchemyStore.create_all` creates it for the quick
path. PostgreSQL and SQLite are supported: a claim is one ``INSERT … ON CONFLICT DO UPDATE …
WHERE … RETURNING`` statement, atomic across threads, processes and machines; completions,
renewals and releases are one ``UPDATE`` guarded by the claim's token. Each of these runs on a
connection of its own from the engine's pool, in autocommit, never in a transaction the caller
has open. Leases are measured by the database server's clock unless ``clock`` is given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar, cast

from checkoutkit.exceptions import ConfigurationError
from checkoutkit.stores._protocol import (
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    check_claim_args,
    new_token,
)
from checkoutkit.stores._rows import matching_records, record_from_row
from checkoutkit.stores._sqlalchemy_sql import (
    DEFAULT_TABLE,
    Statements,
    check_dialect,
    claim_lost,
    claim_result,
    define_table,
    held_token,
    require_sqlalchemy,
    same_database,
    translate_errors,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["AsyncSqlAlchemyStore", "SqlAlchemyStore"]

_E = TypeVar("_E", "sa.Engine", "AsyncEngine")


def _check_clock(clock: Callable[[], float] | None) -> None:
    if clock is not None and not callable(clock):
        raise ConfigurationError("clock must be a function returning seconds, like time.time")


def _autocommit(engine: _E) -> _E:
    """The same pool, each connection in autocommit: one statement, one transaction (and no
    needless ROLLBACK when the connection goes back to the pool, on SQLAlchemy 2.0.43+)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT", skip_autocommit_rollback=True)


def _rowcount(result: Any) -> int:
    return int(cast("CursorResult[Any]", result).rowcount)


class SqlAlchemyStore:
    """A :class:`~checkoutkit.stores.TransactionalEventStore` in a table of the application's
    database, reached through a SQLAlchemy ``Engine`` (PostgreSQL or SQLite).

    ``metadata`` is the application's ``MetaData`` (the table is declared on it, so Alembic's
    autogenerate sees it); without it the store declares the table on a ``MetaData`` of its own
    (:attr:`metadata`). ``table`` names the table; stores with different names coexist.
    ``session_factory`` is the application's ``sessionmaker`` (its ORM settings then apply to
    the session :meth:`transaction` opens); without it, a plain ``Session(engine)``. ``clock``
    (like :func:`time.time`) replaces the database server's clock, for tests.

    Errors reaching the database raise :class:`~checkoutkit.StoreUnavailableError`; other
    database errors :class:`~checkoutkit.StoreError`. ``pool_pre_ping=True`` on the engine lets
    the pool replace a connection the server dropped before the store uses it.
    """

    def __init__(
        self,
        engine: sa.Engine,
        *,
        metadata: sa.MetaData | None = None,
        table: str = DEFAULT_TABLE,
        session_factory: sessionmaker[Session] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        require_sqlalchemy()
        import sqlalchemy as sa

        if not isinstance(engine, sa.Engine):
            raise ConfigurationError("SqlAlchemyStore needs a sqlalchemy Engine")
        check_dialect(engine.dialect.name)
        _check_clock(clock)
        if session_factory is not None and not callable(session_factory):
            raise ConfigurationError("session_factory must be a sessionmaker")
        self.engine = engine
        self.table = define_table(metadata, table)
        self.metadata = self.table.metadata
        self._session_factory = session_factory
        self._sql = Statements(self.table, engine.dialect.name, clock)
        self._autocommit = _autocommit(engine)
        self._owns_engine = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SqlAlchemyStore:
        """A store on a new engine for ``url`` (disposed by :meth:`close`)."""
        require_sqlalchemy()
        import sqlalchemy as sa

        with _url_errors(url):
            engine = sa.create_engine(url, pool_pre_ping=True)
        store = cls(engine, **options)
        store._owns_engine = True
        return store

    def __repr__(self) -> str:
        return f"SqlAlchemyStore(table={self.table.name!r}, url={self.engine.url!r})"

    def create_all(self) -> None:
        """Create the store's table and index if missing (the rest of the MetaData is left to
        the application). For production, prefer a migration (Alembic autogenerate sees the
        table on the application's MetaData)."""
        with translate_errors("create table"):
            self.metadata.create_all(self.engine, tables=[self.table])

    def close(self) -> None:
        """Dispose of the engine if the store made it (:meth:`from_url`); else do nothing."""
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> SqlAlchemyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, where: str, statement: Any) -> Any:
        with translate_errors(where), self._autocommit.connect() as conn:
            return conn.execute(*statement)

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        token = new_token()
        data = None if payload is None else bytes(payload)
        with translate_errors("claim"), self._autocommit.connect() as conn:
            claimed = conn.execute(*self._sql.claim(key, type, lease, token, data)).first()
            state = None if claimed is not None else conn.execute(*self._sql.state(key)).first()
        return claim_result(key, token, claimed, state)

    def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        return _rowcount(self._execute(status.value, self._sql.finish(claim, status, error))) == 1

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""
        return self._finish(claim, EventStatus.SUCCEEDED, None)

    def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        return _rowcount(self._execute("renew", self._sql.renew(claim, lease))) == 1

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""
        return self._finish(claim, EventStatus.FAILED if permanent else EventStatus.PENDING, error)

    def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        return _rowcount(self._execute("requeue", self._sql.requeue(key))) == 1

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        row = self._execute("get", self._sql.get(key)).first()
        return None if row is None else record_from_row(row)

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        rows = self._execute("records", self._sql.records(status)).all()
        return matching_records(rows, type_pattern)

    def _new_session(self) -> Session:
        from sqlalchemy.orm import Session

        session = Session(self.engine) if self._session_factory is None else self._session_factory()
        _check_session(session, self.engine)
        return session

    @contextmanager
    def transaction(self, claim: Claim) -> Iterator[Session]:
        """Open a ``Session`` in a transaction for the work of the held ``claim``; yield it.

        Leaving the block flushes the work's writes, records the key as succeeded with an
        ``UPDATE`` guarded by the claim's token, in the same transaction, and commits. If the
        claim was taken over (or finished) meanwhile, that raises
        :class:`~checkoutkit.ClaimLostError` and everything rolls back. An exception in the
        block rolls back and propagates. The work must not commit or roll back the session
        itself (:class:`~checkoutkit.ConfigurationError`).
        """
        token = held_token(claim)
        held = Claim(ClaimOutcome.CLAIMED, claim.key, token, claim.attempts)
        session = self._new_session()
        try:
            began = session.begin()
            yield session
            _check_still_in(began)
            session.flush()
            with translate_errors("record"):
                recorded = session.execute(*self._sql.finish(held, EventStatus.SUCCEEDED, None))
            if _rowcount(recorded) != 1:
                raise claim_lost(claim)
            with translate_errors("commit"):
                session.commit()
        except BaseException:
            with suppress(Exception):
                session.rollback()
            raise
        finally:
            with suppress(Exception):
                session.close()


class AsyncSqlAlchemyStore:
    """The asyncio twin of :class:`SqlAlchemyStore`, on an ``AsyncEngine``
    (``postgresql+psycopg://…`` or ``sqlite+aiosqlite:///…``).

    Same table, same guarantees: sync and async stores may share one table.
    ``session_factory`` is an ``async_sessionmaker``; :meth:`transaction` yields an
    ``AsyncSession``.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        metadata: sa.MetaData | None = None,
        table: str = DEFAULT_TABLE,
        session_factory: async_sessionmaker[AsyncSession] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        require_sqlalchemy()
        from sqlalchemy.ext.asyncio import AsyncEngine

        if not isinstance(engine, AsyncEngine):
            raise ConfigurationError("AsyncSqlAlchemyStore needs a sqlalchemy AsyncEngine")
        check_dialect(engine.dialect.name)
        _check_clock(clock)
        if session_factory is not None and not callable(session_factory):
            raise ConfigurationError("session_factory must be an async_sessionmaker")
        self.engine = engine
        self.table = define_table(metadata, table)
        self.metadata = self.table.metadata
        self._session_factory = session_factory
        self._sql = Statements(self.table, engine.dialect.name, clock)
        self._autocommit = _autocommit(engine)
        self._owns_engine = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AsyncSqlAlchemyStore:
        """A store on a new async engine for ``url`` (disposed by :meth:`close`)."""
        require_sqlalchemy()
        from sqlalchemy.ext.asyncio import create_async_engine

        with _url_errors(url):
            engine = create_async_engine(url, pool_pre_ping=True)
        store = cls(engine, **options)
        store._owns_engine = True
        return store

    def __repr__(self) -> str:
        return f"AsyncSqlAlchemyStore(table={self.table.name!r}, url={self.engine.url!r})"

    async def create_all(self) -> None:
        """Create the store's table and index if missing (see SqlAlchemyStore.create_all)."""
        with translate_errors("create table"):
            async with self.engine.begin() as conn:
                await conn.run_sync(lambda sync: self.metadata.create_all(sync, [self.table]))

    async def close(self) -> None:
        """Dispose of the engine if the store made it (:meth:`from_url`); else do nothing."""
        if self._owns_engine:
            await self.engine.dispose()

    async def __aenter__(self) -> AsyncSqlAlchemyStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _execute(self, where: str, statement: Any, fetch: str) -> Any:
        with translate_errors(where):
            async with self._autocommit.connect() as conn:
                result = await conn.execute(*statement)
                if fetch == "first":
                    return result.first()
                if fetch == "all":
                    return result.all()
                return _rowcount(result)

    async def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        token = new_token()
        data = None if payload is None else bytes(payload)
        with translate_errors("claim"):
            async with self._autocommit.connect() as conn:
                result = await conn.execute(*self._sql.claim(key, type, lease, token, data))
                claimed = result.first()
                state = None
                if claimed is None:
                    state = (await conn.execute(*self._sql.state(key))).first()
        return claim_result(key, token, claimed, state)

    async def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        statement = self._sql.finish(claim, status, error)
        return bool(await self._execute(status.value, statement, "rowcount") == 1)

    async def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost."""
        return await self._finish(claim, EventStatus.SUCCEEDED, None)

    async def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        return bool(await self._execute("renew", self._sql.renew(claim, lease), "rowcount") == 1)

    async def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` or ``failed`` if permanent."""
        status = EventStatus.FAILED if permanent else EventStatus.PENDING
        return await self._finish(claim, status, error)

    async def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        return bool(await self._execute("requeue", self._sql.requeue(key), "rowcount") == 1)

    async def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        row = await self._execute("get", self._sql.get(key), "first")
        return None if row is None else record_from_row(row)

    async def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and type pattern, oldest first."""
        rows = await self._execute("records", self._sql.records(status), "all")
        return matching_records(rows, type_pattern)

    def _new_session(self) -> AsyncSession:
        from sqlalchemy.ext.asyncio import AsyncSession

        factory = self._session_factory
        session = AsyncSession(self.engine) if factory is None else factory()
        _check_session(session.sync_session, self.engine.sync_engine)
        return session

    @asynccontextmanager
    async def transaction(self, claim: Claim) -> AsyncIterator[AsyncSession]:
        """Open an ``AsyncSession`` in a transaction for the work of the held ``claim``
        (``async with``); the same semantics as :meth:`SqlAlchemyStore.transaction`."""
        token = held_token(claim)
        held = Claim(ClaimOutcome.CLAIMED, claim.key, token, claim.attempts)
        session = self._new_session()
        try:
            began = await session.begin()
            yield session
            _check_still_in(began.sync_transaction)
            await session.flush()
            with translate_errors("record"):
                statement = self._sql.finish(held, EventStatus.SUCCEEDED, None)
                recorded = await session.execute(*statement)
            if _rowcount(recorded) != 1:
                raise claim_lost(claim)
            with translate_errors("commit"):
                await session.commit()
        except BaseException:
            with suppress(Exception):
                await session.rollback()
            raise
        finally:
            with suppress(Exception):
                await session.close()


def _check_session(session: Any, engine: sa.Engine) -> None:
    """A fresh session on the store's database, or ConfigurationError."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import Session

    if not isinstance(session, Session):
        raise ConfigurationError("session_factory must return a new Session")
    if session.in_transaction():
        session.close()
        raise ConfigurationError(
            "session_factory returned a Session already in a transaction; pass a sessionmaker, "
            "which makes a new Session each time"
        )
    try:
        bind = session.get_bind()
    except sa_exc.SQLAlchemyError as exc:
        session.close()
        raise ConfigurationError(f"session_factory's sessions have no engine: {exc}") from exc
    if not same_database(bind.engine.url, engine.url):
        session.close()
        raise ConfigurationError(
            "session_factory's sessions use another database than the store's engine: the work "
            "and its record must commit in one transaction"
        )


def _check_still_in(began: Any) -> None:
    if not began.is_active:
        raise ConfigurationError(
            "the work committed or rolled back the store's transaction itself; leave that to "
            "the store, which commits the work together with its record"
        )


@contextmanager
def _url_errors(url: str) -> Iterator[None]:
    from sqlalchemy import exc as sa_exc

    try:
        yield
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ValueError) as exc:
        raise ConfigurationError(f"not a usable SQLAlchemy database URL: {exc}") from exc
    except ImportError as exc:
        from checkoutkit.exceptions import MissingDependencyError

        raise MissingDependencyError(f"the driver of {url.partition(':')[0]!r}: {exc}") from exc
