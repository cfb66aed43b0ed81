"""checkoutkit: Stripe Checkout integrations that are correct by construction."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checkoutkit._builder import SessionBuilder
    from checkoutkit._checkout import Checkout, CheckoutRequest, FulfilOutcome
    from checkoutkit._currencies import from_minor_units, to_minor_units
    from checkoutkit._events import CheckoutSession, Event, Invoice, PortalSession, Subscription
    from checkoutkit._gateway import CheckoutGateway
    from checkoutkit._problems import Problem
    from checkoutkit._replies import WebhookResponse
    from checkoutkit._router import WebhookRouter
    from checkoutkit._rules import validate_session_params
    from checkoutkit._signature import SignatureVerifier, VerifiedSignature, verify_signature
    from checkoutkit.stores._protocol import EventStatus
    from checkoutkit.stores.memory import MemoryStore
    from checkoutkit.stores.sqlite import SqliteStore

from checkoutkit.exceptions import (
    CheckoutKitError,
    ClaimLostError,
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
    "Checkout",
    "CheckoutGateway",
    "CheckoutKitError",
    "CheckoutRequest",
    "CheckoutSession",
    "ClaimLostError",
    "ConfigurationError",
    "Event",
    "EventStatus",
    "FulfilOutcome",
    "FulfilmentError",
    "InvalidSessionError",
    "Invoice",
    "MemoryStore",
    "MissingDependencyError",
    "PermanentFailure",
    "PortalSession",
    "Problem",
    "RetryLater",
    "SessionBuilder",
    "SignatureVerificationError",
    "SignatureVerifier",
    "SqliteStore",
    "StoreError",
    "StoreUnavailableError",
    "StripeError",
    "Subscription",
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
        "Invoice",
        "PortalSession",
        "Subscription",
    ),
    "checkoutkit._gateway": ("CheckoutGateway",),
    "checkoutkit._problems": ("Problem",),
    "checkoutkit._replies": ("WebhookResponse",),
    "checkoutkit._router": ("WebhookRouter",),
    "checkoutkit._rules": ("validate_session_params",),
    "checkoutkit._signature": (
        "SignatureVerifier",
        "VerifiedSignature",
        "verify_signature",
    ),
    "checkoutkit.stores._protocol": ("EventStatus",),
    "checkoutkit.stores.memory": ("MemoryStore",),
    "checkoutkit.stores.sqlite": ("SqliteStore",),
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}

# Names for store authors that moved to checkoutkit.stores in 0.2.0; importing them from here
# still works, with a DeprecationWarning, until the next release removes them.
_MOVED_TO_STORES = frozenset(
    {"AsyncEventStore", "Claim", "ClaimOutcome", "EventRecord", "EventStore"}
)


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("checkoutkit")
    if name in _MOVED_TO_STORES:
        import warnings

        warnings.warn(
            f"checkoutkit.{name} moved to checkoutkit.stores.{name}; import it from there "
            "(the old name goes away in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        from checkoutkit import stores

        return getattr(stores, name)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'checkoutkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
