"""checkoutkit: Stripe Checkout integrations that are correct by construction."""

from __future__ import annotations

from typing import Any

from checkoutkit._gateway import CheckoutGateway
from checkoutkit._problems import Problem
from checkoutkit.exceptions import (
    CheckoutKitError,
    ConfigurationError,
    FulfilmentError,
    InvalidSessionError,
    MissingDependencyError,
    PermanentFailure,
    SignatureVerificationError,
    StoreError,
    StoreUnavailableError,
    StripeError,
    UnknownEventTypeError,
    WebhookPayloadError,
)

__all__ = [
    "CheckoutGateway",
    "CheckoutKitError",
    "ConfigurationError",
    "FulfilmentError",
    "InvalidSessionError",
    "MissingDependencyError",
    "PermanentFailure",
    "Problem",
    "SignatureVerificationError",
    "StoreError",
    "StoreUnavailableError",
    "StripeError",
    "UnknownEventTypeError",
    "WebhookPayloadError",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("checkoutkit")
    raise AttributeError(f"module 'checkoutkit' has no attribute {name!r}")
