"""The example files included by "The Gateway" docs page run as written against the sandbox."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import CheckoutGateway, SessionBuilder

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def stripe_env(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """STRIPE_SECRET_KEY and STRIPE_API_BASE aimed at the sandbox, as the page tells the reader."""
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_checkoutkit_docs")
    monkeypatch.setenv("STRIPE_API_BASE", sandbox.url)
    return sandbox


def _order() -> SessionBuilder:
    return (
        SessionBuilder.payment()
        .add_price_data(name="T-shirt", amount=2000, currency="usd", quantity=1)
        .success_url("https://shop.example/thanks", with_session_id=True)
        .cancel_url("https://shop.example/cart")
    )


def test_gateway_setup_example_builds_a_working_gateway(stripe_env: Any) -> None:
    """gateway_setup.py builds a gateway from the environment that creates sessions."""
    gateway = runpy.run_path(str(EXAMPLES / "gateway_setup.py"))["gateway"]
    assert isinstance(gateway, CheckoutGateway)
    try:
        session = gateway.create(_order())
    finally:
        gateway.close()
    assert session.url is not None
    assert session.url.startswith(stripe_env.url)


def test_async_gateway_example_creates_a_session(stripe_env: Any) -> None:
    """gateway_async.py creates an open session through the async gateway."""
    create_session = runpy.run_path(str(EXAMPLES / "gateway_async.py"))["create_session"]
    session = asyncio.run(create_session(_order()))
    assert session.id.startswith("cs_test_")
    assert session.status == "open"
