"""A Flask shop: a Checkout button, Stripe's payment page, and fulfilment exactly once.

Run it with ``flask --app flask_app run --port 4242`` (Flask calls ``create_app()``) after
setting STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (and STRIPE_API_BASE to use the checkoutkit
sandbox instead of Stripe). Tests call ``create_app(create_checkout(settings))`` instead.
"""

import os
import sqlite3
from collections.abc import Mapping
from contextlib import closing

import flask

import checkoutkit
from checkoutkit.adapters.flask import blueprint

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
        """Deliver the order. checkoutkit calls this once per paid session."""
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


def create_app(checkout: checkoutkit.Checkout | None = None) -> flask.Flask:
    """The shop's Flask app around ``checkout`` (by default, one built from the environment)."""
    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(checkout or create_checkout()))

    @app.get("/")
    def index() -> str:
        return """<!doctype html><title>Buy cool new product</title>
<h1>Cool new product</h1><p>$20.00</p>
<form action="/create-checkout-session" method="POST"><button type="submit">Checkout</button></form>
"""

    return app
