"""Type-checked only: what SessionBuilder builds is what the stripe SDK's create() accepts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import stripe
from stripe.params.checkout import SessionCreateParams
from typing_extensions import assert_type

from checkoutkit import InvalidSessionError, Problem, SessionBuilder

builder = (
    SessionBuilder.payment()
    .add_price_data(name="T-shirt", amount=Decimal("20.00"), currency="usd", quantity=1)
    .add_price("price_123", 2, adjustable_quantity=True)
    .success_url("https://shop.example/success", with_session_id=True)
    .cancel_url("https://shop.example/cancel")
    .payment_intent_data(capture_method="manual", metadata={"order": 7})
    .expires_in(timedelta(hours=2))
)
assert_type(builder, SessionBuilder)
assert_type(SessionBuilder.from_params({"mode": "setup", "currency": "eur"}), SessionBuilder)
assert_type(builder.problems(), tuple[Problem, ...])

params = builder.build()
assert_type(params, SessionCreateParams)


def create_session(client: stripe.StripeClient) -> stripe.checkout.Session:
    """The built params go straight into the SDK, with no cast."""
    return client.v1.checkout.sessions.create(params=builder.build())


def create_or_report(client: stripe.StripeClient) -> str:
    """``InvalidSessionError.problems`` carries param, code and message as strings."""
    try:
        return create_session(client).id
    except InvalidSessionError as error:
        return "; ".join(f"{p.param} {p.code} {p.message}" for p in error.problems)


_client = stripe.StripeClient("sk_test_x")
_ = create_or_report
