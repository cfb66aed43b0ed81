"""SqliteStore passes the store contract and keeps its promises about the file."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import (
    ConfigurationError,
    EventStatus,
    SqliteStore,
    StoreError,
    StoreUnavailableError,
)
from checkoutkit.stores import ClaimOutcome

from .contract import FakeClock, Harness, StoreContract, check_against_model


class TestSqliteStore(StoreContract):
    """The contract with a fake clock; a restart opens the same file with a new store."""

    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[Harness]:
        clock = FakeClock()
        path = tmp_path / "events.db"
        stores = [SqliteStore(path, clock=clock)]

        def reopen() -> SqliteStore:
            stores[-1].close()
            stores.append(SqliteStore(path, clock=clock))
            return stores[-1]

        yield Harness(stores[0], reopen=reopen, clock=clock)
        for store in stores:
            store.close()


class TestSqliteStoreRealClock(StoreContract):
    """The contract again with the real clock and short real leases."""

    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[Harness]:
        path = tmp_path / "events.db"
        stores = [SqliteStore(path)]

        def reopen() -> SqliteStore:
            stores.append(SqliteStore(path))
            return stores[-1]

        yield Harness(stores[0], reopen=reopen, short_lease=0.05)
        for store in stores:
            store.close()


def test_file_uses_wal_and_the_documented_schema(tmp_path: Path) -> None:
    """The file is in WAL mode and holds the documented ``checkoutkit_events`` table."""
    path = tmp_path / "events.db"
    store = SqliteStore(path)
    claim = store.claim("evt_1", type="checkout.session.completed", payload=b"{}")
    assert store.complete(claim)
    store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [row[1] for row in conn.execute("PRAGMA table_info(checkoutkit_events)")]
        assert columns == [
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
        ]
        row = conn.execute("SELECT status, attempts, token FROM checkoutkit_events").fetchone()
        assert row == ("succeeded", 1, None)
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'checkoutkit_events'"
        ).fetchone()
        assert sql.endswith("WITHOUT ROWID")
    finally:
        conn.close()


def _file_from_version_0_1(path: Path, rows: int = 0) -> None:
    """A file as checkoutkit 0.1 made it: a rowid table with a full status index, and rows."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE checkoutkit_events (key TEXT PRIMARY KEY, type TEXT NOT NULL,"
        " status TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,"
        " created_at REAL NOT NULL, updated_at REAL NOT NULL, lease_expires_at REAL,"
        " token TEXT, payload BLOB)"
    )
    conn.execute(
        "CREATE INDEX checkoutkit_events_status_created ON checkoutkit_events (status, created_at)"
    )
    statuses = ["succeeded", "pending", "failed", "processing"]
    conn.executemany(
        "INSERT INTO checkoutkit_events VALUES (?, 'invoice.paid', ?, 2, ?, ?, ?, ?, ?, ?)",
        [
            (
                f"evt_old_{n}",
                statuses[n % 4],
                None if n % 4 == 0 else "boom",
                1000.0 + n,
                1001.0 + n,
                2.0e9 if n % 4 == 3 else None,
                "t" * 32 if n % 4 == 3 else None,
                b'{"n": %d}' % n,
            )
            for n in range(rows)
        ],
    )
    conn.commit()
    conn.close()


def _table_sql(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'checkoutkit_events'"
        ).fetchone()
        return str(sql)
    finally:
        conn.close()


def test_a_file_from_version_0_1_is_rebuilt_without_rowid_keeping_its_events(
    tmp_path: Path,
) -> None:
    """Opening a 0.1 file copies every record, unchanged, into the ``WITHOUT ROWID`` table."""
    path = tmp_path / "events.db"
    _file_from_version_0_1(path, rows=8)
    with SqliteStore(path, clock=lambda: 5000.0) as store:
        records = store.records()
        assert [r.key for r in records] == [f"evt_old_{n}" for n in range(8)]
        assert [r.payload for r in records] == [b'{"n": %d}' % n for n in range(8)]
        assert [r.status.value for r in records[:4]] == [
            "succeeded", "pending", "failed", "processing"
        ]  # fmt: skip
        assert (records[1].attempts, records[1].last_error) == (2, "boom")
        assert store.claim("evt_old_0", type="invoice.paid").outcome is ClaimOutcome.DONE
        assert store.claim("evt_old_3", type="invoice.paid").outcome is ClaimOutcome.BUSY
        retried = store.claim("evt_old_1", type="invoice.paid")
        assert (retried.outcome, retried.attempts) == (ClaimOutcome.CLAIMED, 3)
        assert store.complete(retried)
    assert _table_sql(path).endswith("WITHOUT ROWID")


def test_workers_starting_together_on_a_file_from_version_0_1_rebuild_it_once(
    tmp_path: Path,
) -> None:
    """Six processes opening a 0.1 file at once: one rebuilds it, none fails, nothing is lost."""
    for trial in range(5):
        path = tmp_path / f"events-{trial}.db"
        _file_from_version_0_1(path, rows=50)
        assert _open_together(str(path)) == [None] * 6
        with SqliteStore(path) as store:
            keys = [r.key for r in store.records()]
        assert len(keys) == len(set(keys)) == 56
        assert _table_sql(path).endswith("WITHOUT ROWID")


def test_only_keys_awaiting_a_retry_are_indexed_by_status(tmp_path: Path) -> None:
    """Failed and pending keys are found through a partial index that fresh events never touch."""
    path = tmp_path / "events.db"
    _file_from_version_0_1(path)  # with a full status index
    with SqliteStore(path) as store:
        assert store.complete(store.claim("evt_ok", type="invoice.paid"))
        failed = store.claim("evt_bad", type="invoice.paid")
        assert store.release(failed, error="boom", permanent=True)
        pending = store.claim("evt_retry", type="invoice.paid")
        assert store.release(pending, error="later")
        assert [r.key for r in store.records(status=EventStatus.FAILED)] == ["evt_bad"]
        assert [r.key for r in store.records(status=EventStatus.PENDING)] == ["evt_retry"]
        assert [r.key for r in store.records(status=EventStatus.SUCCEEDED)] == ["evt_ok"]
    conn = sqlite3.connect(path)
    try:
        indexes = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        assert indexes == [("checkoutkit_events_retry",)]
        entries = conn.execute(
            "SELECT key FROM checkoutkit_events INDEXED BY checkoutkit_events_retry"
            " WHERE status = 'failed' OR status = 'pending' ORDER BY key"
        ).fetchall()
        assert entries == [("evt_bad",), ("evt_retry",)]
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT key FROM checkoutkit_events WHERE status = 'failed'"
        ).fetchall()
        assert "checkoutkit_events_retry" in str(plan)
    finally:
        conn.close()


def test_store_shares_the_file_with_other_tables(tmp_path: Path) -> None:
    """The store lives beside an application's own tables in the same file."""
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id TEXT PRIMARY KEY)")
    conn.execute("INSERT INTO orders VALUES ('o1')")
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    assert store.complete(store.claim("evt_1", type="invoice.paid"))
    assert store.get("evt_1").status is EventStatus.SUCCEEDED  # type: ignore[union-attr]
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT id FROM orders").fetchall() == [("o1",)]
    conn.close()


def test_two_store_objects_on_one_file_see_each_other(tmp_path: Path) -> None:
    """Two stores on the same file (as two processes would have) share claims."""
    path = tmp_path / "events.db"
    a, b = SqliteStore(path), SqliteStore(path)
    claim = a.claim("evt_1", type="invoice.paid")
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert b.claim("evt_1", type="invoice.paid").outcome is ClaimOutcome.BUSY
    assert b.complete(claim)
    assert a.claim("evt_1", type="invoice.paid").outcome is ClaimOutcome.DONE
    a.close()
    b.close()


def test_unopenable_path_raises_store_unavailable(tmp_path: Path) -> None:
    """A path in a missing directory raises StoreUnavailableError at first use, naming the path."""
    with (
        SqliteStore(tmp_path / "missing" / "events.db") as store,
        pytest.raises(StoreUnavailableError, match="missing"),
    ):
        store.claim("evt_1", type="invoice.paid")


def test_locked_database_raises_store_unavailable(tmp_path: Path) -> None:
    """A writer blocked past ``busy_timeout`` gets StoreUnavailableError, not sqlite3's error."""
    path = tmp_path / "events.db"
    store = SqliteStore(path, busy_timeout=0.05)
    store.get("evt_0")  # creates the schema
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError):
            store.claim("evt_1", type="invoice.paid")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    claim = store.claim("evt_1", type="invoice.paid")
    assert claim.outcome is ClaimOutcome.CLAIMED
    store.close()


def test_corrupt_file_raises_a_store_error(tmp_path: Path) -> None:
    """A file that is not a database raises an error from our tree."""
    path = tmp_path / "events.db"
    path.write_bytes(b"this is not a database" * 100)
    with SqliteStore(path) as store, pytest.raises(StoreError):
        store.claim("evt_1", type="invoice.paid")


@pytest.mark.parametrize("kwargs", [{"path": ""}, {"path": "x.db", "busy_timeout": 0}])
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    """An empty path or a non-positive busy timeout raises ConfigurationError at creation."""
    with pytest.raises(ConfigurationError):
        SqliteStore(**kwargs)  # type: ignore[arg-type]


def test_memory_database_works_in_one_process() -> None:
    """``:memory:`` gives a private store (useful in tests)."""
    with SqliteStore(":memory:") as store:
        assert store.complete(store.claim("evt_1", type="invoice.paid"))
        assert store.get("evt_1").status is EventStatus.SUCCEEDED  # type: ignore[union-attr]


def test_random_operations_match_the_model(tmp_path: Path) -> None:
    """Random claim/complete/release/clock sequences agree with the reference model."""
    counter = iter(range(10**9))
    check_against_model(
        lambda clock: SqliteStore(tmp_path / f"model-{next(counter)}.db", clock=clock)
    )


def test_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    """A store used before ``fork`` (gunicorn ``--preload``) works in the child and the parent."""
    import os
    import warnings

    store = SqliteStore(tmp_path / "events.db")
    assert store.complete(store.claim("evt_parent", type="invoice.paid"))
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads; none of them touch the store.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            ok = store.claim("evt_parent", type="invoice.paid").outcome is ClaimOutcome.DONE
            child = store.claim("evt_child", type="invoice.paid")
            code = 0 if ok and store.complete(child) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.claim("evt_child", type="invoice.paid").outcome is ClaimOutcome.DONE
    store.close()


def _open_and_claim(path: str, go: Any, results: Any) -> None:  # pragma: no cover - in a child
    go.wait()
    try:
        with SqliteStore(path) as store:
            store.claim(f"evt_{os.getpid()}", type="invoice.paid")
    except Exception as exc:
        results.put(repr(exc))
    else:
        results.put(None)


def _open_together(path: str, count: int = 6) -> list[str | None]:
    """Fork ``count`` processes, release them at once to open ``path`` and claim a key each.

    Returns what each one reported: None, or the error it got. Every child must exit 0.
    """
    import multiprocessing
    import warnings

    ctx = multiprocessing.get_context("fork")
    go, results = ctx.Event(), ctx.Queue()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, 3.12+
        workers = [
            ctx.Process(target=_open_and_claim, args=(path, go, results)) for _ in range(count)
        ]
        for worker in workers:
            worker.start()
    go.set()
    outcomes: list[str | None] = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [0] * count
    return outcomes


def test_workers_starting_together_on_a_new_file_all_open_it(tmp_path: Path) -> None:
    """Six processes released at once on a new file all open it (none gets "database is locked").

    The first connections switch a new file to WAL together, and SQLite refuses one of two
    such connections at once rather than letting it wait; opening must retry.
    """
    failures: list[str] = []
    for trial in range(20):
        path = str(tmp_path / f"events-{trial}.db")
        failures += [outcome for outcome in _open_together(path) if outcome is not None]
    assert failures == []


def _until(what: str, check: Any, bound: float = 30.0) -> None:
    """Poll ``check()`` until it is true (bounded: a store that never notices fails)."""
    import time

    deadline = time.monotonic() + bound
    while not check():
        assert time.monotonic() < deadline, f"{what} within {bound} s"
        time.sleep(0.05)


def test_a_removed_file_is_noticed_and_the_store_goes_on_with_a_new_one(tmp_path: Path) -> None:
    """When its file is deleted the store stops writing to the deleted file (which no other
    process could see) and opens the path again, so that every process shares one file."""
    path = tmp_path / "events.db"
    store = SqliteStore(path)
    assert store.complete(store.claim("evt_old", type="invoice.paid"))
    path.unlink()
    keys = iter(range(10**6))
    _until(
        "the store opened a new file",
        lambda: store.get(f"evt_probe_{next(keys)}") is None and path.exists(),
    )
    other = SqliteStore(path)  # another process, opening the path now
    claim = store.claim("evt_new", type="invoice.paid")
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert other.claim("evt_new", type="invoice.paid").outcome is ClaimOutcome.BUSY
    assert store.complete(claim)
    assert other.claim("evt_new", type="invoice.paid").outcome is ClaimOutcome.DONE
    store.close()
    other.close()


def test_a_removed_directory_raises_store_unavailable_until_it_is_back(tmp_path: Path) -> None:
    """With the file's directory gone every call raises StoreUnavailableError; once it exists
    again the next call works."""
    import shutil

    directory = tmp_path / "data"
    directory.mkdir()
    store = SqliteStore(directory / "events.db")
    assert store.complete(store.claim("evt_1", type="invoice.paid"))
    shutil.rmtree(directory)

    def unavailable() -> bool:
        try:
            store.get("evt_1")
        except StoreUnavailableError:
            return True
        return False

    _until("the store noticed its directory is gone", unavailable)
    for _ in range(3):
        with pytest.raises(StoreUnavailableError):
            store.claim("evt_2", type="invoice.paid")
    directory.mkdir()
    claim = store.claim("evt_2", type="invoice.paid")
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert store.complete(claim)
    assert (directory / "events.db").exists()
    store.close()


_FULL_DISK = """
import os, resource, signal, sys
from checkoutkit import SqliteStore, StoreUnavailableError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
path = sys.argv[1]
store = SqliteStore(path)
held = store.claim("evt_held", type="invoice.paid")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
limit = max(os.path.getsize(path + suffix) for suffix in ("", "-wal"))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
failures = 0
for n in range(50):  # the WAL grows until a write crosses the limit
    try:
        store.claim(f"evt_{n}", type="invoice.paid", payload=b"x" * 8192)
    except StoreUnavailableError:
        failures += 1
try:
    store.complete(held)
except StoreUnavailableError:
    failures += 1
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
print("failures", failures)
after = store.claim("evt_after", type="invoice.paid", payload=b"x" * 8192)
print("after", after.outcome.value, store.complete(after), store.complete(held))
"""


def test_a_write_the_disk_refuses_raises_store_unavailable_and_the_next_works(
    tmp_path: Path,
) -> None:
    """Writes refused by the file system (a file size limit standing in for a full disk) raise
    StoreUnavailableError; once writes are possible again the same store works."""
    import subprocess
    import sys

    path = tmp_path / "events.db"
    result = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert int(lines["failures"]) > 0
    assert lines["after"] == "claimed True True"


def test_a_lock_held_past_busy_timeout_fails_each_call_and_keeps_the_claim(
    tmp_path: Path,
) -> None:
    """While another process holds the write lock past ``busy_timeout``, claims of a taken key,
    completions and renewals raise StoreUnavailableError; afterwards the claim is intact."""
    path = tmp_path / "events.db"
    store = SqliteStore(path, busy_timeout=0.05)
    held = store.claim("evt_1", type="invoice.paid", lease=30)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError):
            store.claim("evt_1", type="invoice.paid")
        with pytest.raises(StoreUnavailableError):
            store.complete(held)
        with pytest.raises(StoreUnavailableError):
            store.renew(held, lease=30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.claim("evt_1", type="invoice.paid").outcome is ClaimOutcome.BUSY
    assert store.renew(held, lease=30)
    assert store.complete(held)
    store.close()
