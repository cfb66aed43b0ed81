"""Fixtures for the gateway tests: a real sandbox, a real webhook receiver, sync and async APIs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gateway_support import Api, Controls, WebhookReceiver

from checkoutkit import CheckoutGateway
from checkoutkit.sandbox import Sandbox


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A local HTTP server that records every webhook it receives."""
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture
def sandbox(receiver: WebhookReceiver) -> Iterator[Sandbox]:
    """A fresh in-process sandbox forwarding webhooks to ``receiver`` (fast retries)."""
    with Sandbox(forward_to=[receiver.url], retry_scale=0.001, async_delay=60) as server:
        yield server


@pytest.fixture
def controls(sandbox: Sandbox) -> Iterator[Controls]:
    """The sandbox's test controls over HTTP."""
    client = Controls(sandbox.url)
    yield client
    client.close()


@pytest.fixture(params=["sync", "async"])
def api_mode(request: pytest.FixtureRequest) -> str:
    """``sync`` or ``async``: which of the gateway's methods a test drives."""
    mode: str = request.param
    return mode


@pytest.fixture
def api(api_mode: str, sandbox: Sandbox) -> Iterator[Api]:
    """A gateway for the sandbox, driven through its sync methods or their async twins."""
    wrapper = Api(CheckoutGateway.for_sandbox(sandbox, max_network_retries=0), api_mode)
    yield wrapper
    wrapper.close()


@pytest.fixture
def stripe_client(sandbox: Sandbox) -> Iterator[Any]:
    """A raw stripe SDK client for the sandbox (for set-up the gateway does not wrap)."""
    gateway = CheckoutGateway.for_sandbox(sandbox)
    yield gateway.client
    gateway.close()
