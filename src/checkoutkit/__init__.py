"""checkoutkit: Stripe Checkout integrations that are correct by construction."""

from __future__ import annotations

from typing import Any

from checkoutkit._builder import SessionBuilder
from checkoutkit._checkout import Checkout, CheckoutRequest, FulfilOutcome
from checkoutkit._currencies import from_minor_units, to_minor_units
from checkoutkit._events import CheckoutSession, Event
from checkoutkit._gateway import CheckoutGateway
from checkoutkit._memory_store import MemoryStore
from checkoutkit._problems import Problem
from checkoutkit._router import WebhookResponse, WebhookRouter
from checkoutkit._rules import validate_session_params
from checkoutkit._signature import SignatureVerifier, VerifiedSignature, verify_signature
from checkoutkit._sqlite_store import SqliteStore
from checkoutkit._store import (
    AsyncEventStore,
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    EventStore,
)
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
    "AsyncEventStore",
    "Checkout",
    "CheckoutGateway",
    "CheckoutKitError",
    "CheckoutRequest",
    "CheckoutSession",
    "Claim",
    "ClaimOutcome",
    "ConfigurationError",
    "Event",
    "EventRecord",
    "EventStatus",
    "EventStore",
    "FulfilOutcome",
    "FulfilmentError",
    "InvalidSessionError",
    "MemoryStore",
    "MissingDependencyError",
    "PermanentFailure",
    "Problem",
    "SessionBuilder",
    "SignatureVerificationError",
    "SignatureVerifier",
    "SqliteStore",
    "StoreError",
    "StoreUnavailableError",
    "StripeError",
    "UnknownEventTypeError",
    "VerifiedSignature",
    "WebhookPayloadError",
    "WebhookResponse",
    "WebhookRouter",
    "from_minor_units",
    "to_minor_units",
    "validate_session_params",
    "verify_signature",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("checkoutkit")
    raise AttributeError(f"module 'checkoutkit' has no attribute {name!r}")
