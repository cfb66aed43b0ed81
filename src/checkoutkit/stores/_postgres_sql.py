"""The SQL and row handling that :class:`PostgresStore` and :class:`AsyncPostgresStore` share."""

from __future__ import annotations

import math
import os
import re
import select
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from checkoutkit.exceptions import (
    ConfigurationError,
    MissingDependencyError,
    StoreError,
    StoreUnavailableError,
)
from checkoutkit.stores._protocol import Claim, ClaimOutcome, EventStatus

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

DEFAULT_TABLE = "checkoutkit_events"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def require_driver() -> None:
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            "the PostgreSQL event store needs psycopg 3 and psycopg-pool: "
            "pip install 'checkoutkit[postgres]'"
        ) from exc


def _table_parts(table: str) -> tuple[str, ...]:
    parts = tuple(table.split(".")) if isinstance(table, str) else ()
    if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise ConfigurationError(
            f"table must be a plain SQL identifier, optionally schema-qualified: {table!r}"
        )
    return parts


def check_limits(timeout: float, pool_size: int) -> None:
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout < math.inf
        or isinstance(pool_size, bool)
        or not isinstance(pool_size, int)
        or pool_size < 1
    ):
        raise ConfigurationError(
            "timeout must be a positive number of seconds and pool_size a whole number, at least 1"
        )


class Queries:
    """The SQL of one table, composed once."""

    def __init__(self, table: str) -> None:
        from psycopg import sql

        parts = _table_parts(table)
        t = sql.Identifier(*parts)
        self.lock_key = f"checkoutkit:{table}"
        self.schema: list[sql.Composed] = [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " key text PRIMARY KEY,"
                " seq bigint GENERATED ALWAYS AS IDENTITY,"
                " type text NOT NULL,"
                " status text NOT NULL"
                "  CHECK (status IN ('processing', 'succeeded', 'failed', 'pending')),"
                " attempts integer NOT NULL,"
                " last_error text,"
                " created_at timestamptz NOT NULL,"
                " updated_at timestamptz NOT NULL,"
                " lease_expires_at timestamptz,"
                " token text,"
                " payload bytea)"
            ).format(t),
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (status, created_at, seq)").format(
                sql.Identifier(parts[-1] + "_status_created"), t
            ),
        ]
        self.claim = sql.SQL(
            "WITH claimed AS ("
            " INSERT INTO {t} AS e (key, type, status, attempts, created_at, updated_at,"
            "  lease_expires_at, token, payload)"
            " VALUES (%(key)s, %(type)s, 'processing', 1, clock_timestamp(), clock_timestamp(),"
            "  clock_timestamp() + %(lease)s * interval '1 second', %(token)s, %(payload)s)"
            " ON CONFLICT (key) DO UPDATE SET status = 'processing', attempts = e.attempts + 1,"
            "  updated_at = clock_timestamp(), lease_expires_at = excluded.lease_expires_at,"
            "  token = excluded.token, payload = COALESCE(excluded.payload, e.payload)"
            " WHERE e.status = 'pending'"
            "  OR (e.status = 'processing' AND e.lease_expires_at <= clock_timestamp())"
            " RETURNING e.attempts)"
            " SELECT 'claimed', attempts FROM claimed"
            " UNION ALL"
            " SELECT status, attempts FROM {t}"
            "  WHERE key = %(key)s AND NOT EXISTS (SELECT FROM claimed)"
        ).format(t=t)
        self.finish = sql.SQL(
            "UPDATE {} SET status = %s, last_error = %s, updated_at = clock_timestamp(),"
            " lease_expires_at = NULL, token = NULL"
            " WHERE key = %s AND token = %s AND status = 'processing'"
        ).format(t)
        self.renew = sql.SQL(
            "UPDATE {} SET updated_at = clock_timestamp(),"
            " lease_expires_at = clock_timestamp() + %s * interval '1 second'"
            " WHERE key = %s AND token = %s AND status = 'processing'"
        ).format(t)
        self.requeue = sql.SQL(
            "UPDATE {} SET status = 'pending', updated_at = clock_timestamp()"
            " WHERE key = %s AND status = 'failed'"
        ).format(t)
        select = sql.SQL(
            "SELECT key, type, status, attempts, last_error,"
            " extract(epoch FROM created_at)::float8, extract(epoch FROM updated_at)::float8,"
            " extract(epoch FROM lease_expires_at)::float8, payload FROM {}"
        ).format(t)
        self.get = select + sql.SQL(" WHERE key = %s")
        self.all = select + sql.SQL(" ORDER BY created_at, seq")
        self.by_status = select + sql.SQL(" WHERE status = %s ORDER BY created_at, seq")

    def records_query(self, status: EventStatus | None) -> tuple[sql.Composed, tuple[str, ...]]:
        if status is None:
            return self.all, ()
        return self.by_status, (EventStatus(status).value,)


def claim_from_row(key: str, token: str, row: Any) -> Claim:
    if row is None:
        # The key appeared after this statement's snapshot and is held by someone else.
        return Claim(ClaimOutcome.BUSY, key, None, 0)
    status, attempts = row
    if status == "claimed":
        return Claim(ClaimOutcome.CLAIMED, key, token, attempts)
    if status in (EventStatus.SUCCEEDED.value, EventStatus.FAILED.value):
        return Claim(ClaimOutcome.DONE, key, None, attempts)
    return Claim(ClaimOutcome.BUSY, key, None, attempts)


@contextmanager
def translate_errors(where: str) -> Iterator[None]:
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:  # includes the pool's PoolTimeout and PoolClosed
        raise StoreUnavailableError(f"PostgreSQL event store ({where}): {exc}") from exc
    except psycopg.Error as exc:
        raise StoreError(f"PostgreSQL event store ({where}): {exc}") from exc


def connect_kwargs(conninfo: str, timeout: float) -> dict[str, Any]:
    """The pool's connection arguments: autocommit, and a connect timeout unless one is set.

    Without ``connect_timeout`` libpq waits for the operating system to give up on a host that
    does not answer (minutes); the pool's reconnection attempts are then stuck that long.
    """
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo)
    except Exception as exc:  # psycopg.ProgrammingError for a malformed string
        raise ConfigurationError(f"not a PostgreSQL connection string or URL: {exc}") from exc
    kwargs: dict[str, Any] = {"autocommit": True}
    if "connect_timeout" not in params and "PGCONNECT_TIMEOUT" not in os.environ:
        kwargs["connect_timeout"] = max(2, math.ceil(timeout))
    return kwargs


def is_suspect(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bool:
    """True when an idle pooled connection may be dead: closed, or its socket has something to
    read (a healthy idle connection has nothing; a server that shut down or restarted sent its
    goodbye and closed the socket). Costs one ``poll`` system call, no round trip."""
    if conn.closed:
        return True
    try:
        fd = conn.fileno()
    except Exception:  # the connection is closed
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # pragma: no cover - platforms without poll
    return bool(readable)
