"""The exceptions checkoutkit raises.

Every exception derives from :class:`CheckoutKitError`, and each also derives from the
built-in exception a caller would naturally catch, so ``except ValueError`` keeps working::

    CheckoutKitError
    ├── ConfigurationError (ValueError)         bad arguments when an object is created
    │   └── UnknownEventTypeError               a handler for a type Stripe never sends
    ├── MissingDependencyError (ImportError)    an optional extra is not installed
    ├── InvalidSessionError (ValueError)        session parameters Stripe would reject
    ├── SignatureVerificationError (ValueError) a webhook whose signature does not verify
    ├── WebhookPayloadError (ValueError)        a verified body that is not a Stripe event
    ├── PermanentFailure                        raised by a handler: record it, no retry
    ├── RetryLater                              raised by a handler: not now, nothing is wrong
    ├── StoreError                              an event store failed
    │   ├── StoreUnavailableError (ConnectionError)  its server cannot be reached
    │   └── ClaimLostError                      a claim taken over before its work was recorded
    ├── FulfilmentError                         fulfilment could not complete
    └── StripeError                             the Stripe API (or sandbox) answered an error
        ├── StripeInvalidRequestError (ValueError)
        ├── StripeAuthenticationError (PermissionError)
        ├── StripeNotFoundError (LookupError)
        ├── StripeCardError
        ├── StripeIdempotencyError
        ├── StripeRateLimitError
        └── StripeConnectionError (ConnectionError)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checkoutkit._problems import Problem

__all__ = [
    "CheckoutKitError",
    "ClaimLostError",
    "ConfigurationError",
    "FulfilmentError",
    "InvalidSessionError",
    "MissingDependencyError",
    "PermanentFailure",
    "RetryLater",
    "SignatureVerificationError",
    "StoreError",
    "StoreUnavailableError",
    "StripeAuthenticationError",
    "StripeCardError",
    "StripeConnectionError",
    "StripeError",
    "StripeIdempotencyError",
    "StripeInvalidRequestError",
    "StripeNotFoundError",
    "StripeRateLimitError",
    "UnknownEventTypeError",
    "WebhookPayloadError",
]


class CheckoutKitError(Exception):
    """Base class of every exception checkoutkit raises."""


class ConfigurationError(CheckoutKitError, ValueError):
    """An object was created with arguments that can never work (raised at set-up)."""


class UnknownEventTypeError(ConfigurationError):
    """A handler was registered for an event type that Stripe does not send."""


class MissingDependencyError(CheckoutKitError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class InvalidSessionError(CheckoutKitError, ValueError):
    """Checkout Session parameters that Stripe would reject.

    ``problems`` lists every problem found, not just the first.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [f"{len(self.problems)} problem(s) with the Checkout Session parameters:"]
        lines += [f"  {p.param or '(top level)'}: {p.message} [{p.code}]" for p in self.problems]
        super().__init__("\n".join(lines))


class SignatureVerificationError(CheckoutKitError, ValueError):
    """A webhook request whose ``Stripe-Signature`` header does not verify.

    ``reason`` is one of ``missing_header``, ``malformed_header``, ``no_v1_signature``,
    ``timestamp_outside_tolerance`` and ``no_match``. The message never contains a secret or an
    expected signature.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class WebhookPayloadError(CheckoutKitError, ValueError):
    """A correctly signed webhook body that is not a Stripe event (invalid JSON or wrong shape)."""


class PermanentFailure(CheckoutKitError):
    """Raised by a webhook handler for an event that will never succeed.

    The router answers 200 so Stripe stops retrying, and records the event as failed.
    """


class RetryLater(CheckoutKitError):
    """Raised by a webhook handler for an event that cannot be handled yet, though nothing failed.

    Its work is in progress elsewhere, say (``Checkout`` raises it while the success page is
    fulfilling the same session). The router answers 409 with ``Retry-After`` so that Stripe
    delivers the event again later, and logs one INFO line, without a traceback.
    """


class StoreError(CheckoutKitError):
    """An event store failed."""


class StoreUnavailableError(StoreError, ConnectionError):
    """An event store cannot reach its server; the webhook answers 5xx so Stripe retries."""


class ClaimLostError(StoreError):
    """A claim's lease expired and another worker took its key over before the work was recorded.

    Raised by a transactional store's ``transaction()`` on leaving it: everything written in the
    transaction is rolled back, and the worker that holds the key now does the work once.
    """


class FulfilmentError(CheckoutKitError):
    """Fulfilment could not complete (the callback raised or the session could not be read)."""


class StripeError(CheckoutKitError):
    """The Stripe API (or the sandbox) answered with an error.

    Keeps Stripe's ``code``, ``param``, ``http_status`` and ``request_id``; never the API key.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        self.code = code
        self.param = param
        self.http_status = http_status
        self.request_id = request_id
        self.decline_code = decline_code
        super().__init__(message)


class StripeInvalidRequestError(StripeError, ValueError):
    """Stripe rejected the request's parameters."""


class StripeAuthenticationError(StripeError, PermissionError):
    """The API key is missing, wrong, or not allowed here (e.g. a live key against the sandbox)."""


class StripeNotFoundError(StripeInvalidRequestError, LookupError):
    """The object does not exist (``resource_missing``)."""


class StripeCardError(StripeError):
    """A card was declined."""


class StripeIdempotencyError(StripeError):
    """An idempotency key was reused with different parameters."""


class StripeRateLimitError(StripeError):
    """Too many requests."""


class StripeConnectionError(StripeError, ConnectionError):
    """Stripe (or the sandbox) could not be reached."""
