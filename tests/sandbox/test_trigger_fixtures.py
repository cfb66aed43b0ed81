"""The events ``checkoutkit trigger`` sends have every field the pinned stripe SDK declares."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from sdk_fields import OMITTED, RESOURCES, problems

from checkoutkit import MemoryStore, WebhookRouter
from checkoutkit._event_types import known_event_types, pinned_api_version
from checkoutkit._trigger import SUPPORTED, event_payload
from checkoutkit.exceptions import UnknownEventTypeError
from checkoutkit.testing import TEST_SECRET, signed_request

#: The SDK class of each object a trigger event carries (invoices are not among the sandbox's
#: own objects, so the shared table may lack them).
KINDS: dict[str, type[Any]] = {**RESOURCES, "invoice": stripe.Invoice}


@pytest.mark.parametrize("event_type", SUPPORTED)
def test_each_event_is_shaped_as_the_sdk_declares(
    event_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every declared field is present (null only where the SDK allows it), the type is one
    Stripe sends, the API version the pinned one; the router verifies and parses it."""
    monkeypatch.setitem(RESOURCES, "invoice", stripe.Invoice)
    # Stripe sends ``payments`` only when expanded, ``deleted`` only on a deleted invoice.
    monkeypatch.setitem(OMITTED, "invoice", frozenset({"deleted", "payments"}))
    event = json.loads(event_payload(event_type))
    obj = event["data"]["object"]
    assert event["type"] == event_type
    assert event_type in known_event_types()
    assert event["api_version"] == pinned_api_version()
    assert obj["object"] in KINDS
    assert problems(obj["object"], obj) == []
    seen: list[str] = []
    router = WebhookRouter(secrets=TEST_SECRET, store=MemoryStore())
    router.on(event_type)(lambda e: seen.append(e.id))
    router.handle(*signed_request(json.dumps(event)))
    assert seen == [event["id"]]


def test_each_call_has_fresh_ids_that_agree_across_objects() -> None:
    """Two events of a type share no id; an invoice names its subscription and customer."""
    first = json.loads(event_payload("invoice.paid"))
    second = json.loads(event_payload("invoice.paid"))
    assert first["id"] != second["id"]
    one, two = first["data"]["object"], second["data"]["object"]
    assert one["id"] != two["id"]
    assert one["customer"] != two["customer"]
    sub = one["parent"]["subscription_details"]["subscription"]
    assert [line["subscription"] for line in one["lines"]["data"]] == [sub]
    assert one["lines"]["data"][0]["invoice"] == one["id"]
    assert "TRIGGER" not in json.dumps(first)


def test_update_carries_previous_attributes_and_checkout_carries_the_origin() -> None:
    """``customer.subscription.updated`` says what changed; a paid session is one of ours."""
    updated = json.loads(event_payload("customer.subscription.updated"))
    assert updated["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert updated["data"]["object"]["cancel_at_period_end"] is True
    completed = json.loads(event_payload("checkout.session.completed"))["data"]["object"]
    assert completed["metadata"]["checkoutkit_origin"] == "checkoutkit"
    assert completed["payment_status"] == "paid"


def test_unknown_type_names_close_matches() -> None:
    with pytest.raises(UnknownEventTypeError, match=r"Did you mean invoice\.paid"):
        event_payload("invoice.payed")
