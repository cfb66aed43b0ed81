"""The shop the fault suite serves with gunicorn (several worker processes, Flask adapter).

Configured by the environment: ``FAULT_STORE`` (a JSON description of the real event store,
see :func:`open_store`), ``FAULT_EFFECTS`` (the SQLite file where the callbacks record their
effects), ``FAULT_LEASE`` (seconds), ``CK_FAULT_PLAN`` (the fault plan's directory), ``SHOP_URL``
and the usual ``STRIPE_*`` variables. Every worker builds its own Checkout over its own client
of the shared store, wrapped in :class:`~faultpoints.FaultyStore`.

The effects are rows in a table without a unique constraint, written in a transaction that
commits only when the callback succeeds: a second run of a callback shows as a second row, and a
process killed inside the callback leaves none.
"""

from __future__ import annotations

import json
import os
from typing import Any

import checkoutkit
from checkoutkit.stores import EventStore
from stores.exactly_once import Effects

from .faultpoints import FaultyStore, Plan

PRODUCT = checkoutkit.SessionBuilder.payment().add_price_data(
    currency="usd", name="T-shirt", unit_amount=2000, quantity=1
)
STORE_TIMEOUT = 1.0
"""How long a store call waits for its server (short: requests while it is down answer soon)."""


def open_store(spec: dict[str, Any]) -> EventStore:
    """The real store a JSON-able description names (each process opens its own client)."""
    kind = spec["kind"]
    if kind == "sqlite":
        return checkoutkit.SqliteStore(spec["path"], busy_timeout=STORE_TIMEOUT / 2)
    if kind == "postgres":
        from checkoutkit.stores.postgres import PostgresStore

        return PostgresStore(spec["dsn"], table=spec["table"], pool_size=2, timeout=STORE_TIMEOUT)
    if kind == "redis":
        from checkoutkit.stores.redis import RedisStore

        return RedisStore(spec["url"], prefix=spec["prefix"], timeout=STORE_TIMEOUT)
    if kind == "sqlalchemy":
        from checkoutkit.stores.sqlalchemy import SqlAlchemyStore

        return SqlAlchemyStore.from_url(spec["url"], table=spec["table"])
    raise ValueError(kind)


def make_checkout() -> checkoutkit.Checkout:
    plan = Plan.from_env()
    assert plan is not None, "the fault shop runs under a fault plan"
    store = FaultyStore(open_store(json.loads(os.environ["FAULT_STORE"])), plan)
    effects = Effects(os.environ["FAULT_EFFECTS"])
    lease = float(os.environ["FAULT_LEASE"])

    def record(key: str) -> None:
        plan.hit("callback:start", key)
        effects.note_attempt(key)
        effects.apply(key, lambda: plan.hit("callback:commit", key))
        plan.hit("callback:end", key)

    def fulfil(session: checkoutkit.CheckoutSession) -> None:
        record(f"fulfil:{session.id}")

    def expired(session: checkoutkit.CheckoutSession) -> None:
        record(f"expired:{session.id}")

    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(),
        router=checkoutkit.WebhookRouter(
            secrets=os.environ["STRIPE_WEBHOOK_SECRET"], store=store, lease=lease
        ),
        store=store,
        build_session=lambda request: PRODUCT,
        fulfil=fulfil,
        on_expired=expired,
        base_url=os.environ["SHOP_URL"],
        lease=lease,
    )


def flask_app() -> Any:
    """The WSGI application of one worker; every answer names the worker's pid."""
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(make_checkout()))

    @app.after_request
    def name_worker(response: flask.Response) -> flask.Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    return app
