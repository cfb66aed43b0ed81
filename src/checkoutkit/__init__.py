"""checkoutkit: Stripe Checkout integrations that are correct by construction."""

from __future__ import annotations

from typing import Any

from checkoutkit._builder import SessionBuilder
from checkoutkit._currencies import from_minor_units, to_minor_units
from checkoutkit._problems import Problem
from checkoutkit._rules import validate_session_params
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
    "CheckoutKitError",
    "ConfigurationError",
    "FulfilmentError",
    "InvalidSessionError",
    "MissingDependencyError",
    "PermanentFailure",
    "Problem",
    "SessionBuilder",
    "SignatureVerificationError",
    "StoreError",
    "StoreUnavailableError",
    "StripeError",
    "UnknownEventTypeError",
    "WebhookPayloadError",
    "from_minor_units",
    "to_minor_units",
    "validate_session_params",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("checkoutkit")
    raise AttributeError(f"module 'checkoutkit' has no attribute {name!r}")
