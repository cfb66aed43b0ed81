"""The demo's subscription: the "Pro plan", who has access, and the way to its portal.

Access follows the subscription events (``customer.subscription.*``, ``invoice.paid`` and
``invoice.payment_failed``): each one re-reads the subscription from Stripe and writes one
access row per customer, so events that arrive out of order still leave the latest state.

The customer is never taken from the client: the success page sets a cookie naming the order
(the Checkout Session id), and the shop looks up that order's customer in its own orders table.
In sandbox mode each Pro customer lives on its own test clock, and the account page offers
"Advance one month" (a sandbox-only aid of the demo) to run the renewal now.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import attrs
import stripe

from checkoutkit._events import Event, Subscription
from checkoutkit._router import WebhookRouter

PLAN_NAME = "Pro plan"
PLAN_CENTS = 900
ORDER_COOKIE = "checkoutkit_demo_order"
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
)
_SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,200}")


@attrs.frozen
class AccessRow:
    """Where one customer's Pro subscription stands."""

    customer: str
    subscription: str
    status: str
    period_end: int | None

    def text(self) -> str:
        """ "Pro: active until …", "Pro: past due" or "Pro: canceled"."""
        if self.status in {"active", "trialing"}:
            return f"Pro: {self.status} until {_date(self.period_end)}"
        return f"Pro: {self.status.replace('_', ' ')}"


def _date(timestamp: int | None) -> str:
    if timestamp is None:
        return "—"
    day = _dt.datetime.fromtimestamp(timestamp, tz=_dt.timezone.utc)
    return f"{day:%B} {day.day}, {day.year}"


class Access:
    """The access table: one row per customer, from the subscription as Stripe has it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS access (customer TEXT PRIMARY KEY,"
                " subscription TEXT, status TEXT, period_end INTEGER)"
            )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(self, sub: Subscription) -> None:
        """Write the subscription's state as its customer's access row."""
        if sub.customer is None or sub.status is None:
            return
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO access VALUES (?, ?, ?, ?)",
                (sub.customer, sub.id, sub.status, sub.current_period_end),
            )

    def get(self, customer: str) -> AccessRow | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM access WHERE customer = ?", (customer,)).fetchone()
        return AccessRow(*row) if row else None

    def all(self) -> list[AccessRow]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM access ORDER BY customer").fetchall()
        return [AccessRow(*row) for row in rows]


def follow_subscriptions(
    router: WebhookRouter, client: stripe.StripeClient, access: Access
) -> None:
    """Keep ``access`` in step: every subscription event re-reads its subscription."""

    @router.on(*SUBSCRIPTION_EVENTS)
    def refresh(event: Event) -> None:
        sub_id: str | None = None
        if event.subscription is not None:
            sub_id = event.subscription.id
        elif event.invoice is not None:
            sub_id = event.invoice.subscription
        if not sub_id:
            return  # an invoice outside any subscription: nothing to grant
        current = client.v1.subscriptions.retrieve(sub_id)
        access.record(Subscription.from_dict(current.to_dict()))


def order_of(cookie_header: str | None) -> str | None:
    """The order (Checkout Session id) the shop's cookie names, if well formed."""
    if not cookie_header:
        return None
    cookies: SimpleCookie = SimpleCookie()
    with contextlib.suppress(Exception):
        cookies.load(cookie_header)
    morsel = cookies.get(ORDER_COOKIE)
    value = morsel.value if morsel is not None else ""
    return value if _SESSION_ID.fullmatch(value) else None


def _order_cookie(path: str, query: str) -> str | None:
    """The Set-Cookie value for the success page of ``session_id``, else None."""
    if path.rstrip("/") != "/success":
        return None
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "session_id" and _SESSION_ID.fullmatch(value):
            return f"{ORDER_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax"
    return None


def wsgi_order_cookie(app: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a WSGI app: its success page also sets the order cookie."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        cookie = _order_cookie(environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))

        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            if cookie and status.startswith("200"):
                headers = [*headers, ("Set-Cookie", cookie)]
            return start_response(status, headers, *exc)

        return app(environ, start)

    return wrapped


def asgi_order_cookie(app: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an ASGI app: its success page also sets the order cookie."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        cookie = None
        if scope["type"] == "http":
            cookie = _order_cookie(scope.get("path", ""), scope.get("query_string", b"").decode())
        if cookie is None:
            await app(scope, receive, send)
            return

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, sending)

    return wrapped


def manage_billing_form() -> str:
    """The "Manage billing" button: a POST to the portal endpoint, which finds the customer."""
    return (
        '<form action="/create-portal-session" method="POST" class=actions>'
        '<button type="submit" id="manage-billing">Manage billing</button></form>'
    )


def advance_form() -> str:
    """The sandbox-only "Advance one month" button and what it does."""
    return (
        '<form action="/advance-clock" method="POST" class=actions>'
        '<button type="submit" id="advance-month">Advance one month</button></form>'
        "<p><small>Sandbox only: moves this customer's test clock to the end of the billing "
        "period, so the renewal (and its webhooks) happen now.</small></p>"
    )


def access_html(row: AccessRow | None) -> str:
    text = row.text() if row is not None else "No subscription yet."
    return f"<p id=access>{html.escape(text)}</p>"


def advance_one_period(client: stripe.StripeClient, customer: str) -> None:
    """Move the customer's test clock to the end of their subscription's current period."""
    clock = client.v1.customers.retrieve(customer).test_clock
    if not clock:
        return
    subs = client.v1.subscriptions.list(params={"customer": customer, "status": "all"}).data
    ends = [
        item.current_period_end
        for sub in subs
        if sub.status not in {"canceled", "incomplete_expired"}
        for item in sub["items"].data
    ]
    if ends:
        client.v1.test_helpers.test_clocks.advance(str(clock), params={"frozen_time": min(ends)})


def cookie_header(headers: Mapping[str, str]) -> str | None:
    """The Cookie header of a request's headers (any case)."""
    for name, value in headers.items():
        if name.lower() == "cookie":
            return value
    return None
