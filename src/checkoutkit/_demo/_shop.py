"""The demo shop: a product and a monthly plan, their pages, and the orders it fulfilled (in
SQLite)."""

from __future__ import annotations

import contextlib
import html
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from checkoutkit._builder import SessionBuilder
from checkoutkit._checkout import Checkout, CheckoutRequest, FulfilOutcome
from checkoutkit._currencies import from_minor_units
from checkoutkit._demo._plan import (
    PLAN_CENTS,
    PLAN_NAME,
    Access,
    access_html,
    advance_form,
    advance_one_period,
    cookie_header,
    follow_subscriptions,
    manage_billing_form,
    order_of,
)
from checkoutkit._events import CheckoutSession
from checkoutkit._gateway import CheckoutGateway
from checkoutkit._look import (
    STATE_LABELS,
    OrderState,
    document,
    order_state,
    order_summary,
    result_page,
)
from checkoutkit._router import WebhookRouter
from checkoutkit.adapters._pages import default_success_page
from checkoutkit.stores.sqlite import SqliteStore

PRODUCT_NAME = "Stubborn Attachments"
PRICE_CENTS = 2000
MERCHANT_NAME = "checkoutkit demo shop"

_STYLE = """
.shop{max-width:34rem;margin:0 auto;padding:24px 16px}
nav{max-width:34rem;margin:0 auto;padding:16px 16px 0;display:flex;gap:16px}
.product{display:flex;gap:16px;align-items:center;border-radius:8px;padding:16px;margin:16px 0;
box-shadow:0 0 0 1px #e0e0e0,0 2px 4px rgba(0,0,0,.07)}.product .art{width:64px;height:64px;
border-radius:6px;background:linear-gradient(135deg,#635bff,#00d4ff)}
.product h3{font-size:16px}.product h5{margin:4px 0 0;font-size:14px;font-weight:500}
h1{font-size:24px;margin-bottom:16px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.4rem;
text-align:left;font-size:.9rem}td code{word-break:break-all}
"""
_NAV = "<nav><a href=/>Shop</a><a href=/orders>Orders</a></nav>"


def _page(title: str, body: str) -> str:
    return document(title, f"{_NAV}\n<main class=shop>{body}</main>", css=_STYLE)


def _money(amount: int | None, currency: str | None) -> str:
    """An amount in minor units as the customer reads it, in its currency's own decimals."""
    if amount is None or not currency:
        return ""
    return f"{from_minor_units(amount, currency)} {currency.upper()}"


@attrs.frozen
class Order:
    """A fulfilled order as the orders page lists it."""

    session_id: str
    email: str | None
    amount_total: int | None
    currency: str | None
    fulfilled_at: float
    customer: str | None = None
    mode: str | None = None


class Orders:
    """The orders table: one row per fulfilled Checkout Session."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS orders (session_id TEXT PRIMARY KEY, email TEXT,"
                " amount_total INTEGER, currency TEXT, fulfilled_at REAL, customer TEXT,"
                " mode TEXT)"
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(orders)")}
            for column in ("customer", "mode"):  # a --data folder of an older demo
                if column not in columns:
                    db.execute(f"ALTER TABLE orders ADD COLUMN {column} TEXT")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction, committed on success and always closed."""
        db = sqlite3.connect(self._path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, session: CheckoutSession) -> None:
        """Record the order of a paid session (called exactly once per session by Checkout)."""
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO orders (session_id, email, amount_total, currency, fulfilled_at,"
                " customer, mode) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.email,
                    session.amount_total,
                    session.currency,
                    time.time(),
                    session.customer,
                    session.mode,
                ),
            )

    def all(self) -> Sequence[Order]:
        """Every order, newest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT session_id, email, amount_total, currency, fulfilled_at, customer, mode"
                " FROM orders ORDER BY fulfilled_at DESC"
            ).fetchall()
        return [Order(*row) for row in rows]

    def customer_of(self, session_id: str | None) -> str | None:
        """The customer of a fulfilled order, as the shop recorded it."""
        if not session_id:
            return None
        with self._connect() as db:
            row = db.execute(
                "SELECT customer FROM orders WHERE session_id = ?", (session_id,)
            ).fetchone()
        return row[0] if row else None


def product_page() -> str:
    """The seed's "Buy cool new product" page with its Checkout button."""
    return _page(
        "Buy cool new product",
        f"""<div class=product><div class=art></div><div><h3>{PRODUCT_NAME}</h3>
<h5>$20.00</h5></div></div>
<form action="/create-checkout-session" method="POST">
<button type="submit" id="checkout-button">Checkout</button></form>
<div class=product><div class=art></div><div><h3>{PLAN_NAME}</h3>
<h5>$9.00 per month</h5></div></div>
<form action="/create-checkout-session" method="POST"><input type=hidden name=plan value=pro>
<button type="submit" id="subscribe-button">Subscribe</button></form>""",
    )


def success_page(session: CheckoutSession | None, outcome: FulfilOutcome | None) -> str:
    """The seed's "Thanks for your order!" page, heading first (or where the payment stands)."""
    state = order_state(session, outcome)
    nav = _NAV
    if state is OrderState.PAID or state is OrderState.UNKNOWN:
        email = session.email if session is not None else None
        note = f" a confirmation email to {email}" if email else " a confirmation email"
        page = result_page(
            "Thanks for your order!",
            state="paid",
            state_label=STATE_LABELS[OrderState.PAID],
            message=f"We appreciate your business! We'll send{note}. If you have any questions, "
            "please email orders@example.com.",
            summary=order_summary(session),
            actions=[("See your orders", "/orders"), ("Back to the shop", "/")],
            before=nav,
        )
        if session is not None and session.mode == "subscription":
            extra = f'{manage_billing_form()}<p><a href="/account" id=account>Your plan</a></p>'
            page = page.replace("</main>", f"{extra}</main>", 1)
        return page
    return default_success_page(session, outcome).replace("<body>", f"<body>{nav}", 1)


def cancel_page() -> str:
    """The page for a customer who left the payment page."""
    return result_page(
        "Checkout canceled",
        state="canceled",
        state_label="Not paid",
        message="Forgot to add something to your cart? Shop around then come back to pay!",
        actions=[("Back to the shop", "/")],
        before=_NAV,
    )


def orders_page(orders: Sequence[Order], access: Access | None = None) -> str:
    """Every fulfilled order, from SQLite, and where each subscription stands."""
    rows = "".join(
        f"<tr><td><code>{html.escape(o.session_id)}</code></td>"
        f"<td>{html.escape(o.email or '')}</td>"
        f"<td>{html.escape(_money(o.amount_total, o.currency))}</td></tr>"
        for o in orders
    )
    table = (
        f"<table><tr><th>Session</th><th>Email</th><th>Total</th></tr>{rows}</table>"
        if orders
        else "<p>No orders yet.</p>"
    )
    plans = "".join(
        f"<tr><td><code>{html.escape(a.customer)}</code></td><td>{html.escape(a.text())}</td></tr>"
        for a in (access.all() if access is not None else [])
    )
    if plans:
        table += f"<h2>Subscriptions</h2><table id=access-rows>{plans}</table>"
    return _page("Orders", f"<h1>Orders</h1><p>{len(orders)} fulfilled</p>{table}")


@attrs.define
class Shop:
    """Everything the demo apps serve: the Checkout flow and the orders."""

    checkout: Checkout
    orders: Orders
    store: SqliteStore
    gateway: CheckoutGateway
    access: Access
    sandbox: bool = False

    def customer(self, cookie: str | None) -> str | None:
        """The customer of the order the Cookie header names (never one the client names)."""
        return self.orders.customer_of(order_of(cookie))

    def account_page(self, cookie: str | None) -> str:
        """The signed-in customer's plan, the portal button and (sandbox) the clock control."""
        customer = self.customer(cookie)
        if customer is None:
            body = "<h1>Your plan</h1><p id=access>No subscription order in this browser.</p>"
            return _page("Your plan", body)
        body = f"<h1>Your plan</h1>{access_html(self.access.get(customer))}{manage_billing_form()}"
        if self.sandbox:
            body += advance_form()
        return _page("Your plan", body)

    def advance(self, cookie: str | None) -> bool:
        """Sandbox only: run the signed-in customer's next renewal now; False when refused."""
        customer = self.customer(cookie)
        if not self.sandbox or customer is None:
            return False
        advance_one_period(self.gateway.client, customer)
        return True


def make_shop(
    gateway: CheckoutGateway,
    webhook_secret: str,
    base_url: str,
    directory: Path,
    *,
    sandbox: bool = False,
) -> Shop:
    """The demo's Checkout flow: a product and the Pro plan, orders fulfilled into
    ``directory/orders.db``, access kept in step with each subscription.

    With ``sandbox`` each Pro customer is created on a test clock of its own, so the account
    page can advance its time.
    """
    orders = Orders(directory / "orders.db")
    access = Access(directory / "orders.db")
    store = SqliteStore(directory / "events.db")
    product = (
        SessionBuilder.payment()
        .add_price_data(currency="usd", name=PRODUCT_NAME, unit_amount=PRICE_CENTS, quantity=1)
        .param("branding_settings", {"display_name": MERCHANT_NAME})
    )

    plan = (
        SessionBuilder.subscription()
        .add_price_data(
            currency="usd", name=PLAN_NAME, unit_amount=PLAN_CENTS, quantity=1, recurring="month"
        )
        .param("branding_settings", {"display_name": MERCHANT_NAME})
    )

    def build_session(request: CheckoutRequest) -> SessionBuilder:
        if request.form.get("plan") != "pro":
            return product
        if not sandbox:
            return plan
        clock = gateway.client.v1.test_helpers.test_clocks.create(
            params={"frozen_time": int(time.time()), "name": "checkoutkit demo"}
        )
        customer = gateway.client.v1.customers.create(params={"test_clock": clock.id})
        return plan.customer(customer.id)

    router = WebhookRouter(secrets=webhook_secret, store=store)
    follow_subscriptions(router, gateway.client, access)

    checkout = Checkout(
        gateway=gateway,
        router=router,
        store=store,
        build_session=build_session,
        fulfil=orders.add,
        success_page=success_page,
        cancel_page=cancel_page,
        base_url=base_url,
        portal_customer=lambda request: orders.customer_of(
            order_of(cookie_header(request.headers))
        ),
        portal_return_url=f"{base_url.rstrip('/')}/account",
    )
    return Shop(checkout, orders, store, gateway, access, sandbox)
