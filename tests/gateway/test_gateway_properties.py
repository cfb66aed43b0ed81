"""Random session params through the Gateway: only documented outcomes, and agreement with Stripe.

"Stripe" here is the sandbox, which answers in Stripe's format; the gateway must never let
through what it refuses, and must refuse before sending.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from checkoutkit import CheckoutGateway, InvalidSessionError
from checkoutkit.sandbox import Sandbox

_price_data = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(["eur", "usd", "jpy", "xyz"]),
        "unit_amount": st.integers(-5, 10**9),
        "product_data": st.fixed_dictionaries(
            {"name": st.sampled_from(["Tea", "Mug", "true", "false", ""])}
        ),
    }
)
_line_item = st.fixed_dictionaries({"price_data": _price_data, "quantity": st.integers(-1, 1000)})
_params = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["payment", "subscription", "setup", "rental"]),
        "success_url": st.sampled_from(
            ["https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}", "shop.example/ok", ""]
        ),
    },
    optional={
        "line_items": st.lists(_line_item, max_size=3),
        "currency": st.sampled_from(["eur", "usd"]),
        "client_reference_id": st.sampled_from(
            ["order-1", "cart 7", "Ünïcode", "true", "false", ""]
        ),
        "customer_email": st.sampled_from(["ada@example.com", "not-an-email", ""]),
        "payment_intent_data": st.just({"capture_method": "manual"}),
    },
)


@pytest.fixture(scope="module")
def gateway() -> Iterator[CheckoutGateway]:
    """One sandbox and gateway for every generated example."""
    with Sandbox() as sandbox, CheckoutGateway.for_sandbox(sandbox) as gw:
        yield gw


@settings(max_examples=60, deadline=None)
@given(_params)
def test_random_params_are_refused_locally_or_accepted(
    gateway: CheckoutGateway, params: dict[str, Any]
) -> None:
    """Refused before sending (then by the server too, on a named param), or created open."""
    try:
        session = gateway.create(params)
    except InvalidSessionError as error:
        named = {problem.param for problem in error.problems}
        with pytest.raises(stripe.InvalidRequestError) as raw:
            gateway.client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        assert raw.value.param in named
    else:
        assert session.status == "open"
        assert session.mode == params["mode"]
