"""The table and statements that :class:`SqlAlchemyStore` and its async twin share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from checkoutkit.exceptions import (
    CheckoutKitError,
    ConfigurationError,
    MissingDependencyError,
    StoreError,
    StoreUnavailableError,
)
from checkoutkit.stores._protocol import Claim, ClaimOutcome, EventStatus

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


class Bound(NamedTuple):
    """A statement built once, and the values of its parameters for one call."""

    statement: sa.Executable
    params: dict[str, Any]


class Statements:
    """The store's statements on one table, for one dialect and clock.

    Each statement is built once, with bound parameters; a call only supplies their values.
    """

    def __init__(
        self, table: sa.Table, dialect: str, clock: Callable[[], float] | None = None
    ) -> None:
        import sqlalchemy as sa

        check_dialect(dialect)
        self.table = table
        self.dialect = dialect
        self.clock = clock
        t = table
        now = self._now()
        lease = sa.bindparam("b_lease", type_=sa.Double)
        self._claim = self._claim_statement(now, lease)
        self._state = sa.select(t.c.status, t.c.attempts).where(t.c.key == sa.bindparam("b_key"))
        held = sa.update(t).where(
            t.c.key == sa.bindparam("b_key"),
            t.c.token == sa.bindparam("b_held_token"),
            t.c.status == _PROCESSING,
        )
        self._finish = held.values(
            status=sa.bindparam("b_new_status"),
            last_error=sa.bindparam("b_error"),
            updated_at=now,
            lease_expires_at=None,
            token=None,
        )
        self._renew = held.values(updated_at=now, lease_expires_at=now + lease)
        self._requeue = (
            sa.update(t)
            .where(t.c.key == sa.bindparam("b_key"), t.c.status == EventStatus.FAILED.value)
            .values(status=EventStatus.PENDING.value, updated_at=now)
        )
        columns = sa.select(*(t.c[name] for name in COLUMNS if name != "token"))
        self._get = columns.where(t.c.key == sa.bindparam("b_key"))
        self._all = columns.order_by(t.c.created_at, t.c.key)
        self._with_status = columns.where(t.c.status == sa.bindparam("b_status")).order_by(
            t.c.created_at, t.c.key
        )

    def _now(self) -> sa.ColumnElement[float]:
        """The current time: the injected clock's (a parameter), else the database server's
        (one clock for every host of the application)."""
        import sqlalchemy as sa

        if self.clock is not None:
            return sa.bindparam("b_now", type_=sa.Double)
        if self.dialect == "postgresql":
            return sa.cast(sa.extract("epoch", sa.func.statement_timestamp()), sa.Double)
        # SQLite: 'now' is the same for every use within one statement.
        return sa.cast((sa.func.julianday("now") - 2440587.5) * 86400.0, sa.Double)

    def _bound(self, statement: sa.Executable, **params: Any) -> Bound:
        if self.clock is not None:
            params["b_now"] = float(self.clock())
        return Bound(statement, params)

    def _claim_statement(
        self, now: sa.ColumnElement[float], lease: sa.BindParameter[float]
    ) -> sa.Executable:
        """Insert the key, or take it over when pending or its lease expired: one statement,
        which returns the attempts only when this call got the claim."""
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        t = self.table
        stmt = insert(t).values(
            key=sa.bindparam("b_key"),
            type=sa.bindparam("b_type"),
            status=_PROCESSING,
            attempts=1,
            created_at=now,
            updated_at=now,
            lease_expires_at=now + lease,
            token=sa.bindparam("b_token"),
            payload=sa.bindparam("b_payload", type_=sa.LargeBinary),
        )
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

    def claim(self, key: str, type: str, lease: float, token: str, payload: bytes | None) -> Bound:
        return self._bound(
            self._claim,
            b_key=key,
            b_type=type,
            b_lease=float(lease),
            b_token=token,
            b_payload=payload,
        )

    def state(self, key: str) -> Bound:
        return Bound(self._state, {"b_key": key})

    def finish(self, claim: Claim, status: EventStatus, error: str | None) -> Bound:
        if error is not None and self.dialect == "postgresql":
            error = error.replace("\x00", "\ufffd")  # PostgreSQL's text cannot hold NUL
        return self._bound(
            self._finish,
            b_key=claim.key,
            b_held_token=claim.token,
            b_new_status=status.value,
            b_error=error,
        )

    def renew(self, claim: Claim, lease: float) -> Bound:
        return self._bound(
            self._renew, b_key=claim.key, b_held_token=claim.token, b_lease=float(lease)
        )

    def requeue(self, key: str) -> Bound:
        return self._bound(self._requeue, b_key=key)

    def get(self, key: str) -> Bound:
        return Bound(self._get, {"b_key": key})

    def records(self, status: EventStatus | None) -> Bound:
        if status is None:
            return Bound(self._all, {})
        return Bound(self._with_status, {"b_status": EventStatus(status).value})


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
