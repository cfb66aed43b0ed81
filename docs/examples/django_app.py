"""A Django shop's ``urls.py``: a Checkout button, Stripe's payment page, fulfilment once.

Point ``ROOT_URLCONF`` at this module (or ``include()`` the checkout URLs in yours) and set
STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (and STRIPE_API_BASE to use the checkoutkit
sandbox instead of Stripe). Tests call ``create_urls(create_checkout(settings))`` instead.
"""

import os
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

import checkoutkit
from checkoutkit.adapters.django import urls

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


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("""<!doctype html><title>Buy cool new product</title>
<h1>Cool new product</h1><p>$20.00</p>
<form action="/create-checkout-session" method="POST"><button type="submit">Checkout</button></form>
""")


def create_urls(checkout: checkoutkit.Checkout | None = None) -> list[Any]:
    """The shop's URL patterns around ``checkout`` (by default, one built from the environment)."""
    return [path("", index), path("", include(urls(checkout or create_checkout())))]


def __getattr__(name: str) -> Any:
    """Django reads ``urlpatterns`` at the first request: they are built then, not at import."""
    if name == "urlpatterns":
        globals()["urlpatterns"] = patterns = create_urls()
        return patterns
    raise AttributeError(name)
