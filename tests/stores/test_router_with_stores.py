"""The webhook router over each real store: async exactly-once and answers when a store fails."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import Event, SqliteStore, WebhookRouter
from checkoutkit.stores import AsyncEventStore
from checkoutkit.testing import TEST_SECRET, sign_payload
from servers import free_port

from .exactly_once import EVENT_TYPE, Effects, api_version, deliver, event_body

HANDLED = b'{"received":true}'


def _async_store(kind: str, server: Any) -> AsyncEventStore:
    if kind == "postgres":
        from checkoutkit.stores.postgres import AsyncPostgresStore

        return AsyncPostgresStore(server.dsn, table=f"ck_{uuid.uuid4().hex[:12]}")
    from checkoutkit.stores.redis import AsyncRedisStore

    return AsyncRedisStore(server.url, prefix=f"{{ck-{uuid.uuid4().hex}}}:")


@pytest.fixture(params=["postgres", "redis"])
def server_kind(request: pytest.FixtureRequest) -> tuple[str, Any]:
    fixture = "postgres" if request.param == "postgres" else "redis_server"
    return request.param, request.getfixturevalue(fixture)


@pytest.mark.services
def test_handle_async_with_an_async_store_runs_once(
    server_kind: tuple[str, Any], tmp_path: Path
) -> None:
    """50 concurrent ``handle_async`` deliveries of each of 3 events over an async server store:
    one effect per event, and every answer is 200 or 409."""
    kind, server = server_kind
    effects = Effects(str(tmp_path / "app.db"))
    effects.create()
    version = api_version()
    bodies = {f"evt_async_{i}": event_body(f"evt_async_{i}", version) for i in range(3)}

    async def main() -> list[tuple[str, int, bytes]]:
        store = _async_store(kind, server)
        router = WebhookRouter(secrets=TEST_SECRET, store=store, lease=30)

        @router.on(EVENT_TYPE)
        async def fulfil(event: Event) -> None:
            await asyncio.sleep(0.02)  # let the duplicates pile up while the claim is held
            effects.apply(event.id)

        async def one(event_id: str) -> tuple[str, int, bytes]:
            body = bodies[event_id]
            headers = {"Stripe-Signature": sign_payload(body, TEST_SECRET)}
            response = await router.handle_async(body, headers)
            return event_id, response.status, response.body

        try:
            return await asyncio.gather(*(one(e) for e in bodies for _ in range(50)))
        finally:
            await store.close()  # type: ignore[attr-defined]

    answers = asyncio.run(main())
    assert {status for _, status, _ in answers} <= {200, 409}
    assert Counter(e for e, _, body in answers if body == HANDLED) == dict.fromkeys(bodies, 1)
    assert effects.counts() == dict.fromkeys(bodies, 1)


def _router(store: Any, calls: list[str]) -> WebhookRouter:
    router = WebhookRouter(secrets=TEST_SECRET, store=store)

    @router.on(EVENT_TYPE)
    def fulfil(event: Event) -> None:
        calls.append(event.id)

    return router


@pytest.mark.services
def test_unreachable_server_store_answers_503(server_kind: tuple[str, Any]) -> None:
    """A server store that cannot reach its server makes the router answer 503, handlers unrun."""
    kind, _ = server_kind
    port = free_port()
    if kind == "postgres":
        from checkoutkit.stores.postgres import PostgresStore

        store: Any = PostgresStore(
            f"host=127.0.0.1 port={port} user=x dbname=x connect_timeout=1", timeout=1
        )
    else:
        from checkoutkit.stores.redis import RedisStore

        store = RedisStore(f"redis://127.0.0.1:{port}/0", timeout=1)
    calls: list[str] = []
    try:
        response = deliver(_router(store, calls), event_body("evt_down", api_version()))
    finally:
        store.close()
    assert response.status == 503
    assert calls == []


def test_locked_sqlite_store_answers_503_and_the_redelivery_succeeds(tmp_path: Path) -> None:
    """A SqliteStore locked past its busy timeout → 503; once free, the redelivery runs once."""
    path = tmp_path / "events.db"
    store = SqliteStore(path, busy_timeout=0.05)
    store.get("evt_0")  # creates the schema
    calls: list[str] = []
    router = _router(store, calls)
    body = event_body("evt_locked", api_version())
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        assert deliver(router, body).status == 503
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert calls == []
    again = deliver(router, body)
    assert (again.status, again.body) == (200, HANDLED)
    assert deliver(router, body).status == 200
    assert calls == ["evt_locked"]
    store.close()
