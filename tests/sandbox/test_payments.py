"""Paying sessions through the /_sandbox control endpoint, with Stripe's test cards and IBANs."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import stripe

from checkoutkit.sandbox import Sandbox


def _pay(box: Sandbox, session_id: str, **form: Any) -> dict[str, Any]:
    response = httpx.post(f"{box.url}/_sandbox/sessions/{session_id}/pay", data=form)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "card",
    ["4242424242424242", "4242 4242 4242 4242", "6200000000000005", "6205500000000000004"],
)
def test_succeeding_cards_complete_the_session(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any], card: str
) -> None:
    """4242…, UnionPay and the 19-digit UnionPay card complete and pay the session."""
    session = client.v1.checkout.sessions.create(params=session_params)
    result = _pay(box, session.id, card=card, email="buyer@example.com")
    assert result["status"] == "succeeded"
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.email == "buyer@example.com"
    intent = client.v1.payment_intents.retrieve(paid.payment_intent)
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 3000, 3000)


@pytest.mark.parametrize(
    "case",
    [
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000000069", "expired_card", None),
        ("4000000000000127", "incorrect_cvc", None),
    ],
)
def test_declines_leave_the_session_open(
    box: Sandbox,
    client: stripe.StripeClient,
    session_params: dict[str, Any],
    case: tuple[str, str, str | None],
) -> None:
    """Each decline test card reports its code and leaves the session open and payable."""
    card, code, decline_code = case
    session = client.v1.checkout.sessions.create(params=session_params)
    result = _pay(box, session.id, card=card)
    assert result["status"] == "failed"
    assert (result["error"]["code"], result["error"]["decline_code"]) == (code, decline_code)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert _pay(box, session.id, card="4242424242424242")["status"] == "succeeded"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"card": "4242424242424241"}, "incorrect_number"),
        ({"card": "424242424242"}, "incorrect_number"),
        ({"card": "42424242424242424242"}, "incorrect_number"),
        ({"card": "4242424242424242", "exp_month": 1, "exp_year": 2020}, "invalid_expiry_year"),
        ({"card": "4242424242424242", "exp_month": 13}, "invalid_expiry_month"),
        ({"card": "4242424242424242", "cvc": "12"}, "invalid_cvc"),
    ],
)
def test_bad_card_details_are_errors(
    box: Sandbox,
    client: stripe.StripeClient,
    session_params: dict[str, Any],
    form: dict[str, Any],
    code: str,
) -> None:
    """Bad numbers (Luhn, length) and past expiry dates are refused before any charge."""
    session = client.v1.checkout.sessions.create(params=session_params)
    result = _pay(box, session.id, **form)
    assert (result["status"], result["error"]["code"]) == ("failed", code)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_three_d_secure_complete_and_fail(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """4000 0025 0000 3155 waits for authentication; Fail keeps it open, Complete pays."""
    session = client.v1.checkout.sessions.create(params=session_params)
    assert _pay(box, session.id, card="4000002500003155")["status"] == "requires_action"
    failed = httpx.post(
        f"{box.url}/_sandbox/sessions/{session.id}/authenticate", data={"result": "fail"}
    ).json()
    assert failed["error"]["code"] == "payment_intent_authentication_failure"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    again = _pay(box, session.id, card="4000002500003155", three_d_secure="complete")
    assert again["status"] == "succeeded"
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_paying_a_completed_or_expired_session_is_refused(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """A complete or expired session cannot be paid (400 naming the session, no code)."""
    done = client.v1.checkout.sessions.create(params=session_params)
    _pay(box, done.id, card="4242424242424242")
    gone = client.v1.checkout.sessions.create(params=session_params)
    client.v1.checkout.sessions.expire(gone.id)
    for session_id, word in ((done.id, "complete"), (gone.id, "expired")):
        response = httpx.post(
            f"{box.url}/_sandbox/sessions/{session_id}/pay", data={"card": "4242424242424242"}
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert "code" not in error
        assert (error["param"], word in error["message"]) == ("session", True)


def test_sepa_success_settles_later(box: Sandbox, client: stripe.StripeClient) -> None:
    """DE89… completes the session unpaid, then it becomes paid after the delay."""
    session = client.v1.checkout.sessions.create(params=_eur_params(client))
    result = _pay(box, session.id, iban="DE89 3704 0044 0532 0130 00")
    assert result["status"] == "processing"
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(done.payment_intent).status == "processing"
    _wait(lambda: client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid")
    assert client.v1.payment_intents.retrieve(done.payment_intent).status == "succeeded"
    types = [e.type for e in client.v1.events.list().data]
    assert "checkout.session.async_payment_succeeded" in types


def test_sepa_failure_stays_unpaid(box: Sandbox, client: stripe.StripeClient) -> None:
    """DE62… completes the session unpaid and async_payment_failed follows."""
    session = client.v1.checkout.sessions.create(params=_eur_params(client))
    assert _pay(box, session.id, iban="DE62370400440532013001")["status"] == "processing"
    _wait(
        lambda: any(
            e.type == "checkout.session.async_payment_failed" for e in client.v1.events.list().data
        )
    )
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    intent = client.v1.payment_intents.retrieve(done.payment_intent)
    assert intent.status == "requires_payment_method"


def test_sepa_settles_when_the_clock_advances() -> None:
    """With a long delay, advancing the sandbox clock settles the debit at once."""
    with Sandbox(async_delay=3600) as box:
        client = box.client()
        session = client.v1.checkout.sessions.create(params=_eur_params(client))
        box.pay(session.id, iban="DE89370400440532013000")
        assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "unpaid"
        box.advance_clock(3601)
        assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_invalid_iban_and_non_eur_sepa(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """A bad IBAN checksum is refused; SEPA is refused for a USD session."""
    eur = client.v1.checkout.sessions.create(params=_eur_params(client))
    bad = _pay(box, eur.id, iban="DE89370400440532013001")
    assert bad["error"]["code"] == "payment_method_invalid_parameter"
    usd = client.v1.checkout.sessions.create(params=session_params)
    wrong = _pay(box, usd.id, iban="DE89370400440532013000")
    assert wrong["error"]["code"] == "payment_method_currency_mismatch"


def test_manual_capture_then_capture(
    box: Sandbox, client: stripe.StripeClient, price: stripe.Price
) -> None:
    """capture_method=manual leaves the intent requires_capture until captured."""
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
            "payment_intent_data": {"capture_method": "manual"},
        }
    )
    box.pay(session.id, card="4242424242424242")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    intent = client.v1.payment_intents.retrieve(paid.payment_intent)
    assert (intent.status, intent.amount_capturable, intent.amount_received) == (
        "requires_capture",
        1500,
        0,
    )
    captured = client.v1.payment_intents.capture(intent.id)
    assert (captured.status, captured.amount_received) == ("succeeded", 1500)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.capture(intent.id)
    assert info.value.code == "payment_intent_unexpected_state"


def test_cancel_an_uncaptured_intent(
    box: Sandbox, client: stripe.StripeClient, price: stripe.Price
) -> None:
    """An uncaptured intent can be canceled; a canceled one cannot be captured."""
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
            "payment_intent_data": {"capture_method": "manual"},
        }
    )
    box.pay(session.id, card="4242424242424242")
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    canceled = client.v1.payment_intents.cancel(intent_id)
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.capture(intent_id)


def test_setup_mode_creates_a_succeeded_setup_intent(
    box: Sandbox, client: stripe.StripeClient
) -> None:
    """A setup session completes with a succeeded SetupIntent and no payment."""
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "success_url": "https://shop.example/ok",
            "customer_creation": "always",
        }
    )
    box.pay(session.id, card="4242424242424242", email="s@example.com")
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent"]})
    assert (done.status, done.payment_status) == ("complete", "no_payment_required")
    assert done.setup_intent.status == "succeeded"
    assert done.customer.startswith("cus_")


def test_subscription_mode_creates_an_active_subscription(
    box: Sandbox, client: stripe.StripeClient
) -> None:
    """A subscription session creates a customer and an active Subscription."""
    plan = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Monthly"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": plan.id, "quantity": 1}],
            "subscription_data": {"metadata": {"plan": "monthly"}},
        }
    )
    box.pay(session.id, card="4242424242424242", email="sub@example.com")
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    subscription = client.v1.subscriptions.retrieve(done.subscription)
    assert subscription.status == "active"
    assert subscription.customer == done.customer
    assert subscription.metadata.to_dict() == {"plan": "monthly"}
    assert client.v1.customers.retrieve(done.customer).email == "sub@example.com"


def test_customer_creation_always_creates_a_customer(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """customer_creation=always creates a Customer with the entered email; if_required does not."""
    always = client.v1.checkout.sessions.create(
        params={**session_params, "customer_creation": "always"}
    )
    box.pay(always.id, card="4242424242424242", email="a@example.com")
    customer_id = client.v1.checkout.sessions.retrieve(always.id).customer
    assert client.v1.customers.retrieve(customer_id).email == "a@example.com"
    plain = client.v1.checkout.sessions.create(params=session_params)
    box.pay(plain.id, card="4242424242424242", email="b@example.com")
    assert client.v1.checkout.sessions.retrieve(plain.id).customer is None


def test_pay_what_you_want(box: Sandbox, client: stripe.StripeClient) -> None:
    """A custom_unit_amount price takes the amount chosen at payment, within its bounds."""
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "custom_unit_amount": {"enabled": True, "minimum": 500, "maximum": 5000},
            "product_data": {"name": "Tip"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    low = _pay(box, session.id, card="4242424242424242", amount=100)
    assert low["error"]["code"] == "amount_too_small"
    ok = _pay(box, session.id, card="4242424242424242", amount=1234)
    assert ok["session"]["amount_total"] == 1234
    intent = client.v1.payment_intents.retrieve(ok["session"]["payment_intent"])
    assert intent.amount == 1234


def test_save_for_next_time_attaches_the_method(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """With payment_method_save enabled and a customer, saving attaches the payment method."""
    session = client.v1.checkout.sessions.create(
        params={
            **session_params,
            "customer_creation": "always",
            "saved_payment_method_options": {"payment_method_save": "enabled"},
        }
    )
    result = box.pay(session.id, card="4242424242424242", email="s@example.com", save=True)
    intent = client.v1.payment_intents.retrieve(result["session"]["payment_intent"])
    assert intent.setup_future_usage == "off_session"
    method = client.v1.payment_methods.retrieve(intent.payment_method)
    assert method.customer == result["session"]["customer"]
    assert method.card.last4 == "4242"


def _eur_params(client: stripe.StripeClient) -> dict[str, Any]:
    price = client.v1.prices.create(
        params={"currency": "eur", "unit_amount": 2500, "product_data": {"name": "Book"}}
    )
    return {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "line_items": [{"price": price.id, "quantity": 1}],
    }


def _wait(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
