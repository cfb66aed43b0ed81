"""The sandbox's billing functions other parts of the sandbox call (the customer portal): a
``Core`` without HTTP, its events collected as emitted."""

from __future__ import annotations

from typing import Any

import pytest

from checkoutkit.sandbox import _billing
from checkoutkit.sandbox._common import RequestInfo
from checkoutkit.sandbox._core import Core
from checkoutkit.sandbox._errors import ApiError
from checkoutkit.sandbox._methods import Card, MethodError
from checkoutkit.sandbox._state import Clock, State


@pytest.fixture
def emitted() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def core(emitted: list[dict[str, Any]]) -> Core:
    return Core(State(), Clock(), async_delay=1.0, on_event=emitted.append)


def subscription(core: Core) -> dict[str, Any]:
    price = core.create_price(
        {
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )
    session = core.create_session(
        {
            "mode": "subscription",
            "line_items": [{"price": price["id"], "quantity": 1}],
            "success_url": "https://shop.example/ok",
        },
        "http://sandbox.test/",
        RequestInfo(),
    )
    assert core.pay(session["id"], Card("4242424242424242", 12, 2099)).status == "succeeded"
    sub = core.state.get(session["subscription"], "subscription")
    assert sub is not None
    return sub


def types(emitted: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in emitted]


def test_cancel_at_period_end_then_now(core: Core, emitted: list[dict[str, Any]]) -> None:
    sub = subscription(core)
    end = sub["items"]["data"][0]["current_period_end"]
    emitted.clear()
    _billing.cancel_subscription(core, sub["id"], at_period_end=True)
    assert (sub["cancel_at_period_end"], sub["cancel_at"], sub["status"]) == (True, end, "active")
    assert types(emitted) == ["customer.subscription.updated"]
    assert emitted[0]["data"]["previous_attributes"]["cancel_at_period_end"] is False
    _billing.cancel_subscription(core, sub["id"], at_period_end=False)
    assert sub["status"] == "canceled"
    assert types(emitted)[-1] == "customer.subscription.deleted"
    with pytest.raises(ApiError) as again:
        _billing.cancel_subscription(core, sub["id"], at_period_end=False)
    assert again.value.status == 400
    with pytest.raises(ApiError) as unknown:
        _billing.cancel_subscription(core, "sub_missing", at_period_end=True)
    assert unknown.value.status == 404


def test_a_new_card_becomes_the_default(core: Core, emitted: list[dict[str, Any]]) -> None:
    sub = subscription(core)
    with pytest.raises(MethodError) as declined:
        _billing.attach_card(core, sub["customer"], Card("4000000000000002", 12, 2099))
    assert declined.value.code == "card_declined"
    emitted.clear()
    pm = _billing.attach_card(core, sub["customer"], Card("4000000000000341", 12, 2099))
    assert pm["customer"] == sub["customer"]
    assert pm["card"]["last4"] == "0341"
    before = sub["default_payment_method"]
    _billing.set_default_payment_method(core, sub["id"], pm["id"])
    assert sub["default_payment_method"] == pm["id"]
    _billing.set_default_payment_method(core, sub["customer"], pm["id"])
    customer = core.state.get(sub["customer"], "customer")
    assert customer is not None
    assert customer["invoice_settings"]["default_payment_method"] == pm["id"]
    assert types(emitted) == [
        "payment_method.attached",
        "customer.subscription.updated",
        "customer.updated",
    ]
    previous = emitted[1]["data"]["previous_attributes"]
    assert previous == {"default_payment_method": before}
    other = core.create_customer({"email": "bo@example.com"})
    with pytest.raises(ApiError) as foreign:
        _billing.set_default_payment_method(core, other["id"], pm["id"])
    assert foreign.value.status == 400
