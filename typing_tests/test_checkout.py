"""Type-checked only: Checkout takes builders, plain and async callbacks; adapters are typed."""

from __future__ import annotations

import flask
from fastapi import APIRouter
from typing_extensions import assert_type

from checkoutkit import (
    Checkout,
    CheckoutGateway,
    CheckoutRequest,
    CheckoutSession,
    FulfilOutcome,
    MemoryStore,
    SessionBuilder,
    WebhookRouter,
)
from checkoutkit.adapters.fastapi import router
from checkoutkit.adapters.flask import blueprint


def build_session(request: CheckoutRequest) -> SessionBuilder:
    quantity = int(request.form.get("quantity", "1"))
    return SessionBuilder.payment().add_price_data(
        currency="usd", name="T-shirt", unit_amount=2000, quantity=quantity
    )


def fulfil(session: CheckoutSession) -> None:
    assert_type(session.email, str | None)


async def on_expired(session: CheckoutSession) -> None:
    assert_type(session.id, str)


store = MemoryStore()
checkout = Checkout(
    gateway=CheckoutGateway.from_env(),
    router=WebhookRouter(secrets="whsec_x", store=store),
    store=store,
    build_session=build_session,
    fulfil=fulfil,
    on_expired=on_expired,
    base_url="https://shop.example/checkout",
)
assert_type(checkout.fulfil("cs_test_abc"), FulfilOutcome)
assert_type(blueprint(checkout), flask.Blueprint)
assert_type(router(checkout, prefix="/checkout"), APIRouter)


async def fulfil_later() -> None:
    assert_type(await checkout.fulfil_async("cs_test_abc"), FulfilOutcome)
