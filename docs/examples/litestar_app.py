"""A Litestar shop: a Checkout button, Stripe's payment page, and fulfilment exactly once.

Run it with ``uvicorn litestar_app:create_app --factory --port 4242`` after setting
STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (and STRIPE_API_BASE to use the checkoutkit sandbox
instead of Stripe). Tests call ``create_app(create_checkout(settings))`` instead.
"""

import os
import sqlite3
from collections.abc import Mapping
from contextlib import closing

import litestar
from litestar.response import Response

import checkoutkit
from checkoutkit.adapters.litestar import router

PRODUCT = checkoutkit.SessionBuilder.payment().add_price_data(
    currency="usd", name="Cool new product", unit_amount=2000, quantity=1
)


def build_session(request: checkoutkit.CheckoutRequest) -> checkoutkit.SessionBuilder:
    """What the Checkout button buys: the same product for everyone."""
    return PRODUCT


def create_checkout(settings: Mapping[str, str] = os.environ) -> checkoutkit.Checkout:
    """The shop's Checkout, configured from ``settings`` (the environment by default)."""
    database = settings.get("SHOP_DATABASE", "shop.db")

    def fulfil(session: checkoutkit.CheckoutSession) -> None:
        """Deliver the order. checkoutkit calls this once per paid session (in a worker thread)."""
        with closing(sqlite3.connect(database)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS orders (session_id TEXT, email TEXT, total INT)")
            db.execute(
                "INSERT INTO orders VALUES (?, ?, ?)",
                (session.id, session.email, session.amount_total),
            )

    store = checkoutkit.SqliteStore(database)
    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(settings),
        router=checkoutkit.WebhookRouter(secrets=settings["STRIPE_WEBHOOK_SECRET"], store=store),
        store=store,
        build_session=build_session,
        fulfil=fulfil,
        base_url=settings.get("SHOP_URL", "http://127.0.0.1:4242"),
    )


@litestar.get("/", media_type="text/html")
async def index() -> Response[str]:
    return Response("""<!doctype html><title>Buy cool new product</title>
<h1>Cool new product</h1><p>$20.00</p>
<form action="/create-checkout-session" method="POST"><button type="submit">Checkout</button></form>
""")


def create_app(checkout: checkoutkit.Checkout | None = None) -> litestar.Litestar:
    """The shop's Litestar app around ``checkout`` (by default, one built from the environment)."""
    checkout = checkout or create_checkout()

    async def close() -> None:
        await checkout.gateway.aclose()  # its async connections belong to the server's loop
        checkout.store.close()

    return litestar.Litestar(route_handlers=[index, router(checkout)], on_shutdown=[close])
