"""The portal page as a customer uses it, in real headless Chromium, with the example shop.

The customer buys the plan of docs/examples/subscriptions_app.py, opens the portal through the
shop's endpoint, cancels at period end (the event is delivered to the shop and handled: access
stays until the period ends), replaces the card, cancels now (access ends) and returns to the
shop by the portal's link.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_subscriptions_example import _access, served  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


def test_cancel_and_update_card_in_chromium(served: dict[str, Any], page: Any) -> None:  # noqa: F811
    box = served["box"]
    shop = served["url"]
    answer = box.client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": served["price"], "quantity": 1}],
            "success_url": f"{shop}/",
        }
    )
    box.pay(answer.id, card="4242424242424242", email="ada@example.com")
    assert box.wait_for_deliveries()
    customer = str(box.client().v1.checkout.sessions.retrieve(answer.id).customer)
    assert _access(served["db"]) == {customer: served["price"]}

    # The shop's "Manage billing" form, posted by the browser with the signed-in cookie.
    page.context.add_cookies([{"name": "customer", "value": customer, "url": shop}])
    page.set_content(
        f'<form method=post action="{shop}/create-portal-session">'
        "<button id=manage>Manage billing</button></form>"
    )
    page.click("#manage")
    page.wait_for_url(f"{box.url}/p/session/bps_*")
    assert "$9.00 per month" in page.inner_text("#subscriptions")
    assert "4242" in page.inner_text("#subscriptions")

    page.click("button[value=cancel_at_period_end]")
    assert "canceled at the end of the period" in page.inner_text("#done")
    assert "Cancels on" in page.inner_text("#subscriptions")
    assert box.wait_for_deliveries()
    assert _access(served["db"]) == {customer: served["price"]}

    page.fill("#cardnumber", "4000 0000 0000 0341")
    page.fill("#expiry", "12 / 40")
    page.fill("#cvc", "123")
    page.click("#update-card")
    assert "card has been updated" in page.inner_text("#done")
    assert "0341" in page.inner_text("#subscriptions")

    page.click("button[value=cancel_now]")
    assert "has been canceled" in page.inner_text("#done")
    assert box.wait_for_deliveries()
    assert _access(served["db"]) == {}

    page.click("#return")
    page.wait_for_url(f"{shop}/")
