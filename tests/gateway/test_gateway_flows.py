"""Every Checkout flow through the Gateway: the real stripe SDK over HTTP against the sandbox.

Each test runs twice (fixture ``api``): through the gateway's sync methods and through their
``_async`` twins on one event loop.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from decimal import Decimal
from typing import Any

import pytest
import stripe
from gateway_support import Api, Controls, Delivery, WebhookReceiver

import checkoutkit
from checkoutkit import CheckoutGateway, SessionBuilder
from checkoutkit.exceptions import (
    StripeIdempotencyError,
    StripeInvalidRequestError,
    StripeNotFoundError,
)
from checkoutkit.sandbox import Sandbox

SUCCESS_URL = "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://shop.example/cart"


def payment_params(**extra: Any) -> dict[str, Any]:
    """A valid payment-mode session: two T-shirts at 20.00 EUR, priced inline."""
    return {
        "mode": "payment",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 2000,
                    "product_data": {"name": "T-shirt"},
                },
                "quantity": 2,
            }
        ],
        **extra,
    }


def events_of(receiver: WebhookReceiver, secret: str, kind: str, count: int = 1) -> list[Any]:
    """Wait for ``count`` events of type ``kind``; each verified by checkoutkit and by stripe."""

    def accepted(deliveries: list[Delivery]) -> list[Delivery]:
        return [d for d in deliveries if d.status == 200 and json.loads(d.body)["type"] == kind]

    got = accepted(receiver.wait_for(lambda ds: len(accepted(ds)) >= count))
    events = []
    for delivery in got:
        header = delivery.headers["stripe-signature"]
        checkoutkit.verify_signature(delivery.body, header, secret)
        event = stripe.Webhook.construct_event(delivery.body, header, secret)
        assert event.type == kind
        events.append(json.loads(delivery.body))
    return events


def test_payment_by_price_data(
    api: Api, controls: Controls, receiver: WebhookReceiver, sandbox: Sandbox
) -> None:
    """An inline-priced session is created open, paid by card, and completes with a webhook."""
    session = api.create(payment_params(client_reference_id="order-1"))
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (4000, "eur")
    assert session.url is not None
    assert session.url.startswith(sandbox.url)

    outcome = controls.pay(session.id, card="4242424242424242")
    assert outcome["status"] == "succeeded"

    paid = api.retrieve(session.id)
    assert (paid.status, paid.payment_status, paid.is_paid) == ("complete", "paid", True)
    assert paid.client_reference_id == "order-1"
    (event,) = events_of(receiver, sandbox.webhook_secret, "checkout.session.completed")
    assert event["data"]["object"]["id"] == session.id

    (item,) = api.list_line_items(session)
    assert (item["quantity"], item["amount_total"], item["description"]) == (2, 4000, "T-shirt")


def test_create_takes_a_builder(api: Api, controls: Controls) -> None:
    """A SessionBuilder is built, validated and sent; the session matches what it described."""
    builder = (
        SessionBuilder.payment()
        .add_price_data(name="Poster", amount=Decimal("12.50"), currency="eur", quantity=2)
        .success_url("https://shop.example/thanks", with_session_id=True)
        .cancel_url(CANCEL_URL)
        .client_reference_id("order-9")
        .metadata({"order": "9"})
    )
    session = api.create(builder)
    assert (session.amount_total, session.currency) == (2500, "eur")
    assert (session.client_reference_id, session.metadata) == ("order-9", {"order": "9"})
    assert api.create(builder).id == session.id
    assert controls.pay(session.id, card="4242424242424242")["status"] == "succeeded"


def test_invalid_builder_raises_before_sending(api: Api) -> None:
    """A builder describing an invalid session raises InvalidSessionError listing the problem."""
    builder = (
        SessionBuilder.subscription()
        .success_url(SUCCESS_URL)
        .payment_intent_data(capture_method="manual")
    )
    with pytest.raises(checkoutkit.InvalidSessionError) as info:
        api.create(builder)
    assert any(p.param.startswith("payment_intent_data") for p in info.value.problems)


def test_payment_by_price_id(api: Api, controls: Controls, stripe_client: Any) -> None:
    """A session for a Price created beforehand takes its amount and currency from that Price."""
    price = stripe_client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 1250, "product_data": {"name": "Mug"}}
    )
    params = payment_params(line_items=[{"price": price.id, "quantity": 3}])
    session = api.create(params)
    assert (session.amount_total, session.currency) == (3750, "usd")
    assert controls.pay(session.id, card="4242424242424242")["status"] == "succeeded"
    assert api.retrieve(session.id).payment_status == "paid"
    (item,) = api.list_line_items(session.id)
    assert item["price"]["id"] == price.id


def test_unknown_price_id_is_not_found(api: Api) -> None:
    """A Price ID the account does not have is answered resource_missing with its param."""
    with pytest.raises(StripeNotFoundError) as info:
        api.create(payment_params(line_items=[{"price": "price_doesnotexist", "quantity": 1}]))
    assert info.value.param == "line_items[0][price]"
    assert info.value.code == "resource_missing"
    assert info.value.request_id is not None


def test_pay_what_you_want(api: Api, controls: Controls, stripe_client: Any) -> None:
    """With a custom_unit_amount price the customer's chosen amount becomes the total."""
    price = stripe_client.v1.prices.create(
        params={
            "currency": "eur",
            "custom_unit_amount": {"enabled": True, "minimum": 500, "maximum": 10000},
            "product_data": {"name": "Donation"},
        }
    )
    session = api.create(payment_params(line_items=[{"price": price.id, "quantity": 1}]))
    assert controls.pay(session.id, card="4242424242424242", amount=1500)["status"] == "succeeded"
    paid = api.retrieve(session.id)
    assert (paid.payment_status, paid.amount_total) == ("paid", 1500)


def test_subscription(api: Api, controls: Controls, stripe_client: Any) -> None:
    """A subscription session completes with an active Subscription and a Customer."""
    price = stripe_client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Monthly plan"},
        }
    )
    session = api.create(
        {
            "mode": "subscription",
            "success_url": SUCCESS_URL,
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    assert controls.pay(session.id, card="4242424242424242")["status"] == "succeeded"
    done = api.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.subscription is not None
    assert done.customer is not None
    subscription = stripe_client.v1.subscriptions.retrieve(done.subscription)
    assert subscription.status == "active"


def test_setup(api: Api, controls: Controls, stripe_client: Any) -> None:
    """A setup session completes without payment and leaves a succeeded SetupIntent."""
    session = api.create(
        {"mode": "setup", "currency": "eur", "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL}
    )
    assert controls.pay(session.id, card="4242424242424242")["status"] == "succeeded"
    done = api.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "no_payment_required")
    assert done.setup_intent is not None
    assert stripe_client.v1.setup_intents.retrieve(done.setup_intent).status == "succeeded"


def test_manual_capture_then_capture(api: Api, controls: Controls, stripe_client: Any) -> None:
    """A held payment stays requires_capture until the gateway captures it, once."""
    session = api.create(payment_params(payment_intent_data={"capture_method": "manual"}))
    assert controls.pay(session.id, card="4242424242424242")["status"] == "succeeded"
    held = api.retrieve(session.id)
    assert held.payment_intent is not None
    intent = stripe_client.v1.payment_intents.retrieve(held.payment_intent)
    assert intent.status == "requires_capture"

    captured = api.capture(held, amount_to_capture=3000)
    assert captured["id"] == held.payment_intent
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 3000)
    with pytest.raises(StripeInvalidRequestError) as info:
        api.capture(held.id)
    assert info.value.http_status == 400


def test_capture_without_a_payment_is_refused_locally(api: Api) -> None:
    """An unpaid session has no PaymentIntent: capture fails before any capture request."""
    session = api.create(payment_params(payment_intent_data={"capture_method": "manual"}))
    with pytest.raises(StripeInvalidRequestError) as info:
        api.capture(session)
    assert info.value.param == "payment_intent"


@pytest.mark.parametrize(("result", "completes"), [("complete", True), ("fail", False)])
def test_three_d_secure(
    api: Api, controls: Controls, result: str, completes: bool, receiver: WebhookReceiver
) -> None:
    """3155 waits for authentication; completing it pays the session, failing leaves it open."""
    session = api.create(payment_params())
    assert controls.pay(session.id, card="4000002500003155")["status"] == "requires_action"
    assert api.retrieve(session.id).status == "open"
    outcome = controls.authenticate(session.id, result)
    after = api.retrieve(session.id)
    if completes:
        assert outcome["status"] == "succeeded"
        assert (after.status, after.payment_status) == ("complete", "paid")
    else:
        assert outcome["status"] == "failed"
        assert outcome["error"]["code"] == "payment_intent_authentication_failure"
        assert (after.status, after.payment_status) == ("open", "unpaid")
        assert not any(
            json.loads(d.body)["type"] == "checkout.session.completed" for d in receiver.deliveries
        )


@pytest.mark.parametrize(
    ("card", "code", "decline_code"),
    [
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000000069", "expired_card", None),
        ("4000000000000127", "incorrect_cvc", None),
    ],
)
def test_declines_leave_the_session_open(
    api: Api, controls: Controls, card: str, code: str, decline_code: str | None
) -> None:
    """Each declining test card is refused with Stripe's code and the session stays payable."""
    session = api.create(payment_params())
    outcome = controls.pay(session.id, card=card)
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == code
    assert outcome["error"]["decline_code"] == decline_code
    assert api.retrieve(session.id).status == "open"
    assert controls.pay(session.id, card="4242424242424242")["status"] == "succeeded"
    assert api.retrieve(session.id).payment_status == "paid"


@pytest.mark.parametrize(
    "case",
    [
        ("DE89370400440532013000", "succeeded", "paid"),
        ("DE62370400440532013001", "failed", "unpaid"),
    ],
)
def test_sepa_debit_settles_later(
    api: Api,
    controls: Controls,
    receiver: WebhookReceiver,
    sandbox: Sandbox,
    case: tuple[str, str, str],
) -> None:
    """A SEPA debit completes the session unpaid; the async result arrives as a webhook later."""
    iban, outcome, payment_status = case
    session = api.create(payment_params())
    assert controls.pay(session.id, iban=iban)["status"] == "processing"
    completed = api.retrieve(session.id)
    assert (completed.status, completed.payment_status) == ("complete", "unpaid")

    controls.advance(61)
    kind = f"checkout.session.async_payment_{outcome}"
    (event,) = events_of(receiver, sandbox.webhook_secret, kind)
    assert event["data"]["object"]["id"] == session.id
    assert api.retrieve(session.id).payment_status == payment_status


def test_expiry_by_time(
    api: Api, controls: Controls, receiver: WebhookReceiver, sandbox: Sandbox
) -> None:
    """A session left open past expires_at (24 h by default) expires and can no longer be paid."""
    session = api.create(payment_params())
    assert session.expires_at is not None
    assert session.created is not None
    assert session.expires_at - session.created == 24 * 3600
    controls.advance(24 * 3600 + 1)
    (event,) = events_of(receiver, sandbox.webhook_secret, "checkout.session.expired")
    assert event["data"]["object"]["id"] == session.id
    assert api.retrieve(session.id).status == "expired"
    refused = controls.refused_payment(session.id, card="4242424242424242")
    assert "expired" in refused["message"]


def test_expiry_by_call(api: Api, controls: Controls) -> None:
    """expire() closes an open session; expiring it again is an invalid request."""
    session = api.create(payment_params())
    expired = api.expire(session)
    assert (expired.id, expired.status) == (session.id, "expired")
    assert api.retrieve(session.id).status == "expired"
    with pytest.raises(StripeInvalidRequestError):
        api.expire(session.id)
    refused = controls.refused_payment(session.id, card="4242424242424242")
    assert "expired" in refused["message"]


def test_retrieve_unknown_session_is_not_found(api: Api) -> None:
    """Retrieving an id the sandbox never issued raises StripeNotFoundError."""
    with pytest.raises(StripeNotFoundError) as info:
        api.retrieve("cs_test_doesnotexist")
    assert info.value.http_status == 404


def test_idempotent_retry_creates_one_session(api: Api, stripe_client: Any) -> None:
    """Creating the same params twice returns the first session; the sandbox holds only one."""
    first = api.create(payment_params(client_reference_id="cart-7"))
    again = api.create(payment_params(client_reference_id="cart-7"))
    assert again.id == first.id
    listed = stripe_client.v1.checkout.sessions.list(params={"limit": 100})
    assert [s.id for s in listed.data] == [first.id]


def test_idempotency_scope_separates_identical_purchases(api: Api) -> None:
    """A different idempotency_scope gives a new session for otherwise identical params."""
    first = api.create(payment_params(), idempotency_scope="order-1")
    second = api.create(payment_params(), idempotency_scope="order-2")
    repeat = api.create(payment_params(), idempotency_scope="order-1")
    assert first.id != second.id
    assert repeat.id == first.id


def test_explicit_key_reused_with_other_params_is_refused(api: Api) -> None:
    """A caller's idempotency key sent again with different params is an idempotency error."""
    api.create(payment_params(), idempotency_key="order-42-attempt-1")
    with pytest.raises(StripeIdempotencyError):
        api.create(payment_params(client_reference_id="x"), idempotency_key="order-42-attempt-1")


def test_live_key_is_refused(sandbox: Sandbox, api_mode: str) -> None:
    """A sk_live_ key is refused by the sandbox, and the error never shows the key."""
    key = "sk_live_51LiveKey0123456789abcdefghij"
    api = Api(CheckoutGateway.for_sandbox(sandbox, api_key=key, max_network_retries=0), api_mode)
    try:
        with pytest.raises(checkoutkit.exceptions.StripeAuthenticationError) as info:
            api.create(payment_params())
    finally:
        api.close()
    assert info.value.http_status == 401
    assert "live mode API key" in str(info.value)
    assert key not in "".join(traceback.format_exception(info.value))
    assert key not in repr(info.value)
    assert key not in repr(api.gateway)


def test_api_key_never_reaches_a_log_line(
    sandbox: Sandbox, controls: Controls, api_mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Through a whole flow with errors, no log record of any logger contains the API key."""
    key = "sk_test_51VerySecretKeyNeverLogged0123"
    caplog.set_level(logging.DEBUG)
    api = Api(CheckoutGateway.for_sandbox(sandbox, api_key=key, max_network_retries=0), api_mode)
    try:
        session = api.create(payment_params(payment_intent_data={"capture_method": "manual"}))
        controls.pay(session.id, card="4242424242424242")
        api.capture(session)
        api.list_line_items(session)
        with pytest.raises(StripeInvalidRequestError):
            api.expire(session)
        with pytest.raises(StripeNotFoundError):
            api.retrieve("cs_test_missing")
    finally:
        api.close()
    assert any(r.name == "checkoutkit.gateway" for r in caplog.records)
    assert all(key not in r.getMessage() for r in caplog.records)
    assert key not in caplog.text


@pytest.mark.parametrize(
    ("params", "param"),
    [
        (
            payment_params(line_items=[{"price": "price_1", "quantity": 0}]),
            "line_items[0][quantity]",
        ),
        (payment_params(mode="rental"), "mode"),
        (
            payment_params(
                line_items=[
                    {
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": -5,
                            "product_data": {"name": "X"},
                        },
                        "quantity": 1,
                    }
                ]
            ),
            "line_items[0][price_data][unit_amount]",
        ),
        (payment_params(subscription_data={"trial_period_days": 7}), "subscription_data"),
    ],
)
def test_invalid_params_never_leave_the_process(
    api_mode: str, params: dict[str, Any], param: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad params raise before any request; sent raw, the sandbox names the same param."""
    with Sandbox(log_requests=True) as sandbox:
        api = Api(CheckoutGateway.for_sandbox(sandbox), api_mode)
        try:
            with pytest.raises(checkoutkit.InvalidSessionError) as info:
                api.create(params)
            assert param in {p.param for p in info.value.problems}
            assert _request_log(capsys) == []

            raw_client = api.gateway.client
            with pytest.raises(stripe.InvalidRequestError) as raw:
                raw_client.v1.checkout.sessions.create(params=params)
            assert raw.value.param in {p.param for p in info.value.problems}
            assert raw.value.http_status == 400
            assert len(_request_log(capsys)) == 1
        finally:
            api.close()


def _request_log(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The sandbox's request log (``log_requests=True`` writes one line per request to stderr)."""
    return [line for line in capsys.readouterr().err.splitlines() if "/v1/" in line]


def test_failing_receiver_gets_the_event_a_third_time(
    controls: Controls, receiver: WebhookReceiver, sandbox: Sandbox, api: Api
) -> None:
    """An endpoint answering 500 twice receives the same signed event on the third attempt."""
    receiver.fail_first = 2
    session = api.create(payment_params())
    controls.pay(session.id, card="4242424242424242")
    (event,) = events_of(receiver, sandbox.webhook_secret, "checkout.session.completed")
    same = [d for d in receiver.deliveries if json.loads(d.body)["id"] == event["id"]]
    assert [d.status for d in same] == [500, 500, 200]
    for delivery in same:
        checkoutkit.verify_signature(
            delivery.body, delivery.headers["stripe-signature"], sandbox.webhook_secret
        )
    deadline = time.monotonic() + 10
    log = controls.deliveries(event=event["id"])
    while len(log) < 3 and time.monotonic() < deadline:  # the log entry follows the response
        time.sleep(0.01)
        log = controls.deliveries(event=event["id"])
    assert [entry["status"] for entry in log] == [500, 500, 200]


def test_from_env_reaches_the_sandbox_through_stripe_api_base(
    sandbox: Sandbox, controls: Controls
) -> None:
    """STRIPE_SECRET_KEY plus STRIPE_API_BASE point a gateway at the sandbox instead of Stripe."""
    env = {"STRIPE_SECRET_KEY": "sk_test_from_env", "STRIPE_API_BASE": sandbox.url + "/"}
    with CheckoutGateway.from_env(env) as gateway:
        session = gateway.create(payment_params(client_reference_id="env"))
        assert controls.pay(session.id, card="4242424242424242")["status"] == "succeeded"
        assert gateway.retrieve(session).payment_status == "paid"
