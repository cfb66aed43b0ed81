"""``CheckoutGateway.create_portal_session``: through the stripe SDK to the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from checkoutkit import CheckoutGateway, PortalSession
from checkoutkit.exceptions import StripeInvalidRequestError
from checkoutkit.sandbox import Sandbox


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def test_sync_and_async_open_the_customers_portal(box: Sandbox) -> None:
    customer = box.client().v1.customers.create(params={}).id
    gateway = CheckoutGateway.for_sandbox(box)
    opened = gateway.create_portal_session(customer, "https://shop.example/account")
    assert isinstance(opened, PortalSession)
    assert (opened.customer, opened.return_url) == (customer, "https://shop.example/account")
    assert opened.url.startswith(f"{box.url}/p/session/{opened.id}")
    gateway.close()

    async def run() -> PortalSession:
        async with CheckoutGateway.for_sandbox(box) as async_gateway:
            return await async_gateway.create_portal_session_async(customer)

    again = asyncio.run(run())
    assert again.customer == customer
    assert again.return_url is None
    assert again.id != opened.id


@pytest.mark.parametrize(
    ("customer", "return_url", "param"),
    [
        ("", None, "customer"),
        ("cus_../../v1/charges", None, "customer"),
        ("cs_test_abc", None, "customer"),
        ("cus_abc", "javascript:alert(1)", "return_url"),
        ("cus_abc", "/account", "return_url"),
    ],
)
def test_malformed_arguments_fail_before_any_request(
    customer: str, return_url: str | None, param: str
) -> None:
    """No request is made: the gateway points at a port where nothing listens."""
    gateway = CheckoutGateway.from_env(
        {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:9"}
    )
    with pytest.raises(StripeInvalidRequestError) as caught:
        gateway.create_portal_session(customer, return_url)
    assert caught.value.param == param
    gateway.close()


def test_an_unknown_customer_is_stripes_invalid_request(box: Sandbox) -> None:
    with (
        CheckoutGateway.for_sandbox(box) as gateway,
        pytest.raises(StripeInvalidRequestError) as caught,
    ):
        gateway.create_portal_session("cus_nobody000000")
    assert caught.value.param == "customer"
