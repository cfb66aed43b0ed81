"""Subscriptions over time, through the stripe SDK: first invoice, renewals on a test clock,
failed charges with 4000 0000 0000 0341, trials and cancellation, with every event delivered
signed to a real HTTP receiver and verified with the SDK."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st
from sdk_fields import problems

from checkoutkit.sandbox import Sandbox
from checkoutkit.sandbox._billing import add_interval
from conftest import Receiver

JAN_31 = int(dt.datetime(2030, 1, 31, 12, tzinfo=dt.timezone.utc).timestamp())
FEB_28 = int(dt.datetime(2030, 2, 28, 12, tzinfo=dt.timezone.utc).timestamp())
MAR_31 = int(dt.datetime(2030, 3, 31, 12, tzinfo=dt.timezone.utc).timestamp())
DAY = 86400
BILLING = (
    "checkout.session.completed",
    "customer.subscription.",
    "invoice.",
    "payment_method.attached",
)


@pytest.fixture
def monthly(client: stripe.StripeClient) -> stripe.Price:
    """A monthly USD price of 10.00."""
    return client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )


def subscribe(
    box: Sandbox,
    client: stripe.StripeClient,
    price: stripe.Price,
    *,
    card: str = "4242424242424242",
    trial_days: int | None = None,
    frozen_time: int = JAN_31,
) -> tuple[stripe.test_helpers.TestClock, stripe.Subscription]:
    """A clocked customer who buys ``price`` through Checkout with ``card``."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": frozen_time})
    customer = client.v1.customers.create(
        params={"email": "ada@example.com", "test_clock": clock.id}
    )
    assert customer.test_clock == clock.id
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer.id,
        "line_items": [{"price": price.id, "quantity": 1}],
        "success_url": "https://shop.example/ok",
    }
    if trial_days:
        params["subscription_data"] = {"trial_period_days": trial_days}
    session = client.v1.checkout.sessions.create(params=params)
    assert box.pay(session.id, card=card)["status"] == "succeeded"
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.customer == customer.id
    assert done.subscription
    return clock, client.v1.subscriptions.retrieve(done.subscription)


def raw(box: Sandbox, path: str) -> dict[str, Any]:
    """An object as the sandbox answers it, as plain JSON."""
    answer = httpx.get(box.url + path, headers={"Authorization": "Bearer sk_test_123"})
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def advance(client: stripe.StripeClient, clock_id: str, to: int) -> None:
    clock = client.v1.test_helpers.test_clocks.advance(clock_id, params={"frozen_time": to})
    assert clock.status == "ready"
    assert clock.frozen_time == to


def events(client: stripe.StripeClient) -> list[stripe.Event]:
    """Billing events so far, oldest first."""
    found = client.v1.events.list(params={"limit": 100}).data
    return [e for e in reversed(found) if e.type.startswith(BILLING)]


def verified(box: Sandbox, receiver: Receiver) -> list[stripe.Event]:
    """Every delivery so far, each checked with the SDK's signature verification."""
    assert box.wait_for_deliveries()
    with receiver.lock:
        got = list(receiver.received)
    return [
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], box.webhook_secret)
        for body, headers in got
    ]


def invoices(client: stripe.StripeClient, sub_id: str) -> list[stripe.Invoice]:
    """The subscription's invoices, oldest first."""
    return list(reversed(client.v1.invoices.list(params={"subscription": sub_id}).data))


def test_checkout_with_a_clocked_customer_starts_in_clock_time_with_a_paid_invoice(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price, receiver: Receiver
) -> None:
    box.add_webhook_endpoint(receiver.url)
    clock, sub = subscribe(box, client, monthly)
    item = sub["items"].data[0]
    assert sub.status == "active"
    assert sub.test_clock == clock.id
    assert (item.current_period_start, item.current_period_end) == (JAN_31, FEB_28)
    [invoice] = invoices(client, sub.id)
    assert invoice.status == "paid"
    assert invoice.billing_reason == "subscription_create"
    assert (invoice.amount_due, invoice.amount_paid, invoice.amount_remaining) == (1000, 1000, 0)
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.lines.data[0].pricing.price_details.price == monthly.id
    assert sub.latest_invoice == invoice.id
    assert problems("invoice", raw(box, f"/v1/invoices/{invoice.id}")) == []
    assert problems("subscription", raw(box, f"/v1/subscriptions/{sub.id}")) == []
    assert [e.type for e in events(client)] == [
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    delivered = verified(box, receiver)
    paid = next(e for e in delivered if e.type == "invoice.paid")
    assert paid.data.object.id == invoice.id
    assert paid.data.object.status == "paid"
    created = next(e for e in delivered if e.type == "invoice.created")
    assert created.data.object.status == "draft"


def test_renewal_charges_the_default_method_each_calendar_month(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price, receiver: Receiver
) -> None:
    clock, sub = subscribe(box, client, monthly)
    box.add_webhook_endpoint(receiver.url)
    advance(client, clock.id, FEB_28 + 60)
    first, second = invoices(client, sub.id)
    assert second.billing_reason == "subscription_cycle"
    assert second.status == "paid"
    assert second.amount_paid == 1000
    assert (second.period_start, second.period_end) == (
        FEB_28,
        MAR_31,
    )
    assert second.number != first.number
    renewed = client.v1.subscriptions.retrieve(sub.id)
    assert renewed.status == "active"
    assert renewed.latest_invoice == second.id
    item = renewed["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (FEB_28, MAR_31)
    delivered = verified(box, receiver)
    renewal = [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    assert [e.type for e in events(client)][-5:] == renewal
    assert sorted(e.type for e in delivered if e.type.startswith(BILLING)) == sorted(renewal)
    updated = delivered[[e.type for e in delivered].index("customer.subscription.updated")]
    before = updated.data.previous_attributes["items"].data[0]
    assert before.current_period_end == FEB_28
    assert updated.data.object["items"].data[0].current_period_end == MAR_31
    advance(client, clock.id, MAR_31)
    assert [i.period_start for i in invoices(client, sub.id)][-1] == MAR_31


def test_card_0341_attaches_at_checkout_and_fails_the_renewal(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price, receiver: Receiver
) -> None:
    clock, sub = subscribe(box, client, monthly, card="4000000000000341")
    assert sub.status == "active"
    box.add_webhook_endpoint(receiver.url)
    advance(client, clock.id, FEB_28)
    _, failed = invoices(client, sub.id)
    assert failed.status == "open"
    assert failed.amount_paid == 0
    assert failed.attempt_count == 1
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    delivered = verified(box, receiver)
    types = [e.type for e in delivered]
    assert "invoice.paid" not in types
    payment_failed = delivered[types.index("invoice.payment_failed")]
    assert payment_failed.data.object.id == failed.id
    updated = delivered[types.index("customer.subscription.updated")]
    assert updated.data.object.status == "past_due"
    assert updated.data.previous_attributes.status == "active"
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(failed.id)
    assert declined.value.code == "card_declined"
    assert client.v1.invoices.retrieve(failed.id).attempt_count == 2


def test_a_new_default_method_pays_the_open_invoice_and_reactivates(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    clock, sub = subscribe(box, client, monthly, card="4000000000000341")
    advance(client, clock.id, FEB_28)
    setup = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "customer": sub.customer,
            "success_url": "https://shop.example/ok",
        }
    )
    box.pay(setup.id, card="4242424242424242")
    intent = client.v1.setup_intents.retrieve(
        client.v1.checkout.sessions.retrieve(setup.id).setup_intent
    )
    client.v1.subscriptions.update(sub.id, params={"default_payment_method": intent.payment_method})
    _, failed = invoices(client, sub.id)
    paid = client.v1.invoices.pay(failed.id)
    assert paid.status == "paid"
    assert paid.amount_paid == 1000
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(failed.id)


def test_a_trial_bills_nothing_then_charges_at_its_end(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    clock, sub = subscribe(box, client, monthly, trial_days=7)
    trial_end = JAN_31 + 7 * DAY
    assert sub.status == "trialing"
    assert sub.trial_end == trial_end
    assert sub["items"].data[0].current_period_end == trial_end
    [zero] = invoices(client, sub.id)
    assert zero.status == "paid"
    assert zero.amount_due == 0
    advance(client, clock.id, trial_end)
    _, charged = invoices(client, sub.id)
    assert charged.billing_reason == "subscription_cycle"
    assert charged.amount_paid == 1000
    assert (charged.period_start, charged.period_end) == (
        trial_end,
        add_interval(trial_end, "month", 1, 1),
    )
    active = client.v1.subscriptions.retrieve(sub.id)
    assert active.status == "active"
    updated = [e for e in events(client) if e.type == "customer.subscription.updated"]
    assert updated[-1].data.previous_attributes.status == "trialing"


def test_cancel_at_period_end_deletes_the_subscription_when_the_period_ends(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price, receiver: Receiver
) -> None:
    clock, sub = subscribe(box, client, monthly)
    box.add_webhook_endpoint(receiver.url)
    marked = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert marked.cancel_at_period_end
    assert marked.cancel_at == FEB_28
    assert marked.status == "active"
    advance(client, clock.id, FEB_28 - 1)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    advance(client, clock.id, FEB_28 + 1)
    ended = client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled"
    assert ended.ended_at == FEB_28
    assert len(invoices(client, sub.id)) == 1
    delivered = verified(box, receiver)
    billing = sorted(
        (e for e in delivered if e.type.startswith(BILLING)), key=lambda e: e.type, reverse=True
    )
    assert [e.type for e in billing] == [
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
    assert billing[0].data.previous_attributes.cancel_at_period_end is False
    assert billing[1].data.object.status == "canceled"
    listed = client.v1.subscriptions.list(params={"customer": sub.customer}).data
    assert listed == []
    listed = client.v1.subscriptions.list(params={"customer": sub.customer, "status": "all"})
    assert [s.id for s in listed.data] == [sub.id]


def test_cancel_now_and_undoing_a_scheduled_cancel(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    clock, sub = subscribe(box, client, monthly)
    client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    kept = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})
    assert not kept.cancel_at_period_end
    assert kept.cancel_at is None
    assert kept.canceled_at is None
    advance(client, clock.id, FEB_28)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    canceled = client.v1.subscriptions.cancel(
        sub.id, params={"cancellation_details": {"comment": "too dear"}}
    )
    assert canceled.status == "canceled"
    assert canceled.ended_at == FEB_28
    assert canceled.cancellation_details.comment == "too dear"
    assert [e.type for e in events(client)][-1] == "customer.subscription.deleted"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.cancel(sub.id)
    with pytest.raises(stripe.InvalidRequestError) as unmodelled:
        client.v1.subscriptions.update(sub.id, params={"items": [{"price": monthly.id}]})
    assert unmodelled.value.param == "items"


def test_test_clocks_are_created_listed_retrieved_and_deleted(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    clocks = client.v1.test_helpers.test_clocks
    made = clocks.create(params={"frozen_time": JAN_31, "name": "renewals"})
    assert (made.status, made.name, made.frozen_time) == ("ready", "renewals", JAN_31)
    found = raw(box, f"/v1/test_helpers/test_clocks/{made.id}")
    assert problems("test_helpers.test_clock", found) == []
    assert clocks.retrieve(made.id).id == made.id
    assert [c.id for c in clocks.list().data] == [made.id]
    with pytest.raises(stripe.InvalidRequestError) as backwards:
        clocks.advance(made.id, params={"frozen_time": JAN_31 - 1})
    assert backwards.value.param == "frozen_time"
    with pytest.raises(stripe.InvalidRequestError):
        clocks.advance(made.id, params={})
    deleted = clocks.delete(made.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        clocks.retrieve(made.id)
    assert gone.value.http_status == 404
    assert clocks.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create(params={"test_clock": made.id})
    assert unknown.value.param == "test_clock"


def test_a_clock_advances_at_most_two_intervals_of_its_subscriptions(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    clock, sub = subscribe(box, client, monthly)
    too_far = add_interval(JAN_31, "month", 1, 2) + 1
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": too_far})
    assert refused.value.param == "frozen_time"
    assert len(invoices(client, sub.id)) == 1
    advance(client, clock.id, too_far - 1)
    assert [i.period_start for i in invoices(client, sub.id)] == [JAN_31, FEB_28, MAR_31]


def test_invoices_list_filters_and_pages(
    box: Sandbox, client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    clock, sub = subscribe(box, client, monthly, card="4000000000000341")
    _, other = subscribe(box, client, monthly)
    advance(client, clock.id, FEB_28)
    mine = client.v1.invoices.list(params={"customer": sub.customer}).data
    assert len(mine) == 2
    assert {i.customer for i in mine} == {sub.customer}
    assert [i.status for i in client.v1.invoices.list(params={"status": "open"}).data] == ["open"]
    assert len(client.v1.invoices.list(params={"subscription": other.id}).data) == 1
    page = client.v1.invoices.list(params={"limit": 2})
    assert page.has_more
    assert len(page.data) == 2
    rest = client.v1.invoices.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert not rest.has_more
    assert len(rest.data) == 1
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.invoices.list(params={"shop": "x"})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.param == "shop"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.invoices.retrieve("in_missing")
    assert missing.value.http_status == 404


@given(
    anchor=st.integers(0, 2**34),
    interval=st.sampled_from(["day", "week", "month", "year"]),
    count=st.integers(1, 12),
    periods=st.integers(0, 40),
)
def test_periods_move_by_calendar_from_the_anchor(
    anchor: int, interval: str, count: int, periods: int
) -> None:
    end = add_interval(anchor, interval, count, periods)
    nxt = add_interval(anchor, interval, count, periods + 1)
    assert nxt > end >= anchor
    start, got = (dt.datetime.fromtimestamp(t, dt.timezone.utc) for t in (anchor, end))
    assert got.time() == start.time()
    if interval in {"month", "year"}:
        months = periods * count * (12 if interval == "year" else 1)
        assert (got.year - start.year) * 12 + got.month - start.month == months
        assert got.day == start.day or (got.day < start.day and (got + dt.timedelta(1)).day == 1)
    else:
        assert end - anchor == periods * count * (1 if interval == "day" else 7) * DAY
