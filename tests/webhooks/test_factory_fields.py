"""Every keyword argument of the event factories sets what the typed views read.

A test written as ``testing.completed(customer_email="ada@example.com")`` must see
``session.email == "ada@example.com"`` in its handler, whatever else the factory fills in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkoutkit import CheckoutSession, Event
from checkoutkit import testing as ck_testing

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
optional_int = st.one_of(st.none(), st.integers(min_value=0, max_value=10**12))

#: A value for each field of the typed session view, as Stripe would serialise it.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": text.map(lambda s: "cs_test_" + s),
    "status": st.sampled_from(["open", "complete", "expired"]),
    "payment_status": st.sampled_from(["paid", "unpaid", "no_payment_required"]),
    "mode": st.sampled_from(["payment", "subscription", "setup"]),
    "amount_subtotal": optional_int,
    "amount_total": optional_int,
    "currency": st.sampled_from(["usd", "eur", "jpy", None]),
    "customer": st.one_of(st.none(), text.map(lambda s: "cus_" + s)),
    "customer_email": text,
    "client_reference_id": st.one_of(st.none(), text),
    "metadata": st.dictionaries(text, text, max_size=4),
    "payment_intent": st.one_of(st.none(), text.map(lambda s: "pi_" + s)),
    "subscription": st.one_of(st.none(), text.map(lambda s: "sub_" + s)),
    "setup_intent": st.one_of(st.none(), text.map(lambda s: "seti_" + s)),
    "url": st.one_of(st.none(), text),
    "success_url": st.one_of(st.none(), text),
    "cancel_url": st.one_of(st.none(), text),
    "client_secret": st.one_of(st.none(), text),
    "expires_at": optional_int,
    "created": optional_int,
    "livemode": st.booleans(),
}
VIEW_FIELDS = {f.name for f in attrs.fields(CheckoutSession)} - {
    "object",
    "raw",
    "customer_details",
}


def _from_session(**fields: Any) -> CheckoutSession:
    return CheckoutSession.from_dict(ck_testing.checkout_session(**fields))


def _from_event(factory: Callable[..., bytes]) -> Callable[..., CheckoutSession]:
    def build(**fields: Any) -> CheckoutSession:
        session = Event.from_dict(json.loads(factory(**fields))).session
        assert session is not None
        return session

    return build


FACTORIES = {
    "checkout_session": _from_session,
    "completed": _from_event(ck_testing.completed),
    "async_payment_succeeded": _from_event(ck_testing.async_payment_succeeded),
    "async_payment_failed": _from_event(ck_testing.async_payment_failed),
    "expired": _from_event(ck_testing.expired),
}
factories = pytest.mark.parametrize("build", FACTORIES.values(), ids=list(FACTORIES))


def test_every_view_field_has_a_value_strategy() -> None:
    """A field added to the view is audited here too."""
    assert set(FIELD_VALUES) == VIEW_FIELDS


@factories
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_each_keyword_sets_the_field_the_view_reads(
    build: Callable[..., CheckoutSession], data: st.DataObject
) -> None:
    """Each field passed alone, and all of them at once, reach the view unchanged."""
    name = data.draw(st.sampled_from(sorted(FIELD_VALUES)))
    value = data.draw(FIELD_VALUES[name])
    assert getattr(build(**{name: value}), name) == value
    every = {field: data.draw(strategy) for field, strategy in FIELD_VALUES.items()}
    view = build(**every)
    assert {field: getattr(view, field) for field in every} == every


@factories
@settings(deadline=None)
@given(email=text)
def test_customer_email_is_the_email_a_handler_sees(
    build: Callable[..., CheckoutSession], email: str
) -> None:
    """``customer_email=`` sets ``session.email`` and the prefilled ``customer_details.email``."""
    view = build(customer_email=email)
    assert view.email == email
    assert view.customer_details is None or view.customer_details.email == email


@factories
def test_customer_details_set_name_phone_and_email(build: Callable[..., CheckoutSession]) -> None:
    """``customer_details=`` is read as given, and its email wins over ``customer_email``."""
    details = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+44 20 7946 0000"}
    view = build(customer_details=details, customer_email="billing@example.com")
    assert view.customer_details is not None
    assert attrs.asdict(view.customer_details) == details
    assert view.email == "ada@example.com"
    assert view.customer_email == "billing@example.com"


@factories
def test_mode_brings_the_ids_of_its_mode(build: Callable[..., CheckoutSession]) -> None:
    """A subscription session has a subscription and no payment intent; setup a setup intent."""
    subscription = build(mode="subscription")
    assert subscription.subscription is not None
    assert subscription.subscription.startswith("sub_")
    assert subscription.payment_intent is None
    setup = build(mode="setup")
    assert setup.setup_intent is not None
    assert setup.setup_intent.startswith("seti_")
    assert (setup.payment_intent, setup.amount_total) == (None, None)
    assert setup.payment_status == "no_payment_required"


@settings(deadline=None)
@given(
    event_id=text.map(lambda s: "evt_" + s),
    created=st.integers(min_value=0, max_value=2**40),
    api_version=text,
    account=text.map(lambda s: "acct_" + s),
    livemode=st.booleans(),
)
def test_checkout_event_keywords_set_the_event_envelope(
    event_id: str, created: int, api_version: str, account: str, livemode: bool
) -> None:
    """``checkout_event``'s keywords are the event's id, created, api_version and account."""
    body = ck_testing.checkout_event(
        "checkout.session.completed",
        ck_testing.checkout_session(livemode=livemode),
        event_id=event_id,
        created=created,
        api_version=api_version,
        account=account,
    )
    event = Event.from_dict(json.loads(body))
    seen = (event.id, event.created, event.api_version, event.account, event.livemode)
    assert seen == (event_id, created, api_version, account, livemode)
