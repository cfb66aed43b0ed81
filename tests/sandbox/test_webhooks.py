"""Events and webhook delivery: signed posts to real local receivers, retries, redelivery."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import stripe

from checkoutkit import verify_signature
from checkoutkit.sandbox import Sandbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Receiver


def test_completed_event_reaches_the_receiver_and_verifies(
    receiver: Receiver, session_params: dict[str, Any], client: stripe.StripeClient, box: Sandbox
) -> None:
    """checkout.session.completed arrives signed; stripe.Webhook and verify_signature accept it."""
    box.add_webhook_endpoint(receiver.url)
    session = client.v1.checkout.sessions.create(params=session_params)
    box.pay(session.id, card="4242424242424242")
    events = receiver.wait_for(2)
    assert {e["type"] for e in events} == {"checkout.session.completed", "payment_intent.succeeded"}
    body, headers = next((b, h) for b, h in receiver.received if b"checkout.session.completed" in b)
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], box.webhook_secret)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    verify_signature(body, headers["Stripe-Signature"], box.webhook_secret)


def test_event_shape(
    receiver: Receiver, session_params: dict[str, Any], client: stripe.StripeClient, box: Sandbox
) -> None:
    """Events carry Stripe's fields and can be retrieved and listed through the API."""
    box.add_webhook_endpoint(receiver.url)
    session = client.v1.checkout.sessions.create(params=session_params)
    client.v1.checkout.sessions.expire(session.id, options={"idempotency_key": "exp-1"})
    (event,) = receiver.wait_for(1)
    assert event["id"].startswith("evt_")
    assert event["object"] == "event"
    assert event["type"] == "checkout.session.expired"
    assert event["api_version"] == "2026-10-28.endive"
    assert event["livemode"] is False
    assert event["pending_webhooks"] == 1
    assert event["request"]["idempotency_key"] == "exp-1"
    assert event["request"]["id"].startswith("req_")
    assert isinstance(event["created"], int)
    assert event["data"]["object"]["status"] == "expired"
    fetched = client.v1.events.retrieve(event["id"])
    assert fetched.data.object.id == session.id
    listed = client.v1.events.list(params={"type": "checkout.session.expired"})
    assert [e.id for e in listed.data] == [event["id"]]


def test_receiver_failing_twice_gets_the_event_a_third_time(
    session_params: dict[str, Any], make_receiver: Callable[..., Receiver]
) -> None:
    """Non-2xx answers are retried with backoff; the third attempt succeeds and is logged."""
    flaky = make_receiver(fail_first=2)
    with Sandbox(forward_to=[flaky.url], retry_scale=0.001) as box:
        client = box.client()
        price = client.v1.prices.create(
            params={"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}
        )
        session = client.v1.checkout.sessions.create(
            params={**session_params, "line_items": [{"price": price.id, "quantity": 1}]}
        )
        client.v1.checkout.sessions.expire(session.id)
        (event,) = flaky.wait_for(1)
        assert event["type"] == "checkout.session.expired"
        assert flaky.attempts == 3
        box.wait_for_deliveries()
        log = box.deliveries(event["id"])
        assert [(e["attempt"], e["status"], e["succeeded"]) for e in log] == [
            (1, 500, False),
            (2, 500, False),
            (3, 200, True),
        ]
        assert log[0]["next_attempt_in"] == 60 * 0.001


def test_unreachable_endpoint_is_retried_and_logged(
    session_params: dict[str, Any], make_receiver: Callable[..., Receiver]
) -> None:
    """A connection error counts as a failed attempt and is retried."""
    dead = make_receiver()
    url = dead.url
    dead.close()
    with Sandbox(forward_to=[url], retry_scale=0.0001) as box:
        client = box.client()
        price = client.v1.prices.create(
            params={"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}
        )
        session = client.v1.checkout.sessions.create(
            params={**session_params, "line_items": [{"price": price.id, "quantity": 1}]}
        )
        client.v1.checkout.sessions.expire(session.id)
        deadline = time.monotonic() + 10
        while len(box.deliveries()) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        log = box.deliveries()
        assert all(e["status"] is None and e["error"] for e in log)
        assert [e["attempt"] for e in log[:3]] == [1, 2, 3]


def test_control_endpoints_add_endpoint_redeliver_and_log(
    receiver: Receiver, session_params: dict[str, Any], client: stripe.StripeClient, box: Sandbox
) -> None:
    """Endpoints are added, events redelivered and the log read over /_sandbox HTTP."""
    added = httpx.post(f"{box.url}/_sandbox/webhook_endpoints", data={"url": receiver.url})
    assert added.json() == {"url": receiver.url, "secret": box.webhook_secret}
    listed = httpx.get(f"{box.url}/_sandbox/webhook_endpoints").json()
    assert listed["data"] == [{"url": receiver.url}]
    session = client.v1.checkout.sessions.create(params=session_params)
    client.v1.checkout.sessions.expire(session.id)
    (event,) = receiver.wait_for(1)
    again = httpx.post(f"{box.url}/_sandbox/events/{event['id']}/redeliver")
    assert again.json()["queued"] == 1
    second = receiver.wait_for(2)
    assert [e["id"] for e in second] == [event["id"], event["id"]]
    box.wait_for_deliveries()
    log = httpx.get(f"{box.url}/_sandbox/deliveries", params={"event": event["id"]}).json()
    assert [e["succeeded"] for e in log["data"]] == [True, True]


def test_bad_endpoint_url_is_refused(box: Sandbox) -> None:
    """Only absolute http(s) URLs are accepted as webhook endpoints."""
    response = httpx.post(f"{box.url}/_sandbox/webhook_endpoints", data={"url": "ftp://x"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "url"


def test_stop_is_clean_with_pending_retries(
    session_params: dict[str, Any], make_receiver: Callable[..., Receiver]
) -> None:
    """Stopping with retries still queued returns promptly and drops them."""
    dead = make_receiver()
    url = dead.url
    dead.close()
    box = Sandbox(forward_to=[url], retry_scale=1.0)
    client = box.client()
    customer = client.v1.customers.create(params={"email": "x@example.com"})
    assert customer.id
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}
    )
    session = client.v1.checkout.sessions.create(
        params={**session_params, "line_items": [{"price": price.id, "quantity": 1}]}
    )
    client.v1.checkout.sessions.expire(session.id)
    started = time.monotonic()
    box.stop()
    box.stop()
    assert time.monotonic() - started < 5
