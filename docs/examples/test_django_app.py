"""Tests of the Django shop in django_app.py through its test Client.

Run with ``pytest`` beside django_app.py; the ``sandbox`` fixture comes with checkoutkit.
"""

import sqlite3
import sys
import types
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import django
import django_app
import pytest
from django.conf import settings
from django.test import Client, override_settings

from checkoutkit import testing
from checkoutkit.sandbox import Sandbox

if not settings.configured:  # a project's tests have its settings (DJANGO_SETTINGS_MODULE)
    settings.configure(ALLOWED_HOSTS=["testserver"], ROOT_URLCONF="django_app")
    django.setup()


@pytest.fixture
def shop_settings(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """The shop's configuration for one test: the sandbox as Stripe, a database of its own."""
    return {
        "STRIPE_SECRET_KEY": "sk_test_shop",
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
        "SHOP_DATABASE": str(tmp_path / "shop.db"),
    }


@pytest.fixture
def client(shop_settings: dict[str, str]) -> Iterator[Client]:
    """Django's test Client, with the URLs built from this test's settings."""
    checkout = django_app.create_checkout(shop_settings)
    urlconf = types.ModuleType("shop_test_urls")
    urlconf.urlpatterns = django_app.create_urls(checkout)  # type: ignore[attr-defined]
    sys.modules[urlconf.__name__] = urlconf
    try:
        with override_settings(ROOT_URLCONF=urlconf.__name__):
            yield Client()
    finally:
        del sys.modules[urlconf.__name__]
        checkout.gateway.close()
        checkout.store.close()


def orders(shop_settings: dict[str, str]) -> list[tuple[str, str, int]]:
    with closing(sqlite3.connect(shop_settings["SHOP_DATABASE"])) as db:
        return db.execute("SELECT session_id, email, total FROM orders").fetchall()


def test_webhook_fulfils_the_order_once(client: Client, shop_settings: dict[str, str]) -> None:
    """A signed checkout.session.completed, delivered twice, makes one order."""
    event = testing.completed(customer_email="ada@example.com", amount_total=2000)
    body, headers = testing.signed_request(event, shop_settings["STRIPE_WEBHOOK_SECRET"])
    for _ in range(2):  # Stripe may deliver an event more than once
        assert (
            client.post(
                "/webhook", data=body, headers=headers, content_type="application/json"
            ).status_code
            == 200
        )
    assert [row[1:] for row in orders(shop_settings)] == [("ada@example.com", 2000)]


def test_success_page_after_paying(
    client: Client, shop_settings: dict[str, str], sandbox: Sandbox
) -> None:
    """Create a session, pay it on the sandbox, come back: thanks, and one order."""
    created = client.post("/create-checkout-session", headers={"Accept": "application/json"})
    session_id = created.json()["id"]
    paid = sandbox.pay(session_id, card="4242424242424242", email="ada@example.com")
    assert paid["status"] == "succeeded"
    page = client.get(f"/success?session_id={session_id}")
    assert page.status_code == 200
    assert "Thanks for your order!" in page.content.decode()
    assert orders(shop_settings) == [(session_id, "ada@example.com", 2000)]
