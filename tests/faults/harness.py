"""The fault suite's side of a run: the sandbox, the shop under gunicorn, a store outage, and the
counts (answers, deliveries, effects) every scenario ends with.

A run is driven step by step: the test creates sessions through the shop's create endpoint, pays
them through the sandbox, and redelivers events itself (the sandbox's own retries start a minute
later, after every run has ended), so that each delivery attempt is one the test asked for and
can name. Waits are bounded polls; nothing sleeps and hopes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import attrs
import httpx

from checkoutkit import SqliteStore
from checkoutkit.stores import EventRecord, EventStore
from checkoutkit.testing import sign_payload
from servers import PostgresServer, RedisServer, free_port, wait_until_up
from stores.exactly_once import Effects

from .fault_shop import open_store
from .faultpoints import PLAN_ENV, FaultControl

TESTS = Path(__file__).resolve().parent.parent
SANDBOX_KEY = "sk_test_checkoutkit_faults"
LEASE = 2.0
"""The shop's lease (seconds): short, so that a takeover after a crash comes soon."""
WORKERS = 4
PAID = "checkout.session.completed"
HANDLED = b'{"received":true}'


class Outage(Protocol):
    """A store's server going away and coming back."""

    def down(self) -> None: ...

    def up(self) -> None: ...


@attrs.define
class ServerOutage:
    """PostgreSQL or Redis stopped (cleanly) and started again on the same port and data."""

    server: PostgresServer | RedisServer
    is_down: bool = False

    def down(self) -> None:
        self.server.stop()
        self.is_down = True

    def up(self) -> None:
        self.server.start()
        self.is_down = False


@attrs.define
class SqliteLock:
    """SQLite's outage: another process holds the write lock past the store's busy timeout."""

    path: str
    conn: sqlite3.Connection | None = None

    @property
    def is_down(self) -> bool:
        return self.conn is not None

    def down(self) -> None:
        # The file must exist (WAL, table) so that the shop's first use waits on the lock.
        store = SqliteStore(self.path)
        store.get("warm-up")
        store.close()
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.conn.execute("BEGIN EXCLUSIVE")

    def up(self) -> None:
        assert self.conn is not None
        self.conn.execute("ROLLBACK")
        self.conn.close()
        self.conn = None


def store_spec(kind: str, tmp: Path, server: Any) -> dict[str, Any]:
    """A fresh store of ``kind`` (its own file, table or key prefix)."""
    if kind == "sqlite":
        return {"kind": "sqlite", "path": str(tmp / "events.db")}
    if kind == "postgres":
        return {"kind": "postgres", "dsn": server.dsn, "table": f"ck_f_{uuid.uuid4().hex[:10]}"}
    return {"kind": "redis", "url": server.url, "prefix": f"{{ck-f-{uuid.uuid4().hex[:10]}}}:"}


def outage_for(spec: dict[str, Any], server: Any) -> Outage:
    if spec["kind"] == "sqlite":
        return SqliteLock(spec["path"])
    return ServerOutage(server)


@attrs.define
class Answer:
    """One answer of the shop."""

    status: int
    body: bytes
    pid: int | None


@attrs.define
class Shop:
    """The shop running under gunicorn, the sandbox feeding it, and what the test counts."""

    url: str
    sandbox: Any
    faults: FaultControl
    effects: Effects
    spec: dict[str, Any]
    http: httpx.Client
    _store: EventStore | None = None

    # -- the checkout flow ------------------------------------------------------------------

    def create_session(self) -> str:
        answer = self.http.post(
            self.url + "/create-checkout-session", headers={"Accept": "application/json"}, data={}
        )
        assert answer.status_code == 200, answer.text
        session_id: str = answer.json()["id"]
        return session_id

    def pay(self, session_id: str) -> str:
        """Pay through the sandbox; the id of the ``checkout.session.completed`` event."""
        paid = self.sandbox.pay(session_id, card="4242424242424242")
        assert paid["session"]["payment_status"] == "paid", paid["error"]
        return self.event_id(session_id, PAID)

    def event_id(self, session_id: str, type_: str) -> str:
        events = self.http.get(
            self.sandbox.url + "/v1/events",
            params={"type": type_, "limit": 100},
            headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
        ).json()["data"]
        return next(str(e["id"]) for e in events if e["data"]["object"]["id"] == session_id)

    def success(self, session_id: str) -> Answer:
        answer = self.http.get(self.url + "/success", params={"session_id": session_id})
        return _answer(answer)

    # -- deliveries -------------------------------------------------------------------------

    def attempts(self, event_id: str) -> list[dict[str, Any]]:
        log: list[dict[str, Any]] = self.sandbox.deliveries(event_id)
        return log

    def wait_attempts(
        self, event_id: str, count: int, *, timeout: float = 60
    ) -> list[dict[str, Any]]:
        """The delivery log of ``event_id`` once it holds ``count`` finished attempts."""
        deadline = time.monotonic() + timeout
        while len(log := self.attempts(event_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{event_id}: {len(log)} of {count} attempts within {timeout} s"
                )
            time.sleep(0.01)
        return log

    def redeliver(self, event_id: str) -> dict[str, Any]:
        """One more delivery, as Stripe retries: the attempt once it has been answered."""
        before = len(self.attempts(event_id))
        assert self.sandbox.redeliver(event_id) == 1
        return self.wait_attempts(event_id, before + 1)[before]

    def post_copy(self, event_id: str) -> Answer:
        """A signed copy of the event, posted by the test itself."""
        event = self.http.get(
            f"{self.sandbox.url}/v1/events/{event_id}",
            headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
        ).json()
        body = json.dumps(event).encode()
        headers = {"Stripe-Signature": sign_payload(body, self.sandbox.webhook_secret)}
        return _answer(self.http.post(self.url + "/webhook", content=body, headers=headers))

    # -- the store --------------------------------------------------------------------------

    @property
    def store(self) -> EventStore:
        """The test's own client of the shop's store (for records and leases)."""
        if self._store is None:
            self._store = open_store(self.spec)
        return self._store

    def record(self, key: str) -> EventRecord | None:
        return self.store.get(key)

    def wait_lease_expired(self, key: str, *, timeout: float = 30) -> EventRecord:
        """Wait until the held claim on ``key`` has expired (its holder was killed)."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.record(key)
            assert record is not None, key
            expires = record.lease_expires_at
            assert expires is not None, record
            if time.time() > expires + 0.05:
                return record
            if time.monotonic() > deadline:
                raise AssertionError(f"the claim on {key} did not expire within {timeout} s")
            time.sleep(0.05)

    def close(self) -> None:
        if self._store is not None:
            close = getattr(self._store, "close", None)
            if close is not None:
                close()
            self._store = None


def _answer(response: httpx.Response) -> Answer:
    pid = response.headers.get("X-Worker-Pid")
    return Answer(response.status_code, response.content, int(pid) if pid else None)


def effect_counts(shop: Shop) -> Counter[str]:
    """How many times each callback's effect was committed."""
    return Counter(shop.effects.counts())


FAULT_SHOP = "faults.fault_shop:flask_app()"
"""The WSGI application gunicorn serves unless a test names another."""


def gunicorn(port: int, *, workers: int = WORKERS, app: str = FAULT_SHOP) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--timeout", "300", "--graceful-timeout", "2",
        "--no-control-socket", "--chdir", str(TESTS), "--log-level", "warning", "--preload",
        app,
    ]  # fmt: skip


@contextlib.contextmanager
def running_shop(
    spec: dict[str, Any],
    tmp: Path,
    *,
    forward: bool = True,
    before_start: Outage | None = None,
    app: str = FAULT_SHOP,
    app_env: dict[str, str] | None = None,
) -> Iterator[Shop]:
    """The sandbox and the shop under gunicorn with ``WORKERS`` worker processes.

    ``forward=False`` leaves webhooks to the test (the sandbox posts none). With
    ``before_start``, the store is taken down before the shop starts, so that its first use
    finds it down. ``app`` and ``app_env`` serve another shop (one that keeps its orders in its
    own database) under the same sandbox, plan and store description.
    """
    from checkoutkit.sandbox import Sandbox

    effects = Effects(str(tmp / "effects.db"))
    effects.create()
    faults = FaultControl(tmp / "plan")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    forward_to = [url + "/webhook"] if forward else []
    # The default retry schedule: the sandbox's own first retry would come a minute later.
    with Sandbox(forward_to=forward_to, delivery_timeout=120) as sandbox:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path]),
            "STRIPE_SECRET_KEY": SANDBOX_KEY,
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
            "SHOP_URL": url,
            "FAULT_STORE": json.dumps(spec),
            "FAULT_EFFECTS": effects.path,
            "FAULT_LEASE": str(LEASE),
            PLAN_ENV: str(faults.directory),
            **(app_env or {}),
        }
        if before_start is not None:
            before_start.down()
        process = subprocess.Popen(gunicorn(port, app=app), env=env, cwd=tmp)
        shop = None
        try:
            wait_until_up(url, process)
            with httpx.Client(timeout=120) as http:
                shop = Shop(url, sandbox, faults, effects, spec, http)
                yield shop
        finally:
            faults.release_all()
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if shop is not None:
                shop.close()
