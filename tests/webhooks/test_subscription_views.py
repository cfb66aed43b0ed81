"""``Event.subscription`` and ``Event.invoice``: typed views of Stripe's objects, or an error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkoutkit import Event, Invoice, Subscription, WebhookPayloadError
from checkoutkit.sandbox import Sandbox


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def _envelope(type_: str, obj: Any) -> dict[str, Any]:
    return {"id": "evt_1", "type": type_, "data": {"object": obj}}


def test_a_sandbox_subscription_event_reads_as_a_subscription(box: Sandbox) -> None:
    """The event the sandbox sends after a subscription purchase, as the SDK lists it."""
    client = box.client()
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "https://shop.example/ok",
            "subscription_data": {"trial_period_days": 7},
        }
    )
    box.pay(session.id, card="4242424242424242", email="ada@example.com")
    events = client.v1.events.list(params={"type": "customer.subscription.created"})
    raw = next(e for e in events.data if e.data.object["customer"] is not None).to_dict()
    event = Event.from_dict(raw)
    sub = event.subscription
    assert sub is not None
    assert event.invoice is None
    assert event.session is None
    assert sub.id.startswith("sub_")
    assert sub.price_ids == (price.id,)
    assert sub.status == "trialing"
    assert sub.grants_access
    assert sub.cancel_at_period_end is False
    assert sub.trial_end == raw["data"]["object"]["trial_end"]
    assert sub.current_period_end == raw["data"]["object"]["items"]["data"][0]["current_period_end"]
    assert sub.default_payment_method is not None
    assert sub.raw is raw["data"]["object"]


def test_an_invoice_reads_with_its_subscription_from_either_place() -> None:
    """``subscription`` at the top (older API versions) or under ``parent`` (newer ones)."""
    base = {
        "id": "in_1",
        "object": "invoice",
        "customer": {"id": "cus_1", "object": "customer"},
        "status": "open",
        "amount_due": 900,
        "amount_paid": 0,
        "currency": "usd",
        "billing_reason": "subscription_cycle",
        "attempt_count": 1,
        "next_payment_attempt": 1_700_000_000,
        "hosted_invoice_url": "https://invoice.stripe.com/i/x",
    }
    newer = {**base, "parent": {"subscription_details": {"subscription": "sub_9"}}}
    invoice = Event.from_dict(_envelope("invoice.payment_failed", newer)).invoice
    assert invoice == Invoice(
        id="in_1",
        customer="cus_1",
        subscription="sub_9",
        status="open",
        amount_due=900,
        amount_paid=0,
        currency="usd",
        billing_reason="subscription_cycle",
        attempt_count=1,
        next_payment_attempt=1_700_000_000,
        hosted_invoice_url="https://invoice.stripe.com/i/x",
    )
    assert not invoice.is_paid
    older = Invoice.from_dict({**base, "subscription": "sub_8", "status": "paid"})
    assert older.subscription == "sub_8"
    assert older.is_paid


@pytest.mark.parametrize(
    ("kind", "obj", "path"),
    [
        (Subscription, {"id": "sub_1", "cancel_at_period_end": "no"}, "$.cancel_at_period_end"),
        (Subscription, {"id": "sub_1", "current_period_end": "soon"}, "$.current_period_end"),
        (Subscription, {"id": "sub_1", "items": {"data": "x"}}, "$.items.data"),
        (Subscription, {"id": "sub_1", "items": {"data": [{"price": 3}]}}, "$.items.data[0].price"),
        (Subscription, {"status": "active"}, "$.id"),
        (Invoice, {"id": "in_1", "amount_paid": [1]}, "$.amount_paid"),
        (Invoice, {"id": {"nested": True}}, "$.id"),
        (Invoice, "in_1", "expected an object"),
    ],
)
def test_malformed_fields_are_a_payload_error_naming_the_path(
    kind: Any, obj: Any, path: str
) -> None:
    """A field of the wrong type is a WebhookPayloadError whose message names its path."""
    with pytest.raises(WebhookPayloadError, match=path.replace("$", r"\$").replace("[", r"\[")):
        kind.from_dict(obj)


def test_the_event_property_raises_for_a_malformed_object() -> None:
    event = Event.from_dict(_envelope("customer.subscription.updated", {"id": 5, "status": []}))
    with pytest.raises(WebhookPayloadError, match="not a Subscription"):
        _ = event.subscription


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
_fields = st.sampled_from(
    ["id", "status", "items", "customer", "cancel_at_period_end", "current_period_end", "parent"]
)


@settings(deadline=None)  # the first example builds the converter
@given(st.dictionaries(_fields, _json, max_size=5), st.booleans())
def test_any_json_is_a_view_or_a_payload_error(obj: dict[str, Any], invoice: bool) -> None:
    """Whatever the JSON, the answer is a view or WebhookPayloadError, never another error."""
    kind: Any = Invoice if invoice else Subscription
    try:
        view = kind.from_dict(obj)
    except WebhookPayloadError:
        return
    assert view.id == obj["id"] if isinstance(obj.get("id"), str) else True
