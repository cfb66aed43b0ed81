"""Type-checked only: the Gateway's methods take builders or params and return typed views."""

from __future__ import annotations

from typing import Any

import stripe
from typing_extensions import assert_type

from checkoutkit import CheckoutGateway, CheckoutSession, SessionBuilder
from checkoutkit.exceptions import StripeError
from checkoutkit.sandbox import Sandbox

builder = SessionBuilder.payment().add_price("price_123", 1).success_url("https://shop.example/ok")


def sync_calls(gateway: CheckoutGateway) -> None:
    """Each sync method's argument and result types."""
    session = gateway.create(builder, idempotency_scope="order-1")
    assert_type(session, CheckoutSession)
    assert_type(gateway.create(builder.build(), idempotency_key="key-1"), CheckoutSession)
    assert_type(gateway.create({"mode": "payment"}), CheckoutSession)
    assert_type(gateway.retrieve(session.id), CheckoutSession)
    assert_type(gateway.retrieve(session), CheckoutSession)
    assert_type(gateway.expire(session), CheckoutSession)
    assert_type(gateway.list_line_items(session), list[dict[str, Any]])
    assert_type(gateway.capture(session, amount_to_capture=100), dict[str, Any])
    assert_type(gateway.client, stripe.StripeClient)
    gateway.close()


async def async_calls(gateway: CheckoutGateway) -> None:
    """Each async twin returns what its sync method returns."""
    session = await gateway.create_async(builder)
    assert_type(session, CheckoutSession)
    assert_type(await gateway.retrieve_async(session.id), CheckoutSession)
    assert_type(await gateway.expire_async(session), CheckoutSession)
    assert_type(await gateway.list_line_items_async(session), list[dict[str, Any]])
    assert_type(await gateway.capture_async(session), dict[str, Any])
    async with gateway as same:
        assert_type(same, CheckoutGateway)


def constructors(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    """The three ways to build a gateway."""
    assert_type(CheckoutGateway(client), CheckoutGateway)
    assert_type(CheckoutGateway.from_env({"STRIPE_SECRET_KEY": "sk_test_x"}), CheckoutGateway)
    with CheckoutGateway.for_sandbox(sandbox) as gateway:
        assert_type(gateway, CheckoutGateway)


def errors(gateway: CheckoutGateway) -> str | None:
    """Wrapped errors expose Stripe's fields as optional strings and ints."""
    try:
        gateway.retrieve("cs_test_123")
    except StripeError as error:
        assert_type(error.http_status, int | None)
        return error.request_id
    return None
