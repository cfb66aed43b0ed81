"""docs/examples/subscriptions_app.py served for real: access follows the portal's changes.

The example runs under werkzeug's server; the sandbox delivers its signed events over HTTP to
the example's webhook, and the portal page's forms are posted as a browser posts them.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from checkoutkit import testing
from checkoutkit.sandbox import Sandbox

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The example app on a real server, a sandbox delivering to it, and its database."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import subscriptions_app
    finally:
        sys.path.remove(str(EXAMPLES))
    with Sandbox(retry_scale=0.001) as box:
        price = box.client().v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 900,
                "recurring": {"interval": "month"},
                "product_data": {"name": "Pro"},
            }
        )
        database = str(tmp_path / "shop.db")
        settings = {
            "STRIPE_SECRET_KEY": "sk_test_shop",
            "STRIPE_API_BASE": box.url,
            "STRIPE_WEBHOOK_SECRET": box.webhook_secret,
            "SHOP_DATABASE": database,
            "PLAN_PRICE": price.id,
        }
        server = make_server("127.0.0.1", 0, None)  # type: ignore[arg-type]
        port = server.server_port
        server.server_close()
        settings["SHOP_URL"] = f"http://127.0.0.1:{port}"
        app = subscriptions_app.create_app(settings)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        box.add_webhook_endpoint(f"http://127.0.0.1:{port}/webhook")
        try:
            yield {"box": box, "url": settings["SHOP_URL"], "db": database, "price": price.id}
        finally:
            server.shutdown()
            app.config["checkout"].gateway.close()
            app.config["checkout"].store.close()


def _access(database: str) -> dict[str, str]:
    with closing(sqlite3.connect(database)) as db:
        return dict(db.execute("SELECT customer, plan FROM access").fetchall())


def test_access_follows_the_subscription_through_the_portal(served: dict[str, Any]) -> None:
    """Bought: access. Cancel at period end: access until then. Cancel now: no access."""
    box: Sandbox = served["box"]
    answer = httpx.post(
        f"{served['url']}/create-checkout-session", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    session_id = answer.json()["id"]
    box.pay(session_id, card="4242424242424242", email="ada@example.com")
    assert box.wait_for_deliveries()
    customer = box.client().v1.checkout.sessions.retrieve(session_id).customer
    assert _access(served["db"]) == {customer: served["price"]}

    # No signed-in customer: no portal. With the cookie: 303 to the customer's portal.
    assert httpx.post(f"{served['url']}/create-portal-session").status_code == 403
    opened = httpx.post(
        f"{served['url']}/create-portal-session", cookies={"customer": str(customer)}
    )
    assert opened.status_code == 303
    portal = opened.headers["location"]
    page = httpx.get(portal)
    assert f'href="{served["url"]}/"' in page.text
    sub_id = page.text.split('id="sub-', 1)[1].split('"', 1)[0]

    done = httpx.post(portal, data={"action": "cancel_at_period_end", "subscription": sub_id})
    assert done.status_code == 303
    assert box.wait_for_deliveries()
    assert _access(served["db"]) == {customer: served["price"]}  # paid until the period ends

    httpx.post(portal, data={"action": "cancel_now", "subscription": sub_id})
    assert box.wait_for_deliveries()
    assert _access(served["db"]) == {}
    delivered = [d for d in box.deliveries() if d.get("status") == 200]
    assert delivered, box.deliveries()


def test_a_failed_renewal_is_remembered(tmp_path: Path) -> None:
    """``invoice.payment_failed`` records the invoice to pay; ``invoice.paid`` clears it."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import subscriptions_app
    finally:
        sys.path.remove(str(EXAMPLES))
    database = str(tmp_path / "shop.db")
    secret = testing.TEST_SECRET
    app = subscriptions_app.create_app(
        {
            "STRIPE_SECRET_KEY": "sk_test_shop",
            "STRIPE_API_BASE": "http://127.0.0.1:9",
            "STRIPE_WEBHOOK_SECRET": secret,
            "SHOP_DATABASE": database,
        }
    )
    client = app.test_client()
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "customer": "cus_1",
        "status": "open",
        "hosted_invoice_url": "https://invoice.example/in_1",
    }
    import json

    for event_id, type_, status in (
        ("evt_1", "invoice.payment_failed", "open"),
        ("evt_2", "invoice.paid", "paid"),
    ):
        body = json.dumps(
            {"id": event_id, "type": type_, "data": {"object": {**invoice, "status": status}}}
        ).encode()
        answer = client.post(
            "/webhook",
            data=body,
            headers={"Stripe-Signature": testing.sign_payload(body, secret)},
        )
        assert answer.status_code == 200, answer.get_data()
        with closing(sqlite3.connect(database)) as db:
            rows = db.execute("SELECT customer, url FROM unpaid").fetchall()
        assert rows == ([("cus_1", "https://invoice.example/in_1")] if status == "open" else [])
    app.config["checkout"].store.close()
