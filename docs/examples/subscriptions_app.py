"""Keeping access in step with a subscription: the events to handle, and the portal endpoint.

``create_app(settings)`` is a Flask shop that sells a monthly plan through Checkout, records who
may use it in SQLite from the subscription events, and opens the customer portal for the
signed-in customer (here, the ``customer`` cookie the success page sets; use your own login).
"""

import os
import sqlite3
from collections.abc import Mapping
from contextlib import closing

import flask

import checkoutkit
from checkoutkit.adapters.flask import blueprint


def create_app(settings: Mapping[str, str] = os.environ) -> flask.Flask:
    database = settings.get("SHOP_DATABASE", "shop.db")
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("CREATE TABLE IF NOT EXISTS access (customer TEXT PRIMARY KEY, plan TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS unpaid (customer TEXT PRIMARY KEY, url TEXT)")

    def set_access(customer: str | None, plan: str | None) -> None:
        with closing(sqlite3.connect(database)) as db, db:
            if plan is None:
                db.execute("DELETE FROM access WHERE customer = ?", (customer,))
            else:
                db.execute("INSERT OR REPLACE INTO access VALUES (?, ?)", (customer, plan))

    def set_unpaid(customer: str | None, invoice_url: str | None) -> None:
        """Remember a failed renewal, to ask the customer to update their card."""
        with closing(sqlite3.connect(database)) as db, db:
            db.execute("DELETE FROM unpaid WHERE customer = ?", (customer,))
            if invoice_url is not None:
                db.execute("INSERT INTO unpaid VALUES (?, ?)", (customer, invoice_url))

    store = checkoutkit.SqliteStore(database)
    router = checkoutkit.WebhookRouter(secrets=settings["STRIPE_WEBHOOK_SECRET"], store=store)

    @router.on("customer.subscription.created", "customer.subscription.updated")
    def subscription_changed(event: checkoutkit.Event) -> None:
        """Grant while active or trialing (a pending cancellation keeps access to period end)."""
        sub = event.subscription
        assert sub is not None
        set_access(sub.customer, sub.price_ids[0] if sub.grants_access else None)

    @router.on("customer.subscription.deleted")
    def subscription_ended(event: checkoutkit.Event) -> None:
        sub = event.subscription
        assert sub is not None
        set_access(sub.customer, None)

    @router.on("invoice.paid", "invoice.payment_failed")
    def invoice_settled(event: checkoutkit.Event) -> None:
        """A renewal paid, or failed (Stripe retries; the subscription turns ``past_due``)."""
        invoice = event.invoice
        assert invoice is not None
        failed = event.type == "invoice.payment_failed"
        set_unpaid(invoice.customer, invoice.hosted_invoice_url or "" if failed else None)

    plan = settings.get("PLAN_PRICE", "")

    def build_session(request: checkoutkit.CheckoutRequest) -> checkoutkit.SessionBuilder:
        return checkoutkit.SessionBuilder.subscription().add_price(plan, quantity=1)

    checkout = checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(settings),
        router=router,
        store=store,
        build_session=build_session,
        fulfil=lambda session: None,  # access follows the subscription events above
        base_url=settings.get("SHOP_URL", "http://127.0.0.1:4242"),
        portal_customer=lambda request: request.native.cookies.get("customer"),
    )
    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(checkout))
    app.config["checkout"] = checkout
    return app
