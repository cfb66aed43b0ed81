"""The demo's Pro plan over time, in each framework: bought with 4242, renewed a month later
(over plain HTTP), the card replaced with 0341 in the portal, a month advanced on the test
clock (the renewal fails: past due), then
canceled in the portal; the account page follows each step from the webhooks, and the
sandbox's delivery log shows every event answered 2xx (verified and handled by the shop).

Once over plain HTTP with the stripe SDK, once in real headless Chromium.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stripe
from demo_support import Demo

from checkoutkit._demo._plan import ORDER_COOKIE

pytestmark = pytest.mark.slow

CARD = {"expiry": "12 / 40", "cvc": "123"}


def _client(demo: Demo) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_demo", base_addresses={"api": demo.sandbox}, max_network_retries=0
    )


def _until(read: Callable[[], str], wanted: str, timeout: float = 20.0) -> str:
    """Read a page until it shows ``wanted`` (webhooks arrive on their own), bounded."""
    deadline = time.monotonic() + timeout
    text = read()
    while wanted not in text and time.monotonic() < deadline:
        time.sleep(0.1)
        text = read()
    assert wanted in text
    return text


def _every_event_handled(demo: Demo, customer: str) -> list[str]:
    """Each of the customer's billing events was delivered to the shop and answered 2xx."""
    listed = httpx.get(
        f"{demo.sandbox}/v1/events",
        params={"limit": 100},
        headers={"Authorization": "Bearer sk_test_demo"},
    )
    mine = [
        e
        for e in listed.json()["data"]
        if customer in {e["data"]["object"].get("customer"), e["data"]["object"]["id"]}
    ]
    deadline = time.monotonic() + 20
    for event in mine:
        while True:
            log = httpx.get(f"{demo.sandbox}/_sandbox/deliveries", params={"event": event["id"]})
            attempts = log.json()["data"]
            if attempts or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert attempts, f"{event['type']} was not delivered"
        if event["type"] == "checkout.session.completed":
            # The success page may be fulfilling the same session at that moment: the webhook
            # is then told 409 and retried later (exactly-once), nothing is lost.
            assert all(a["succeeded"] or a["status"] == 409 for a in attempts), attempts
            assert all(a["next_attempt_in"] for a in attempts if not a["succeeded"]), attempts
        else:
            assert all(a["succeeded"] for a in attempts), (event["type"], attempts)
    return sorted({e["type"] for e in mine})


def _period_end(client: Any, sub_id: str) -> int:
    """When the subscription's current period ends (on its item, at the pinned API version)."""
    subscription = client.v1.subscriptions.retrieve(sub_id)
    return int(subscription["items"]["data"][0]["current_period_end"])


def _check_types(types: list[str]) -> None:
    for wanted in (
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    ):
        assert wanted in types


def test_pro_plan_renews_fails_and_is_canceled_through_the_sdk(demo: Demo) -> None:
    client = _client(demo)
    with httpx.Client(base_url=demo.shop) as shop:
        assert "Pro plan" in shop.get("/").text
        created = shop.post("/create-checkout-session", data={"plan": "pro"})
        assert created.status_code == 303
        session_id = created.headers["location"].rsplit("/", 1)[1]
        paid = httpx.post(
            f"{demo.sandbox}/_sandbox/sessions/{session_id}/pay",
            data={"card": "4242424242424242", "email": "ada@example.com"},
        )
        assert paid.status_code == 200, paid.text
        session = client.v1.checkout.sessions.retrieve(session_id)
        assert session.mode == "subscription"
        customer, sub_id = str(session.customer), str(session.subscription)
        assert client.v1.customers.retrieve(customer).test_clock

        # Nothing opens the portal before the success page named the order.
        assert shop.post("/create-portal-session").status_code >= 400
        assert shop.post("/advance-clock").status_code == 404
        thanks = shop.get("/success", params={"session_id": session_id})
        assert "Manage billing" in thanks.text
        assert shop.cookies[ORDER_COOKIE] == session_id
        _until(lambda: shop.get("/account").text, "Pro: active until")

        # A month on the test clock: the first renewal is charged to the 4242 card and paid.
        first_end = _period_end(client, sub_id)
        assert shop.post("/advance-clock").status_code == 303
        assert client.v1.subscriptions.retrieve(sub_id).status == "active"
        assert _period_end(client, sub_id) > first_end
        invoices = client.v1.invoices.list({"subscription": sub_id}).data
        renewals = [i for i in invoices if i.billing_reason == "subscription_cycle"]
        assert [i.status for i in renewals] == ["paid"]

        opened = shop.post("/create-portal-session")
        assert opened.status_code == 303
        portal = opened.headers["location"]
        assert portal.startswith(f"{demo.sandbox}/p/session/bps_")
        replaced = httpx.post(
            portal, data={"action": "update_card", "cardnumber": "4000000000000341", **CARD}
        )
        assert replaced.status_code == 303

        assert shop.post("/advance-clock").status_code == 303
        assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
        _until(lambda: shop.get("/account").text, "Pro: past due")

        canceled = httpx.post(portal, data={"action": "cancel_now", "subscription": sub_id})
        assert canceled.status_code == 303
        _until(lambda: shop.get("/account").text, "Pro: canceled")
        assert "Pro: canceled" in shop.get("/orders").text
    _check_types(_every_event_handled(demo, customer))


def test_a_forged_order_cookie_opens_no_portal(demo: Demo) -> None:
    """A cookie naming an order the shop never fulfilled names no customer."""
    cookies = {ORDER_COOKIE: "cs_test_forged"}
    with httpx.Client(base_url=demo.shop, cookies=cookies) as shop:
        assert shop.post("/create-portal-session").status_code >= 400
        assert shop.post("/advance-clock").status_code == 404
        assert "No subscription order" in shop.get("/account").text


@pytest.mark.browser
def test_pro_plan_over_time_in_chromium(page: Any, demo: Demo) -> None:
    page.goto(demo.shop + "/")
    with page.expect_navigation(url=f"{demo.sandbox}/c/pay/*"):
        page.click("#subscribe-button")
    session_id = page.url.rsplit("/", 1)[1]
    page.fill("input[name=email]", "jenny@example.com")
    page.fill("input[name=cardnumber]", "4242 4242 4242 4242")
    page.fill("input[name=expiry]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.fill("input[name=postal_code]", "10115")
    with page.expect_navigation(url=f"{demo.shop}/success*"):
        page.click("#submit")
    assert "Thanks for your order!" in page.inner_text("h1")

    def account() -> str:
        page.goto(demo.shop + "/account")
        text: str = page.inner_text("#access")
        return text

    _until(account, "Pro: active until")
    with page.expect_navigation(url=f"{demo.sandbox}/p/session/*"):
        page.click("#manage-billing")
    page.fill("input[name=cardnumber]", "4000 0000 0000 0341")
    page.fill("input[name=expiry]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.click("#update-card")
    assert "Visa •••• 0341" in page.inner_text("#subscriptions")
    with page.expect_navigation(url=f"{demo.shop}/account"):
        page.click("#return")
    with page.expect_navigation(url=f"{demo.shop}/account"):
        page.click("#advance-month")
    _until(account, "Pro: past due")

    with page.expect_navigation(url=f"{demo.sandbox}/p/session/*"):
        page.click("#manage-billing")
    page.click("button[id^=cancel_now-]")
    page.wait_for_selector("#done")
    _until(account, "Pro: canceled")

    customer = str(_client(demo).v1.checkout.sessions.retrieve(session_id).customer)
    _check_types(_every_event_handled(demo, customer))
