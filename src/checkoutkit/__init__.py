"""checkoutkit: Stripe Checkout integrations that are correct by construction."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    RetryLater,
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
    "RetryLater",
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


# Public names defined in private modules, imported on first access so that ``import checkoutkit``
# stays cheap (attrs, typing machinery and the stripe SDK load only when a feature is used).
_LAZY_MODULES = {
    "checkoutkit._builder": ("SessionBuilder",),
    "checkoutkit._checkout": (
        "Checkout",
        "CheckoutRequest",
        "FulfilOutcome",
    ),
    "checkoutkit._currencies": (
        "from_minor_units",
        "to_minor_units",
    ),
    "checkoutkit._events": (
        "CheckoutSession",
        "Event",
    ),
    "checkoutkit._gateway": ("CheckoutGateway",),
    "checkoutkit._memory_store": ("MemoryStore",),
    "checkoutkit._problems": ("Problem",),
    "checkoutkit._router": (
        "WebhookResponse",
        "WebhookRouter",
    ),
    "checkoutkit._rules": ("validate_session_params",),
    "checkoutkit._signature": (
        "SignatureVerifier",
        "VerifiedSignature",
        "verify_signature",
    ),
    "checkoutkit._sqlite_store": ("SqliteStore",),
    "checkoutkit._store": (
        "AsyncEventStore",
        "Claim",
        "ClaimOutcome",
        "EventRecord",
        "EventStatus",
        "EventStore",
    ),
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("checkoutkit")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'checkoutkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
