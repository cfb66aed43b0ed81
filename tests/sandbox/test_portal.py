"""The customer portal: ``/v1/billing_portal/sessions`` through the stripe SDK, and its page.

The page's forms are posted over HTTP as a browser posts them (``tests/sandbox/
test_portal_browser.py`` drives the same page in Chromium); every change is checked in the
subscription the SDK retrieves and in the signed events a real webhook receiver gets.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from checkoutkit.sandbox import Sandbox


def subscribe(
    box: Sandbox,
    client: stripe.StripeClient,
    card: str = "4242424242424242",
    *,
    name: str = "Pro plan",
    unit_amount: int = 900,
    interval: str = "month",
) -> Any:
    """A subscription (monthly Pro plan by default) bought through Checkout:
    (session, subscription)."""
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": unit_amount,
            "recurring": {"interval": interval},
            "product_data": {"name": name},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "https://shop.example/ok",
        }
    )
    box.pay(session.id, card=card, email="ada@example.com")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert paid.subscription is not None
    return paid, client.v1.subscriptions.retrieve(str(paid.subscription))


def portal(client: stripe.StripeClient, customer: str, **extra: Any) -> Any:
    return client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": "https://shop.example/account", **extra}
    )


def test_a_portal_session_is_shaped_as_the_sdk_declares(
    box: Sandbox, client: stripe.StripeClient
) -> None:
    """``bps_…`` with a ``url`` on the sandbox, the customer and return URL given, test mode."""
    session, _ = subscribe(box, client)
    created = portal(client, str(session.customer))
    assert isinstance(created, stripe.billing_portal.Session)
    assert created.id.startswith("bps_")
    assert created.object == "billing_portal.session"
    assert created.customer == session.customer
    assert created.return_url == "https://shop.example/account"
    assert created.url.startswith(f"{box.url}/p/session/{created.id}")
    assert created.livemode is False
    assert created.configuration.startswith("bpc_")  # type: ignore[union-attr]
    assert isinstance(created.created, int)


@pytest.mark.parametrize(
    ("params", "param", "status"),
    [
        ({}, "customer", 400),
        ({"customer": "cus_nope"}, "customer", 400),
        ({"return_url": "javascript:alert(1)"}, "return_url", 400),
        ({"flow_data": {"type": "payment_method_update"}}, "flow_data", 400),
        ({"colour": "red"}, "colour", 400),
    ],
)
def test_bad_portal_parameters_get_stripes_errors(
    box: Sandbox, client: stripe.StripeClient, params: dict[str, Any], param: str, status: int
) -> None:
    """A missing or unknown customer, a return URL that is no web URL, unmodelled flows."""
    if params.get("customer") is None and param != "customer":
        params = {"customer": str(client.v1.customers.create(params={}).id), **params}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(params=params)
    assert caught.value.http_status == status
    assert caught.value.param == param


def _post(url: str, **form: str) -> httpx.Response:
    return httpx.post(url, data=form, follow_redirects=False)


def test_cancel_at_period_end_then_renew_then_cancel_now(
    box: Sandbox, client: stripe.StripeClient, receiver: Any
) -> None:
    """Each button changes the subscription and sends Stripe's event, with previous values."""
    box.add_webhook_endpoint(receiver.url)
    session, sub = subscribe(box, client)
    url = portal(client, str(session.customer)).url
    assert box.wait_for_deliveries()  # the purchase's events, however many
    before = len(receiver.types())

    page = httpx.get(url)
    assert page.status_code == 200
    assert "Pro plan" in page.text
    assert "$9.00 per month" in page.text
    assert "Visa •••• 4242" in page.text
    assert "https://shop.example/account" in page.text

    answer = _post(url, action="cancel_at_period_end", subscription=sub.id)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("?done=cancel_at_period_end")
    got = client.v1.subscriptions.retrieve(sub.id)
    assert got.cancel_at_period_end is True
    assert got.status == "active"
    assert got.cancel_at == sub["items"].data[0]["current_period_end"]
    events = receiver.wait_for(before + 1)
    assert events[-1]["type"] == "customer.subscription.updated"
    assert events[-1]["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert "Cancels on" in httpx.get(url).text

    assert _post(url, action="renew", subscription=sub.id).status_code == 303
    assert client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is False
    events = receiver.wait_for(before + 2)
    assert events[-1]["data"]["previous_attributes"]["cancel_at_period_end"] is True

    assert _post(url, action="cancel_now", subscription=sub.id).status_code == 303
    got = client.v1.subscriptions.retrieve(sub.id)
    assert got.status == "canceled"
    assert got.ended_at is not None
    events = receiver.wait_for(before + 3)
    assert events[-1]["type"] == "customer.subscription.deleted"
    again = _post(url, action="cancel_now", subscription=sub.id)
    assert again.status_code == 402
    assert "already canceled" in again.text


def test_update_card_makes_the_new_card_the_default(
    box: Sandbox, client: stripe.StripeClient, receiver: Any
) -> None:
    """0341 attaches (it fails only when charged) and becomes the subscription's default."""
    box.add_webhook_endpoint(receiver.url)
    session, sub = subscribe(box, client)
    url = portal(client, str(session.customer)).url
    assert box.wait_for_deliveries()  # the purchase's events, however many
    before = len(receiver.types())
    answer = _post(
        url, action="update_card", cardnumber="4000 0000 0000 0341", expiry="12 / 40", cvc="123"
    )
    assert answer.status_code == 303
    got = client.v1.subscriptions.retrieve(sub.id)
    assert got.default_payment_method != sub.default_payment_method
    pm = client.v1.payment_methods.retrieve(str(got.default_payment_method))
    assert pm.card is not None
    assert pm.card.last4 == "0341"
    assert pm.customer == session.customer
    customer = client.v1.customers.retrieve(str(session.customer))
    assert customer.invoice_settings.default_payment_method == pm.id  # type: ignore[union-attr]
    events = receiver.wait_for(before + 3)
    # Deliveries run in parallel, so they may arrive in any order.
    assert sorted(e["type"] for e in events[before:]) == [
        "customer.subscription.updated",
        "customer.updated",
        "payment_method.attached",
    ]
    assert "Visa •••• 0341" in httpx.get(url).text


@pytest.mark.parametrize(
    ("form", "shown"),
    [
        ({"cardnumber": "4000000000000002", "expiry": "12/40", "cvc": "123"}, "declined"),
        ({"cardnumber": "4242424242424241", "expiry": "12/40", "cvc": "123"}, "incorrect"),
        ({"cardnumber": "", "expiry": "12/40", "cvc": "123"}, "incomplete"),
        ({"cardnumber": "4242424242424242", "expiry": "1/2", "cvc": "123"}, "in the past"),
    ],
)
def test_a_refused_card_leaves_the_old_one(
    box: Sandbox, client: stripe.StripeClient, form: dict[str, str], shown: str
) -> None:
    """A declined, invalid or incomplete card is shown on the page; nothing changes."""
    session, sub = subscribe(box, client)
    url = portal(client, str(session.customer)).url
    answer = _post(url, action="update_card", **form)
    assert answer.status_code == 402
    assert shown in answer.text
    assert client.v1.subscriptions.retrieve(sub.id).default_payment_method == (
        sub.default_payment_method
    )


def test_the_page_refuses_what_is_not_the_customers(
    box: Sandbox, client: stripe.StripeClient
) -> None:
    """Another customer's subscription, an unknown action, an unknown session: short pages."""
    session, _ = subscribe(box, client)
    _, other = subscribe(box, client)
    url = portal(client, str(session.customer)).url
    answer = _post(url, action="cancel_now", subscription=other.id)
    assert answer.status_code == 404
    assert client.v1.subscriptions.retrieve(other.id).status == "active"
    assert _post(url, action="explode").status_code == 400
    assert httpx.get(f"{box.url}/p/session/bps_nope").status_code == 404


def test_the_page_escapes_what_it_shows(box: Sandbox, client: stripe.StripeClient) -> None:
    """A product name with markup is shown as text; a non-web return URL is never a link."""
    session, _ = subscribe(
        box, client, name="<script>alert(1)</script>", unit_amount=500, interval="year"
    )
    customer = str(session.customer)
    text = httpx.get(client.v1.billing_portal.sessions.create(params={"customer": customer}).url)
    assert "<script>" not in text.text
    assert "&lt;script&gt;" in text.text
    assert "$5.00 per year" in text.text
    assert "Return to" not in text.text


def test_a_new_card_on_a_past_due_subscription_pays_its_open_invoice(
    box: Sandbox, client: stripe.StripeClient
) -> None:
    """As in Stripe's portal: replacing the card retries the failed renewal; 0341 fails again
    (the card stays saved, the page says so), 4242 pays it and the subscription is active."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_900_000_000})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro plan"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "https://shop.example/ok",
        }
    )
    box.pay(session.id, card="4000000000000341")
    sub_id = str(client.v1.checkout.sessions.retrieve(session.id).subscription)
    end = client.v1.subscriptions.retrieve(sub_id)["items"].data[0]["current_period_end"]
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": end})
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
    url = portal(client, customer.id).url

    card = {"action": "update_card", "expiry": "12 / 40", "cvc": "123"}
    again = _post(url, cardnumber="4000 0000 0000 0341", **card)
    assert again.status_code == 402
    assert "Your card has been updated." in again.text
    assert "could not be paid" in again.text
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"

    assert _post(url, cardnumber="4242 4242 4242 4242", **card).status_code == 303
    got = client.v1.subscriptions.retrieve(sub_id, params={"expand": ["latest_invoice"]})
    assert got.status == "active"
    assert got.latest_invoice.status == "paid"  # type: ignore[union-attr]
    assert got.latest_invoice.attempt_count == 3  # type: ignore[union-attr]
