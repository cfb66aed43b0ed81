"""Typed event views: fields, tolerance of unknown and missing fields, and shape errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit import CheckoutSession, Event, WebhookPayloadError
from checkoutkit import testing as ck_testing

from . import strategies

SAMPLE = Path(__file__).resolve().parent / "data" / "checkout.session.completed.json"


def _sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_bytes())
    return data


def test_event_envelope_fields_are_typed() -> None:
    """A real ``checkout.session.completed`` event exposes its envelope fields."""
    event = Event.from_dict(_sample())
    assert event.id == "evt_1PExampleEventId000000"
    assert event.type == "checkout.session.completed"
    assert event.created == 1718000100
    assert event.livemode is False
    assert event.api_version == "2025-05-28.basil"
    assert event.account is None
    assert event.request is not None
    assert event.request.id is None
    assert event.data_object["object"] == "checkout.session"
    assert event.raw["pending_webhooks"] == 1


def test_checkout_session_view_has_the_fields_applications_use() -> None:
    """The typed session carries amounts, status, customer email, metadata and ids."""
    event = Event.from_dict(_sample())
    session = event.session
    assert isinstance(session, CheckoutSession)
    assert session is event.session  # built once
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.mode) == ("complete", "paid", "payment")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (4500, 4950, "usd")
    assert session.customer == "cus_QExampleCustomer1"
    assert session.email == "jenny.rosen@example.com"
    assert session.client_reference_id == "order_8842"
    assert session.metadata == {
        "order_id": "8842",
        "cart_id": "cart_77aa91",
        "source": "web",
        "checkoutkit_origin": "checkoutkit",
    }
    assert session.payment_intent == "pi_3PExamplePaymentIntent0"
    assert session.is_paid
    assert session.raw["ui_mode"] == "hosted"


def test_expanded_objects_become_ids_and_missing_fields_are_none() -> None:
    """Expanded customer/payment_intent objects are reduced to ids; absent fields are None."""
    session = CheckoutSession.from_dict(
        {
            "id": "cs_test_1",
            "customer": {"id": "cus_1", "object": "customer"},
            "payment_intent": {"id": "pi_1"},
            "a_field_from_the_future": {"x": 1},
        }
    )
    assert (session.customer, session.payment_intent) == ("cus_1", "pi_1")
    assert session.subscription is None
    assert session.customer_details is None
    assert session.email is None
    assert not session.is_paid
    assert session.metadata == {}


def test_nulls_become_defaults() -> None:
    """``null`` in optional places gives None, an empty metadata dict and ``livemode=False``."""
    session = CheckoutSession.from_dict(
        {"id": "cs_1", "object": None, "metadata": None, "livemode": None, "customer": None}
    )
    assert (session.object, session.metadata, session.livemode) == ("checkout.session", {}, False)
    assert session.customer is None
    assert CheckoutSession.from_dict({"id": "cs_1", "metadata": {"n": 1}}).metadata == {"n": "1"}


def test_email_falls_back_to_customer_email() -> None:
    """Without ``customer_details.email`` the session's ``customer_email`` is used."""
    session = CheckoutSession.from_dict(
        {"id": "cs_1", "customer_details": {"email": None}, "customer_email": "a@example.com"}
    )
    assert session.email == "a@example.com"


def test_non_checkout_events_have_no_session() -> None:
    """``session`` is None for events that are not ``checkout.session.*``."""
    event = Event.from_dict({"id": "evt_1", "type": "invoice.paid", "data": {"object": {}}})
    assert event.session is None
    assert event.created is None
    assert event.api_version is None
    assert event.request is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"id": "evt_1", "type": "x"},
        {"id": "evt_1", "type": "x", "data": {}},
        {"id": "evt_1", "type": "x", "data": []},
        {"id": 1, "type": "x", "data": {"object": {}}},
        {"id": "evt_1", "type": None, "data": {"object": {}}},
        {"id": "", "type": "x", "data": {"object": {}}},
        {"id": "evt_1", "type": "x", "data": {"object": "cs_1"}},
        [],
        "evt_1",
    ],
)
def test_wrong_event_shapes_raise_payload_error(data: Any) -> None:
    """Anything not shaped like an event raises WebhookPayloadError (the router answers 400)."""
    with pytest.raises(WebhookPayloadError):
        Event.from_dict(data)


@settings(max_examples=examples(100))
@given(value=strategies.json_values)
def test_from_dict_raises_only_payload_error(value: Any) -> None:
    """Arbitrary parsed JSON either builds an Event or raises WebhookPayloadError, nothing else."""
    try:
        Event.from_dict(value)
    except WebhookPayloadError:
        return


@pytest.mark.parametrize(
    "data",
    [{}, {"id": "cs_1", "amount_total": "abc"}, {"id": "cs_1", "metadata": [1]}, []],
)
def test_wrong_session_shapes_raise_payload_error(data: Any) -> None:
    """A session view of malformed data raises WebhookPayloadError, not a cattrs internal."""
    with pytest.raises(WebhookPayloadError):
        CheckoutSession.from_dict(data)


@pytest.mark.parametrize(
    ("factory", "event_type", "status", "payment_status", "paid"),
    [
        (ck_testing.completed, "checkout.session.completed", "complete", "paid", True),
        (
            ck_testing.async_payment_succeeded,
            "checkout.session.async_payment_succeeded",
            "complete",
            "paid",
            True,
        ),
        (
            ck_testing.async_payment_failed,
            "checkout.session.async_payment_failed",
            "complete",
            "unpaid",
            False,
        ),
        (ck_testing.expired, "checkout.session.expired", "expired", "unpaid", False),
    ],
)
def test_factories_build_the_four_checkout_events(
    factory: Any, event_type: str, status: str, payment_status: str, paid: bool
) -> None:
    """Each factory yields JSON bytes of its event type with a consistent session state."""
    event = Event.from_dict(json.loads(factory()))
    assert event.type == event_type
    assert event.id.startswith("evt_")
    session = event.session
    assert session is not None
    assert (session.status, session.payment_status, session.is_paid) == (
        status,
        payment_status,
        paid,
    )
    assert set(_sample()["data"]["object"]) >= set(event.data_object) - {"consent"}


def test_factory_fields_override_the_defaults() -> None:
    """Keyword arguments replace session fields (a delayed payment method completes unpaid)."""
    event = Event.from_dict(
        json.loads(ck_testing.completed(payment_status="unpaid", mode="subscription"))
    )
    assert event.session is not None
    assert (event.session.payment_status, event.session.mode) == ("unpaid", "subscription")


def test_from_dict_builds_the_same_frozen_value_as_the_constructor() -> None:
    """``from_dict`` equals ``Event(...)`` field for field, and the result is immutable."""
    data = _sample()
    event = Event.from_dict(data)
    built = Event(data["id"], data["type"], data["data"]["object"], data)
    assert event == built
    assert (event.data_object, event.raw) == (built.data_object, built.raw)
    with pytest.raises(AttributeError):
        event.id = "evt_other"  # type: ignore[misc]


_SESSION_KEYS = [*sorted(a.name for a in attrs.fields(CheckoutSession)), "unknown"]


@settings(max_examples=examples(200))
@given(value=st.dictionaries(st.sampled_from(_SESSION_KEYS), strategies.json_values))
def test_session_from_random_fields_raises_only_payload_error(value: dict[str, Any]) -> None:
    """Random values in the session's own fields build a view or raise WebhookPayloadError."""
    data = {"id": "cs_1", **value}
    try:
        CheckoutSession.from_dict(data)
    except WebhookPayloadError:
        return
