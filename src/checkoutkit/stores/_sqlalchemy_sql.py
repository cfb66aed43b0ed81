"""The table and statements that :class:`SqlAlchemyStore` and its async twin share."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from checkoutkit.exceptions import (
    CheckoutKitError,
    ConfigurationError,
    MissingDependencyError,
    StoreError,
    StoreUnavailableError,
)
from checkoutkit.stores._protocol import Claim, ClaimOutcome, EventRecord, EventStatus

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import URL

DEFAULT_TABLE = "checkoutkit_events"
DIALECTS = ("postgresql", "sqlite")
COLUMNS = (
    "key",
    "type",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "updated_at",
    "lease_expires_at",
    "token",
    "payload",
)
_PROCESSING = EventStatus.PROCESSING.value


def require_sqlalchemy() -> None:
    try:
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            "the SQLAlchemy event store needs SQLAlchemy 2: pip install 'checkoutkit[sqlalchemy]'"
        ) from exc


def define_table(metadata: sa.MetaData | None, name: str) -> sa.Table:
    """The store's table on ``metadata`` (a new MetaData if None); reused if already there."""
    import sqlalchemy as sa
    from sqlalchemy.sql.naming import conv

    if not isinstance(name, str) or not name:
        raise ConfigurationError("table must be a non-empty string")
    if metadata is None:
        metadata = sa.MetaData()
    elif not isinstance(metadata, sa.MetaData):
        raise ConfigurationError("metadata must be a sqlalchemy.MetaData")
    key = name if metadata.schema is None else f"{metadata.schema}.{name}"
    existing = metadata.tables.get(key)
    if existing is not None:
        if tuple(existing.c.keys()) != COLUMNS:
            raise ConfigurationError(
                f"the MetaData already has a table {key!r} that is not an event store's"
            )
        return existing
    statuses = ", ".join(f"'{s.value}'" for s in EventStatus)
    return sa.Table(
        name,
        metadata,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        # Seconds since the epoch, by the database's clock (or the store's injected one).
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("lease_expires_at", sa.Double),
        sa.Column("token", sa.String(64)),
        sa.Column("payload", sa.LargeBinary),
        # conv(): the names stay as they are whatever naming convention the MetaData has.
        sa.CheckConstraint(f"status IN ({statuses})", name=conv(f"ck_{name}_status")),
        sa.Index(conv(f"ix_{name}_status_created"), "status", "created_at"),
        sqlite_with_rowid=False,
    )


def check_dialect(name: str) -> None:
    if name not in DIALECTS:
        raise ConfigurationError(
            f"the SQLAlchemy event store supports PostgreSQL and SQLite, not {name!r}"
        )


def same_database(a: URL, b: URL) -> bool:
    """True when two engine URLs name the same database (drivers aside)."""
    return (a.get_backend_name(), a.host, a.port, a.database) == (
        b.get_backend_name(),
        b.host,
        b.port,
        b.database,
    )


def held_token(claim: Claim) -> str:
    """The token of a held claim; ConfigurationError for anything else."""
    if not isinstance(claim, Claim) or claim.outcome is not ClaimOutcome.CLAIMED or not claim.token:
        raise ConfigurationError("a transaction needs a claim that is held (CLAIMED)")
    return claim.token


def is_unavailable(exc: BaseException) -> bool:
    """True for an error that says the database cannot be reached (or is locked, for SQLite)."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc,
        (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.TimeoutError,
            sa_exc.DisconnectionError,
        ),
    )


@contextmanager
def translate_errors(where: str) -> Iterator[None]:
    """SQLAlchemy's errors as ours: StoreUnavailableError or StoreError."""
    from sqlalchemy import exc as sa_exc

    try:
        yield
    except CheckoutKitError:
        raise
    except sa_exc.SQLAlchemyError as exc:
        kind = StoreUnavailableError if is_unavailable(exc) else StoreError
        raise kind(f"SQLAlchemy event store ({where}): {exc}") from exc


def claim_lost(claim: Claim) -> CheckoutKitError:
    from checkoutkit.exceptions import ClaimLostError

    return ClaimLostError(
        f"{claim.key}: the claim was taken over or finished before its transaction committed"
    )


class Statements:
    """The store's statements on one table, for one dialect and clock."""

    def __init__(
        self, table: sa.Table, dialect: str, clock: Callable[[], float] | None = None
    ) -> None:
        check_dialect(dialect)
        self.table = table
        self.dialect = dialect
        self.clock = clock

    def now(self) -> sa.ColumnElement[float]:
        """The current time: the injected clock's, else the database server's (one clock for
        every host of the application)."""
        import sqlalchemy as sa

        if self.clock is not None:
            return sa.literal(float(self.clock()), sa.Double)
        if self.dialect == "postgresql":
            return sa.cast(sa.extract("epoch", sa.func.statement_timestamp()), sa.Double)
        # SQLite: 'now' is the same for every use within one statement.
        return sa.cast((sa.func.julianday("now") - 2440587.5) * 86400.0, sa.Double)

    def claim(
        self, key: str, type: str, lease: float, token: str, payload: bytes | None
    ) -> sa.Executable:
        """Insert the key, or take it over when pending or its lease expired: one statement,
        which returns the attempts only when this call got the claim."""
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        t = self.table
        now = self.now()
        values = {
            "key": key,
            "type": type,
            "status": _PROCESSING,
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "lease_expires_at": now + float(lease),
            "token": token,
            "payload": payload,
        }
        stmt = insert(t).values(values)
        excluded = stmt.excluded
        return stmt.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={
                "status": _PROCESSING,
                "attempts": t.c.attempts + 1,
                "updated_at": now,
                "lease_expires_at": excluded.lease_expires_at,
                "token": excluded.token,
                "payload": sa.func.coalesce(excluded.payload, t.c.payload),
            },
            where=sa.or_(
                t.c.status == EventStatus.PENDING.value,
                sa.and_(t.c.status == _PROCESSING, t.c.lease_expires_at <= now),
            ),
        ).returning(t.c.attempts)

    def state(self, key: str) -> sa.Executable:
        import sqlalchemy as sa

        t = self.table
        return sa.select(t.c.status, t.c.attempts).where(t.c.key == key)

    def finish(self, claim: Claim, status: EventStatus, error: str | None) -> sa.Executable:
        if error is not None and self.dialect == "postgresql":
            error = error.replace("\x00", "\ufffd")  # PostgreSQL's text cannot hold NUL
        return self._held(claim).values(
            status=status.value,
            last_error=error,
            updated_at=self.now(),
            lease_expires_at=None,
            token=None,
        )

    def renew(self, claim: Claim, lease: float) -> sa.Executable:
        now = self.now()
        return self._held(claim).values(updated_at=now, lease_expires_at=now + float(lease))

    def _held(self, claim: Claim) -> sa.Update:
        import sqlalchemy as sa

        t = self.table
        return sa.update(t).where(
            t.c.key == claim.key, t.c.token == claim.token, t.c.status == _PROCESSING
        )

    def requeue(self, key: str) -> sa.Executable:
        import sqlalchemy as sa

        t = self.table
        return (
            sa.update(t)
            .where(t.c.key == key, t.c.status == EventStatus.FAILED.value)
            .values(status=EventStatus.PENDING.value, updated_at=self.now())
        )

    def get(self, key: str) -> sa.Executable:
        return self._select().where(self.table.c.key == key)

    def records(self, status: EventStatus | None) -> sa.Executable:
        t = self.table
        query = self._select()
        if status is not None:
            query = query.where(t.c.status == EventStatus(status).value)
        return query.order_by(t.c.created_at, t.c.key)

    def _select(self) -> sa.Select[Any]:
        import sqlalchemy as sa

        t = self.table
        return sa.select(*(t.c[name] for name in COLUMNS if name != "token"))


def claim_result(key: str, token: str, claimed: Any, state: Any) -> Claim:
    """The claim from the claim statement's row (``claimed``) or else the key's state."""
    if claimed is not None:
        return Claim(ClaimOutcome.CLAIMED, key, token, claimed[0])
    if state is None:  # cannot happen (rows are never deleted); another worker's, then
        return Claim(ClaimOutcome.BUSY, key, None, 0)
    status, attempts = state
    if status in (EventStatus.SUCCEEDED.value, EventStatus.FAILED.value):
        return Claim(ClaimOutcome.DONE, key, None, attempts)
    return Claim(ClaimOutcome.BUSY, key, None, attempts)


def record_from_row(row: Any) -> EventRecord:
    return EventRecord(
        key=row[0],
        type=row[1],
        status=EventStatus(row[2]),
        attempts=row[3],
        last_error=row[4],
        created_at=row[5],
        updated_at=row[6],
        lease_expires_at=row[7],
        payload=None if row[8] is None else bytes(row[8]),
    )


def matching_records(rows: Sequence[Any], type_pattern: str | None) -> list[EventRecord]:
    return [
        record_from_row(row)
        for row in rows
        if type_pattern is None or fnmatch.fnmatchcase(row[1], type_pattern)
    ]
