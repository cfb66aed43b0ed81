"""The pytest fixtures of :mod:`checkoutkit.testing` (pytest loads them with that plugin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from checkoutkit import MemoryStore, WebhookRouter
from checkoutkit.testing import TEST_SECRET, sign_payload


@pytest.fixture
def webhook_secret() -> str:
    """A well-formed ``whsec_…`` signing secret for the test."""
    return TEST_SECRET


@pytest.fixture
def sign_webhook(webhook_secret: str) -> Callable[..., str]:
    """``sign_webhook(payload, timestamp=None)`` → a ``Stripe-Signature`` header value."""

    def sign(payload: bytes | str, timestamp: int | None = None) -> str:
        return sign_payload(payload, webhook_secret, timestamp)

    return sign


@pytest.fixture
def webhook_store() -> MemoryStore:
    """An empty in-memory event store."""
    return MemoryStore()


@pytest.fixture
def webhook_router(webhook_secret: str, webhook_store: MemoryStore) -> WebhookRouter:
    """A ``WebhookRouter`` for ``webhook_secret`` backed by ``webhook_store``; add handlers."""
    return WebhookRouter(secrets=webhook_secret, store=webhook_store)


if TYPE_CHECKING:
    from collections.abc import Iterator

    from checkoutkit.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running :class:`checkoutkit.sandbox.Sandbox` on a free port, stopped after the test.

    Webhook retries are scaled down 1000x and SEPA debits settle after 0.2 sandbox seconds.
    Needs the ``checkoutkit[sandbox]`` extra.
    """
    from checkoutkit.sandbox import Sandbox

    with Sandbox(retry_scale=0.001, async_delay=0.2) as running:
        yield running
