"""A minimal ASGI application around a WebhookRouter on a PostgresStore, for the load run.

Served by ``uvicorn scale_app:app --workers 2``; configured by ``CK_SCALE_DSN`` and
``CK_SCALE_TABLE``. Each handled event inserts a row into ``<table>_effects`` (no unique
constraint, so a second run of an event would show as a second row).
"""

from __future__ import annotations

import os
from typing import Any

from checkoutkit import Event, WebhookRouter
from checkoutkit.stores.postgres import PostgresStore
from checkoutkit.testing import TEST_SECRET

DSN = os.environ.get("CK_SCALE_DSN", "")
TABLE = os.environ.get("CK_SCALE_TABLE", "checkoutkit_events")

router = WebhookRouter(secrets=TEST_SECRET, store=PostgresStore(DSN, table=TABLE, pool_size=2))
_effects: Any = None


@router.on("checkout.session.completed")
def fulfil(event: Event) -> None:
    """Record the effect of handling ``event``."""
    global _effects  # noqa: PLW0603 (one connection per worker process)
    if _effects is None:
        import psycopg

        _effects = psycopg.connect(DSN, autocommit=True)
    _effects.execute(
        f"INSERT INTO {TABLE}_effects (event_id, pid) VALUES (%s, %s)",  # noqa: S608 (test table)
        (event.id, os.getpid()),
    )


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer every POST with what the router says."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    response = await router.handle_async(body, headers)
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": response.body})
