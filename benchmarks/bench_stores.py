"""Event stores: claim + complete per event, against a floor measured in the same run.

- ``SqliteStore`` on a file in a temporary directory on local disk (WAL). Floor: the same two
  writes (an ``INSERT`` and an ``UPDATE``, each its own transaction) on a bare ``sqlite3``
  connection with the same pragmas.
- ``RedisStore`` and ``PostgresStore`` against throw-away servers on loopback, started with the
  tests' helper (``tests/servers.py``); skipped, with a note, when a server binary or driver is
  missing. Floors: two ``PING`` round trips; a bare ``INSERT`` and ``UPDATE`` (two commits).
  PostgreSQL runs with its durable defaults (``fsync=on``, ``synchronous_commit=on``).

Every event has a distinct key, so each claim inserts a row, as in production.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
TARGETS_US = {"SqliteStore": 150.0, "RedisStore": 500.0, "PostgresStore": 1500.0}


def _best(events: int, make: Callable[[int], Callable[[], object]]) -> float:
    """Best per-event time (seconds) over REPEATS fresh batches of ``events`` events."""
    best = float("inf")
    for repeat in range(REPEATS):
        loop = make(repeat)
        start = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - start)
    return best / events


def _store_loop(store: object, keys: list[str]) -> Callable[[], object]:
    claim = store.claim  # type: ignore[attr-defined]
    complete = store.complete  # type: ignore[attr-defined]

    def loop() -> None:
        for key in keys:
            if not complete(claim(key, type="checkout.session.completed")):
                raise AssertionError(key)

    return loop


def _row(name: str, per_event: float, floor: float, floor_name: str) -> tuple[str, str]:
    target = TARGETS_US[name]
    us = per_event * 1e6
    verdict = "ok" if us <= target else "OVER TARGET"
    return (
        f"{name} claim + complete",
        f"{us:7.1f} µs/event (target ≤ {target:.0f} µs, {verdict});"
        f" {per_event / floor:.2f}x the floor ({floor_name}: {floor * 1e6:.1f} µs)",
    )


def _sqlite(tmp: Path) -> tuple[str, str]:
    from checkoutkit import SqliteStore

    events = 2000
    store = SqliteStore(tmp / "events.db")

    def make(repeat: int) -> Callable[[], object]:
        return _store_loop(store, [f"evt_{repeat}_{i}" for i in range(events)])

    per_event = _best(events, make)
    store.close()

    conn = sqlite3.connect(tmp / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE t (key TEXT PRIMARY KEY, status TEXT)")

    def make_floor(repeat: int) -> Callable[[], object]:
        keys = [f"evt_{repeat}_{i}" for i in range(events)]

        def loop() -> None:
            for key in keys:
                conn.execute("INSERT INTO t VALUES (?, 'processing')", (key,))
                conn.execute("UPDATE t SET status = 'succeeded' WHERE key = ?", (key,))

        return loop

    floor = _best(events, make_floor)
    conn.close()
    return _row("SqliteStore", per_event, floor, "bare INSERT + UPDATE")


def _redis() -> tuple[str, str]:
    import redis

    from checkoutkit.stores.redis import RedisStore
    from servers import redis_server

    events = 1000
    with redis_server(appendonly=True) as server:
        store = RedisStore(server.url, prefix=f"{{bench-{uuid.uuid4().hex}}}:")

        def make(repeat: int) -> Callable[[], object]:
            return _store_loop(store, [f"evt_{repeat}_{i}" for i in range(events)])

        store.claim("warm-up", type="x")  # loads the scripts
        per_event = _best(events, make)
        store.close()
        client = redis.Redis.from_url(server.url)

        def make_floor(repeat: int) -> Callable[[], object]:
            def loop() -> None:
                for _ in range(events):
                    client.ping()
                    client.ping()

            return loop

        floor = _best(events, make_floor)
        client.close()
    return _row("RedisStore", per_event, floor, "2 PINGs")


def _postgres() -> tuple[str, str]:
    import psycopg

    from checkoutkit.stores.postgres import PostgresStore
    from servers import postgres_server

    events = 500
    with postgres_server(fsync=True) as server:
        store = PostgresStore(server.dsn, pool_size=1)

        def make(repeat: int) -> Callable[[], object]:
            return _store_loop(store, [f"evt_{repeat}_{i}" for i in range(events)])

        store.claim("warm-up", type="x")  # creates the table
        per_event = _best(events, make)
        store.close()
        conn = psycopg.connect(server.dsn, autocommit=True)
        conn.execute("CREATE TABLE floor (key text PRIMARY KEY, status text)")

        def make_floor(repeat: int) -> Callable[[], object]:
            keys = [f"evt_{repeat}_{i}" for i in range(events)]

            def loop() -> None:
                for key in keys:
                    conn.execute("INSERT INTO floor VALUES (%s, 'processing')", (key,))
                    conn.execute("UPDATE floor SET status = 'succeeded' WHERE key = %s", (key,))

            return loop

        floor = _best(events, make_floor)
        conn.close()
    return _row("PostgresStore", per_event, floor, "bare INSERT + UPDATE")


def run() -> list[tuple[str, str]]:
    """Measure every store whose server can run here."""
    sys.path.insert(0, str(ROOT / "tests"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="checkoutkit-bench-") as tmp:
        rows.append(_sqlite(Path(tmp)))
    for name, bench in (("RedisStore", _redis), ("PostgresStore", _postgres)):
        try:
            rows.append(bench())
        except (ImportError, RuntimeError, OSError) as exc:
            rows.append((f"{name} claim + complete", f"not measured: {exc}"))
    return rows


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:40} {figure}")
