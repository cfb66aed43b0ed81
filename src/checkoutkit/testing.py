"""Helpers for testing applications built on checkoutkit (also a pytest plugin).

Sign payloads the way Stripe does, build Stripe-shaped Checkout events, and get ``(body,
headers)`` ready for :meth:`checkoutkit.WebhookRouter.handle` — no network, no Stripe account.
Installed with checkoutkit, the pytest plugin provides the fixtures ``webhook_secret``,
``sign_webhook`` and ``webhook_router``.

This module never imports pytest itself; the fixtures live in a module the plugin loads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from checkoutkit._signature import compute_signature

if TYPE_CHECKING:
    import pytest

__all__ = ["TEST_SECRET", "sign_payload"]

TEST_SECRET = "whsec_checkoutkit_test_secret_0123456789"  # noqa: S105 (a test value)
"""A well-formed signing secret for tests (never a real one)."""


def sign_payload(
    payload: bytes | str, secret: str | Sequence[str], timestamp: int | None = None
) -> str:
    """Return a ``Stripe-Signature`` header value for ``payload``, as Stripe would send it.

    ``secret`` may be several secrets (one ``v1`` entry each, as during a secret rotation);
    ``timestamp`` defaults to now.
    """
    body = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    signatures = ",".join(f"v1={compute_signature(body, s, stamp)}" for s in secrets)
    return f"t={stamp},{signatures}"


def pytest_configure(config: pytest.Config) -> None:
    """Register checkoutkit's fixtures (pytest calls this when it loads the plugin)."""
    from checkoutkit import _pytest_fixtures

    if not config.pluginmanager.is_registered(_pytest_fixtures):
        config.pluginmanager.register(_pytest_fixtures, "checkoutkit-fixtures")
