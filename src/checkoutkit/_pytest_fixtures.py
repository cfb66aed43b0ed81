"""The pytest fixtures of :mod:`checkoutkit.testing` (loaded by its plugin hook)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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
