"""Shared pieces of the exactly-once tests: events, a side effect in its own SQLite file, and
an application worker process that builds its own router over a shared store.

The side effect is a row in the ``effects`` table of a separate SQLite file, written in a
transaction that commits only when the handler succeeds (a handler that raises, or a process
killed mid-handler, leaves no row): the pattern applications should follow for effects outside
the store. There is deliberately no unique constraint on ``effects.event_id``, so a duplicate
run would show up as a second row.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from checkoutkit import Event, SqliteStore, WebhookResponse, WebhookRouter
from checkoutkit.stores import EventStore
from checkoutkit.testing import TEST_SECRET, sign_payload

EVENT_TYPE = "checkout.session.completed"
KILLED = 17


def api_version() -> str:
    """The API version the SDK pins (so that the router does not warn about drift)."""
    from stripe._api_version import _ApiVersion

    return str(_ApiVersion.CURRENT)


def event_body(event_id: str, version: str) -> bytes:
    """A Stripe-shaped ``checkout.session.completed`` event."""
    session = {
        "id": "cs_test_" + event_id.removeprefix("evt_"),
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "mode": "payment",
        "amount_subtotal": 2000,
        "amount_total": 2000,
        "currency": "usd",
        "customer_details": {"email": "ada@example.com"},
        "metadata": {"order": event_id},
        "livemode": False,
    }
    event = {
        "id": event_id,
        "object": "event",
        "api_version": version,
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": EVENT_TYPE,
        "data": {"object": session},
    }
    return json.dumps(event).encode()


def deliver(router: WebhookRouter, body: bytes) -> WebhookResponse:
    """One delivery, signed as Stripe signs it."""
    return router.handle(body, {"Stripe-Signature": sign_payload(body, TEST_SECRET)})


class Effects:
    """The application's own database: one row per effect, and a log of handler attempts."""

    def __init__(self, path: str) -> None:
        self.path = path

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def create(self) -> None:
        conn = self.connect()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS effects (event_id TEXT NOT NULL, pid INT)")
            conn.execute("CREATE TABLE IF NOT EXISTS attempts (event_id TEXT NOT NULL, pid INT)")
        finally:
            conn.close()

    def note_attempt(self, event_id: str) -> int:
        """Log that a handler started on ``event_id``; returns how many attempts started so far."""
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO attempts VALUES (?, ?)", (event_id, os.getpid()))
            (count,) = conn.execute(
                "SELECT count(*) FROM attempts WHERE event_id = ?", (event_id,)
            ).fetchone()
            conn.execute("COMMIT")
            return int(count)
        finally:
            conn.close()

    def apply(self, event_id: str, before_commit: Callable[[], None] | None = None) -> None:
        """Write the effect in a transaction; ``before_commit`` may raise (or kill) to abort it."""
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO effects VALUES (?, ?)", (event_id, os.getpid()))
            if before_commit is not None:
                before_commit()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def counts(self) -> dict[str, int]:
        conn = self.connect()
        try:
            rows = conn.execute("SELECT event_id, count(*) FROM effects GROUP BY event_id")
            return dict(rows)
        finally:
            conn.close()

    def attempts(self) -> dict[str, int]:
        conn = self.connect()
        try:
            rows = conn.execute("SELECT event_id, count(*) FROM attempts GROUP BY event_id")
            return dict(rows)
        finally:
            conn.close()


def open_store(spec: dict[str, Any]) -> EventStore:
    """A store from a picklable description, so that each process opens its own."""
    kind = spec["kind"]
    if kind == "sqlite":
        return SqliteStore(spec["path"])
    if kind == "postgres":
        from checkoutkit.stores.postgres import PostgresStore

        return PostgresStore(spec["dsn"], table=spec["table"])
    if kind == "redis":
        from checkoutkit.stores.redis import RedisStore

        return RedisStore(spec["url"], prefix=spec["prefix"])
    raise ValueError(kind)


def close_store(store: EventStore) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


def build_router(
    store: EventStore,
    effects: Effects,
    *,
    lease: float,
    fail_first: Iterable[str] = (),
    kill_first_run: bool = False,
    handler_delay: float = 0.0,
    on_kill: Callable[[], None] | None = None,
) -> WebhookRouter:
    """A router whose handler applies the effect. The first attempt (across all processes) of
    a ``fail_first`` event raises; with ``kill_first_run`` the process dies in the middle of the
    first handler it runs, its claim still held and its transaction open."""
    failing = frozenset(fail_first)
    router = WebhookRouter(secrets=TEST_SECRET, store=store, lease=lease)

    @router.on(EVENT_TYPE)
    def fulfil(event: Event) -> None:
        attempt = effects.note_attempt(event.id)
        if handler_delay:
            time.sleep(handler_delay)

        def before_commit() -> None:
            if kill_first_run:
                if on_kill is not None:
                    on_kill()
                os._exit(KILLED)  # a worker dying mid-handler: no cleanup, claim left held
            if attempt == 1 and event.id in failing:
                raise RuntimeError(f"first attempt of {event.id} fails")

        effects.apply(event.id, before_commit)

    return router


def burst(
    router: WebhookRouter, bodies: dict[str, bytes], copies: int, threads: int
) -> list[tuple[str, int, bytes]]:
    """Deliver ``copies`` of every event from ``threads`` threads at once."""
    jobs = [event_id for event_id in bodies for _ in range(copies)]
    start = threading.Barrier(threads)

    def first(job: str) -> tuple[str, int, bytes]:
        return job, *_answer(deliver(router, bodies[job]))

    def run(chunk: list[str]) -> list[tuple[str, int, bytes]]:
        start.wait()
        return [first(job) for job in chunk]

    chunks = [jobs[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        results = pool.map(run, chunks)
    return [r for chunk in results for r in chunk]


def _answer(response: WebhookResponse) -> tuple[int, bytes]:
    return response.status, response.body


def redeliver_until_ok(
    router: WebhookRouter, body: bytes, *, pause: float, deadline: float
) -> list[tuple[int, bytes]]:
    """Redeliver as Stripe does after a non-2xx answer, until one is 2xx (or the deadline)."""
    answers = []
    while True:
        status, text = _answer(deliver(router, body))
        answers.append((status, text))
        if 200 <= status < 300 or time.monotonic() > deadline:
            return answers
        time.sleep(pause)


def worker(job: dict[str, Any], barrier: Any, results: Any, killing: Any) -> None:
    """One application process: its own store client and router; a burst of concurrent
    deliveries, then redeliveries of whatever was not answered 2xx, as Stripe would.

    ``job`` holds ``spec`` (the store), ``effects_path``, ``event_ids``, ``copies`` (per event),
    ``threads``, ``lease``, ``fail_first`` and ``kill_first_run``. ``killing`` (an event) is set
    by the worker that is about to die, holding a claim; the others start only then, so that the
    kill surely happens while the event is claimed.
    """
    spec, event_ids, lease = job["spec"], job["event_ids"], job["lease"]
    copies, threads, kill = job["copies"], job["threads"], job["kill_first_run"]
    version = api_version()
    bodies = {event_id: event_body(event_id, version) for event_id in event_ids}
    store = open_store(spec)
    effects = Effects(job["effects_path"])
    router = build_router(
        store,
        effects,
        lease=lease,
        fail_first=job["fail_first"],
        kill_first_run=kill,
        handler_delay=0.02,
        on_kill=killing.set,
    )
    barrier.wait(timeout=120)
    if job["wait_for_kill"] and not killing.wait(timeout=120):
        raise RuntimeError("the worker to be killed never ran a handler")
    answers = burst(router, bodies, copies, threads)
    retried = []
    deadline = time.monotonic() + 60
    for event_id in sorted({e for e, status, _ in answers if not 200 <= status < 300}):
        for status, text in redeliver_until_ok(
            router, bodies[event_id], pause=lease / 2, deadline=deadline
        ):
            retried.append((event_id, status, text))
    close_store(store)
    results.put((os.getpid(), answers, retried))
