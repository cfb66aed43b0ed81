"""A shop (FastAPI adapter) whose instances share one PostgreSQL store, for the scale tests.

Configured by the environment: ``SHOP_DSN`` and ``SHOP_TABLE`` (the event store's table; orders
go to ``<table>_orders``, with no unique constraint so a second fulfilment shows as a second
row), ``SHOP_URL`` (the public URL of the success page), and the usual ``STRIPE_*`` variables.
"""

from __future__ import annotations

import os
from typing import Any

import checkoutkit
from checkoutkit.stores.postgres import PostgresStore

PRODUCT = checkoutkit.SessionBuilder.payment().add_price_data(
    currency="usd", name="T-shirt", unit_amount=2000, quantity=1
)


def fulfil(session: checkoutkit.CheckoutSession) -> None:
    """Record the order as a row in the shop's own table."""
    import psycopg

    with psycopg.connect(os.environ["SHOP_DSN"], autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {os.environ['SHOP_TABLE']}_orders (session_id, pid) VALUES (%s, %s)",  # noqa: S608
            (session.id, os.getpid()),
        )


def fastapi_app() -> Any:
    """The FastAPI application of one instance."""
    import fastapi

    from checkoutkit.adapters.fastapi import router

    store = PostgresStore(os.environ["SHOP_DSN"], table=os.environ["SHOP_TABLE"], pool_size=2)
    checkout = checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(),
        router=checkoutkit.WebhookRouter(secrets=os.environ["STRIPE_WEBHOOK_SECRET"], store=store),
        store=store,
        build_session=lambda request: PRODUCT,
        fulfil=fulfil,
        base_url=os.environ["SHOP_URL"],
    )
    app = fastapi.FastAPI()
    app.include_router(router(checkout))
    return app
