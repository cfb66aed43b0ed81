"""The sandbox's hosted payment page in real headless Chromium, for sessions the Gateway created.

Chromium comes from the system (Debian's ``chromium`` package, installed by ``.ci/run``); it is
never downloaded. Under CI a missing browser fails these tests instead of skipping them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gateway_support import WebhookReceiver

from checkoutkit import CheckoutGateway
from checkoutkit.sandbox import Sandbox

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(receiver: WebhookReceiver, sandbox: Sandbox) -> Iterator[tuple[CheckoutGateway, str]]:
    """A gateway for the sandbox and the base URL of a local shop serving success pages."""
    with CheckoutGateway.for_sandbox(sandbox) as gateway:
        yield gateway, receiver.base


def _session(gateway: CheckoutGateway, shop_url: str, reference: str) -> Any:
    return gateway.create(
        {
            "mode": "payment",
            "success_url": f"{shop_url}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{shop_url}/cart",
            "customer_email": "ada@example.com",
            "client_reference_id": reference,
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 2500,
                        "product_data": {"name": "Notebook"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )


def _fill_card(page: Any, number: str) -> None:
    page.fill("input[name=cardnumber]", number)
    page.fill("input[name=expiry]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.fill("input[name=postal_code]", "10115")


def test_card_4242_lands_on_the_success_url(page: Any, shop: tuple[CheckoutGateway, str]) -> None:
    """Paying with 4242 redirects the browser to success_url with the session id filled in."""
    gateway, shop_url = shop
    session = _session(gateway, shop_url, "browser-4242")
    page.goto(session.url)
    assert page.input_value("input[name=email]") == "ada@example.com"
    assert "25.00" in page.inner_text("#total")
    _fill_card(page, "4242 4242 4242 4242")
    with page.expect_navigation(url=f"{shop_url}/thanks*"):
        page.click("#submit")
    assert page.url == f"{shop_url}/thanks?session_id={session.id}"
    assert page.inner_text("#thanks") == "Thank you"
    assert gateway.retrieve(session.id).payment_status == "paid"


def test_card_3155_authenticates_then_succeeds(
    page: Any, shop: tuple[CheckoutGateway, str]
) -> None:
    """3155 shows an authentication page; pressing Complete pays and lands on success_url."""
    gateway, shop_url = shop
    session = _session(gateway, shop_url, "browser-3155")
    page.goto(session.url)
    _fill_card(page, "4000 0025 0000 3155")
    page.click("#submit")
    page.wait_for_selector("#complete")
    assert gateway.retrieve(session.id).status == "open"
    with page.expect_navigation(url=f"{shop_url}/thanks*"):
        page.click("#complete")
    assert page.url == f"{shop_url}/thanks?session_id={session.id}"
    assert gateway.retrieve(session.id).payment_status == "paid"


def test_card_9995_shows_the_decline(page: Any, shop: tuple[CheckoutGateway, str]) -> None:
    """9995 is declined for insufficient funds: the page shows why and the session stays open."""
    gateway, shop_url = shop
    session = _session(gateway, shop_url, "browser-9995")
    page.goto(session.url)
    _fill_card(page, "4000000000009995")
    page.click("#submit")
    error = page.wait_for_selector("#error")
    assert "insufficient funds" in error.inner_text()
    assert page.url.startswith(session.url)
    assert gateway.retrieve(session.id).status == "open"
