"""The demo shop: one product, its pages, and the orders it fulfilled (in SQLite)."""

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


class Orders:
    """The orders table: one row per fulfilled Checkout Session."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS orders (session_id TEXT PRIMARY KEY, email TEXT,"
                " amount_total INTEGER, currency TEXT, fulfilled_at REAL)"
            )

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
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
                (session.id, session.email, session.amount_total, session.currency, time.time()),
            )

    def all(self) -> Sequence[Order]:
        """Every order, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM orders ORDER BY fulfilled_at DESC").fetchall()
        return [Order(*row) for row in rows]


def product_page() -> str:
    """The seed's "Buy cool new product" page with its Checkout button."""
    return _page(
        "Buy cool new product",
        f"""<div class=product><div class=art></div><div><h3>{PRODUCT_NAME}</h3>
<h5>$20.00</h5></div></div>
<form action="/create-checkout-session" method="POST">
<button type="submit" id="checkout-button">Checkout</button></form>""",
    )


def success_page(session: CheckoutSession | None, outcome: FulfilOutcome | None) -> str:
    """The seed's "Thanks for your order!" page, heading first (or where the payment stands)."""
    state = order_state(session, outcome)
    nav = _NAV
    if state is OrderState.PAID or state is OrderState.UNKNOWN:
        email = session.email if session is not None else None
        note = f" a confirmation email to {email}" if email else " a confirmation email"
        return result_page(
            "Thanks for your order!",
            state="paid",
            state_label=STATE_LABELS[OrderState.PAID],
            message=f"We appreciate your business! We'll send{note}. If you have any questions, "
            "please email orders@example.com.",
            summary=order_summary(session),
            actions=[("See your orders", "/orders"), ("Back to the shop", "/")],
            before=nav,
        )
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


def orders_page(orders: Sequence[Order]) -> str:
    """Every fulfilled order, from SQLite."""
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
    return _page("Orders", f"<h1>Orders</h1><p>{len(orders)} fulfilled</p>{table}")


@attrs.define
class Shop:
    """Everything the demo apps serve: the Checkout flow and the orders."""

    checkout: Checkout
    orders: Orders
    store: SqliteStore
    gateway: CheckoutGateway


def make_shop(
    gateway: CheckoutGateway, webhook_secret: str, base_url: str, directory: Path
) -> Shop:
    """The demo's Checkout flow: one product, orders fulfilled into ``directory/orders.db``."""
    orders = Orders(directory / "orders.db")
    store = SqliteStore(directory / "events.db")
    product = (
        SessionBuilder.payment()
        .add_price_data(currency="usd", name=PRODUCT_NAME, unit_amount=PRICE_CENTS, quantity=1)
        .param("branding_settings", {"display_name": MERCHANT_NAME})
    )

    def build_session(request: CheckoutRequest) -> SessionBuilder:
        return product

    checkout = Checkout(
        gateway=gateway,
        router=WebhookRouter(secrets=webhook_secret, store=store),
        store=store,
        build_session=build_session,
        fulfil=orders.add,
        success_page=success_page,
        cancel_page=cancel_page,
        base_url=base_url,
    )
    return Shop(checkout, orders, store, gateway)
