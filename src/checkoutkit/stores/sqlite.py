"""The embedded default event store: one SQLite file, safe across threads and processes."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

from checkoutkit.exceptions import ConfigurationError, StoreError, StoreUnavailableError
from checkoutkit.stores._protocol import (
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    check_claim_args,
    new_token,
)
from checkoutkit.stores._rows import matching_records, record_from_row

__all__ = ["SqliteStore"]

_log = logging.getLogger("checkoutkit.stores")

_TABLE = "checkoutkit_events"
_COPY_ROWS = (
    "INSERT INTO checkoutkit_events_rebuilt (key, type, status, attempts, last_error,"
    " created_at, updated_at, lease_expires_at, token, payload)"
    " SELECT key, type, status, attempts, last_error, created_at, updated_at, lease_expires_at,"
    " token, payload FROM checkoutkit_events WHERE key IS NOT NULL ORDER BY rowid"
)
# WITHOUT ROWID: the rows live in the key's own b-tree, so a claim writes one b-tree page instead
# of two (the table's and its key index's), and the WAL fills (and is checkpointed) less often.
_CREATE_TABLE = """CREATE TABLE IF NOT EXISTS {} (
        key TEXT PRIMARY KEY NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        lease_expires_at REAL,
        token TEXT,
        payload BLOB
    ) WITHOUT ROWID"""
_SCHEMA = (
    _CREATE_TABLE.format(_TABLE),
    # Only the keys waiting for a retry or a replay are indexed by status: a fresh event is
    # inserted 'processing' and updated to 'succeeded', and neither write touches this index.
    "CREATE INDEX IF NOT EXISTS checkoutkit_events_retry ON checkoutkit_events"
    " (status, created_at) WHERE status = 'pending' OR status = 'failed'",
    # Files made by earlier versions indexed every status, at two extra page writes per event.
    "DROP INDEX IF EXISTS checkoutkit_events_status_created",
)
_SELECT_STATE = "SELECT status, attempts, lease_expires_at FROM checkoutkit_events WHERE key = ?"
_INSERT = (
    "INSERT INTO checkoutkit_events (key, type, status, attempts, created_at, updated_at,"
    " lease_expires_at, token, payload) VALUES (?, ?, 'processing', 1, ?, ?, ?, ?, ?)"
)
# The common case, a key never seen: one statement, atomic on its own (autocommit).
_INSERT_NEW = _INSERT + " ON CONFLICT (key) DO NOTHING"
_TAKE_OVER = (
    "UPDATE checkoutkit_events SET status = 'processing', attempts = ?, updated_at = ?,"
    " lease_expires_at = ?, token = ?, payload = COALESCE(?, payload) WHERE key = ?"
)
_FINISH = (
    "UPDATE checkoutkit_events SET status = ?, last_error = ?, updated_at = ?,"
    " lease_expires_at = NULL, token = NULL WHERE key = ? AND token = ? AND status = 'processing'"
)
_RENEW = (
    "UPDATE checkoutkit_events SET updated_at = ?, lease_expires_at = ?"
    " WHERE key = ? AND token = ? AND status = 'processing'"
)
_REQUEUE = (
    "UPDATE checkoutkit_events SET status = 'pending', updated_at = ?"
    " WHERE key = ? AND status = 'failed'"
)
_SELECT = (
    "SELECT key, type, status, attempts, last_error, created_at, updated_at, lease_expires_at,"
    " payload FROM checkoutkit_events"
)
_SELECT_ONE = _SELECT + " WHERE key = ?"
_SELECT_ALL = _SELECT + " ORDER BY created_at, key"
# The status is spelled out (it is one of EventStatus's values) so that the partial index serves
# 'pending' and 'failed'; the other statuses are found by a scan.
_SELECT_BY_STATUS = _SELECT + " WHERE status = '{}' ORDER BY created_at, key"
_TABLE_SQL = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"

_DONE = (EventStatus.SUCCEEDED.value, EventStatus.FAILED.value)
# How often (seconds) a store checks that its path still names the file it has open: a stat()
# per call would cost a tenth of a claim.
_FILE_CHECK_INTERVAL = 0.5


def _has_rowid_table(conn: sqlite3.Connection) -> bool:
    """True for a file made by checkoutkit 0.1, whose table has a rowid (and a key index)."""
    row = conn.execute(_TABLE_SQL, (_TABLE,)).fetchone()
    return row is not None and "WITHOUT ROWID" not in " ".join(str(row[0]).upper().split())


def _rebuild_without_rowid(conn: sqlite3.Connection) -> None:
    """Copy the events into a ``WITHOUT ROWID`` table, once, whoever opens the file first."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _has_rowid_table(conn):  # another process may have rebuilt it meanwhile
            conn.execute("DROP TABLE IF EXISTS checkoutkit_events_rebuilt")
            conn.execute(_CREATE_TABLE.format("checkoutkit_events_rebuilt"))
            conn.execute(_COPY_ROWS)
            conn.execute("DROP TABLE checkoutkit_events")  # and its indexes: _SCHEMA makes ours
            conn.execute("ALTER TABLE checkoutkit_events_rebuilt RENAME TO checkoutkit_events")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _is_busy(exc: sqlite3.Error) -> bool:
    """True for SQLITE_BUSY and SQLITE_LOCKED (and their extended codes)."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if isinstance(code, int):
        return code & 0xFF in (5, 6)
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def _file_id(path: str) -> tuple[int, int] | None:
    """The identity (device, inode) of the file at ``path``, or None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class SqliteStore:
    """An :class:`~checkoutkit.stores.EventStore` in one SQLite file (table ``checkoutkit_events``).

    The file is opened on first use, in WAL mode, and the table is created if missing, so several
    processes on one machine may share it: a claim is one ``INSERT … ON CONFLICT DO NOTHING``
    (or, for a key already there, one ``BEGIN IMMEDIATE`` transaction) and a completion one
    ``UPDATE`` guarded by the claim token, hence atomic across threads and processes. The file
    must be on a local disk (SQLite's locks do not work over network file systems).

    ``busy_timeout`` is how long (seconds) a writer waits for another one before giving up with
    :class:`~checkoutkit.StoreUnavailableError`. ``durable=True`` makes every commit reach the disk
    (``synchronous=FULL``); the default (``NORMAL``) survives a crash of the process but may lose
    the last commits on power loss. ``clock`` (like :func:`time.time`) is injectable for tests.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 10.0,
        durable: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise ConfigurationError("SqliteStore needs the path of a database file")
        if isinstance(busy_timeout, bool) or not isinstance(busy_timeout, (int, float)):
            raise ConfigurationError("busy_timeout must be a number of seconds")
        if not busy_timeout > 0:
            raise ConfigurationError("busy_timeout must be a positive number of seconds")
        self.path = os.fspath(path)
        self._busy_timeout = busy_timeout
        self._durable = durable
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._inherited: list[sqlite3.Connection] = []
        self._pid = 0
        # The identity of the file the connection has open (None: not a file on disk).
        self._file: tuple[int, int] | None = None
        self._check_file_at = 0.0  # time.monotonic() when the file's identity is checked next

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    # -- connection ---------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        # Workers that start together on a new file all switch it to WAL and create the table.
        # SQLite answers "database is locked" at once, without waiting busy_timeout, to one of
        # two connections that would otherwise deadlock (and to one that opens the file while
        # the last connection is closing it), so opening is retried until busy_timeout.
        deadline = time.monotonic() + self._busy_timeout
        pause = 0.001
        while True:
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self._busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                raise StoreUnavailableError(
                    f"cannot open the event store {self.path!r}: {exc}"
                ) from exc
            try:
                self._prepare(conn)
            except sqlite3.Error as exc:
                conn.close()
                if _is_busy(exc) and time.monotonic() + pause < deadline:
                    time.sleep(pause)
                    pause = min(pause * 2, 0.05)
                    continue
                raise StoreUnavailableError(
                    f"cannot prepare the event store {self.path!r}: {exc}"
                ) from exc
            return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {'FULL' if self._durable else 'NORMAL'}")
        if _has_rowid_table(conn):
            _rebuild_without_rowid(conn)
        for statement in _SCHEMA:
            conn.execute(statement)

    def _current(self) -> sqlite3.Connection:
        """This process's connection, opened if needed (call with ``self._lock`` held)."""
        pid = os.getpid()
        conn = self._conn
        if conn is not None and self._pid == pid:
            if self._file is None:
                return conn
            now = time.monotonic()
            if now < self._check_file_at:
                return conn
            self._check_file_at = now + _FILE_CHECK_INTERVAL
            if _file_id(self.path) == self._file:
                return conn
            # The file was removed or replaced: writing on would write to a file nobody else
            # sees. Let go of it and open what is at the path now (a new file if need be).
            _log.warning(
                "the event store file %r was removed or replaced; opening it again", self.path
            )
            self._conn = None
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        elif conn is not None:
            # A forked child must neither use nor close its parent's connection (closing
            # it could checkpoint the parent's WAL): keep it untouched, open our own.
            self._inherited.append(conn)
            self._conn = None
        self._conn = self._open()
        self._pid = pid
        self._file = None if self.path in ("", ":memory:") else _file_id(self.path)
        self._check_file_at = time.monotonic() + _FILE_CHECK_INTERVAL
        return self._conn

    def _failed(self, conn: sqlite3.Connection, exc: sqlite3.Error) -> StoreError:
        """Roll back what ``exc`` interrupted; the error of our tree to raise in its place.

        After an error other than a busy database (an I/O error, a full disk, a file made
        read-only) the connection is closed, so that the next call starts on a fresh one.
        """
        try:
            if conn.in_transaction:
                conn.rollback()
        except sqlite3.Error:
            self._drop(conn)
        else:
            if not _is_busy(exc) and isinstance(exc, sqlite3.OperationalError):
                self._drop(conn)
        if isinstance(exc, sqlite3.OperationalError):
            return StoreUnavailableError(f"event store {self.path!r}: {exc}")
        return StoreError(f"event store {self.path!r}: {exc}")

    def _drop(self, conn: sqlite3.Connection) -> None:
        """Close ``conn`` and forget it (call with ``self._lock`` held)."""
        if conn is self._conn:
            self._conn = None
        with contextlib.suppress(sqlite3.Error):
            conn.close()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._current()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise self._failed(conn, exc) from exc

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        with self._lock:
            if self._conn is not None:
                if self._pid == os.getpid():
                    self._conn.close()
                else:
                    self._inherited.append(self._conn)  # the parent's: leave it alone
            self._conn = None

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the protocol -------------------------------------------------------------------------

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        if payload is not None:
            payload = bytes(payload)
        # The hot path: no generator-based context manager (it cost more than the INSERT's
        # Python side), the same lock and error translation as _connection().
        with self._lock:
            conn = self._current()
            try:
                now = self._clock()
                token = new_token()
                inserted = conn.execute(
                    _INSERT_NEW, (key, type, now, now, now + lease, token, payload)
                )
                if inserted.rowcount == 1:
                    return Claim(ClaimOutcome.CLAIMED, key, token, 1)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = self._claim(conn, key, type, lease, payload)
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT" if result.outcome is ClaimOutcome.CLAIMED else "ROLLBACK")
            except sqlite3.Error as exc:
                raise self._failed(conn, exc) from exc
        return result

    def _claim(
        self,
        conn: sqlite3.Connection,
        key: str,
        type: str,
        lease: float,
        payload: bytes | None,
    ) -> Claim:
        now = self._clock()
        row = conn.execute(_SELECT_STATE, (key,)).fetchone()
        token = new_token()
        if row is None:
            conn.execute(
                _INSERT,
                (key, type, now, now, now + lease, token, payload),
            )
            return Claim(ClaimOutcome.CLAIMED, key, token, 1)
        status, attempts, expires = row
        if status in _DONE:
            return Claim(ClaimOutcome.DONE, key, None, attempts)
        if status == EventStatus.PROCESSING.value and expires is not None and expires > now:
            return Claim(ClaimOutcome.BUSY, key, None, attempts)
        attempts += 1
        conn.execute(
            _TAKE_OVER,
            (attempts, now, now + lease, token, payload, key),
        )
        return Claim(ClaimOutcome.CLAIMED, key, token, attempts)

    def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with self._lock:
            conn = self._current()
            try:
                cursor = conn.execute(
                    _FINISH, (status.value, error, self._clock(), claim.key, claim.token)
                )
            except sqlite3.Error as exc:
                raise self._failed(conn, exc) from exc
            return cursor.rowcount == 1

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""
        return self._finish(claim, EventStatus.SUCCEEDED, None)

    def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with self._connection() as conn:
            now = self._clock()
            cursor = conn.execute(_RENEW, (now, now + lease, claim.key, claim.token))
            return cursor.rowcount == 1

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""
        status = EventStatus.FAILED if permanent else EventStatus.PENDING
        return self._finish(claim, status, error)

    def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        with self._connection() as conn:
            cursor = conn.execute(_REQUEUE, (self._clock(), key))
            return cursor.rowcount == 1

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        with self._connection() as conn:
            row = conn.execute(_SELECT_ONE, (key,)).fetchone()
        return None if row is None else record_from_row(row)

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        query: str = _SELECT_ALL
        if status is not None:
            query = _SELECT_BY_STATUS.format(EventStatus(status).value)
        with self._connection() as conn:
            rows = conn.execute(query).fetchall()
        return matching_records(rows, type_pattern)
