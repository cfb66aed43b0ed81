"""The router's answers: :class:`Reply`, and the one answer (and log line) for each outcome."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from checkoutkit._events import Event
from checkoutkit.exceptions import (
    PermanentFailure,
    RetryLater,
    SignatureVerificationError,
    StoreError,
    WebhookPayloadError,
)
from checkoutkit.stores import ClaimOutcome

if TYPE_CHECKING:
    import logging

__all__ = ["LOGGER_NAME", "Reply", "WebhookResponse"]

LOGGER_NAME = "checkoutkit.webhooks"
_JSON_HEADERS: Mapping[str, str] = MappingProxyType({"content-type": "application/json"})


@attrs.frozen
class Reply:
    """An HTTP answer in plain terms: ``status``, ``body`` bytes and ``headers``.

    The one answer type of checkoutkit: the router's :meth:`WebhookRouter.handle` returns one,
    and so does every endpoint of :mod:`checkoutkit.adapters.endpoints`; an adapter copies the
    three fields into its framework's response and adds nothing. Header names are lower-case;
    ``headers`` holds ``content-type`` (JSON unless given otherwise).
    """

    status: int
    body: bytes
    headers: Mapping[str, str] = _JSON_HEADERS

    @property
    def ok(self) -> bool:
        """True for a 2xx status (Stripe will not redeliver)."""
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The ``content-type`` header (whatever the case of its name); empty when absent."""
        value = self.headers.get("content-type")
        if value is None:
            for name, candidate in self.headers.items():
                if name.lower() == "content-type":
                    return candidate
            return ""
        return value


WebhookResponse = Reply
"""The name :class:`Reply` has had since 0.1 as the router's answer: the same class."""


def _response(status: int, body: str, **headers: str) -> Reply:
    merged = MappingProxyType({**_JSON_HEADERS, **headers}) if headers else _JSON_HEADERS
    return Reply(status, body.encode(), merged)


HANDLED = _response(200, '{"received":true}')
IGNORED = _response(200, '{"received":true,"handled":false}')
DUPLICATE = _response(200, '{"received":true,"duplicate":true}')
FAILED_PERMANENTLY = _response(200, '{"received":true,"failed":true}')
BAD_SIGNATURE = _response(400, '{"error":"invalid signature"}')
BAD_PAYLOAD = _response(400, '{"error":"invalid payload"}')
TOO_LARGE = _response(413, '{"error":"payload too large"}')
BUSY = _response(409, '{"error":"event is being processed; retry later"}', **{"retry-after": "30"})
HANDLER_FAILED = _response(500, '{"error":"handler failed"}')
STORE_FAILED = _response(503, '{"error":"event store unavailable"}', **{"retry-after": "30"})


def answer(outcome: ClaimOutcome) -> WebhookResponse:
    """The answer for a claimed event: handled now, handled before, or being handled."""
    if outcome is ClaimOutcome.CLAIMED:
        return HANDLED
    return DUPLICATE if outcome is ClaimOutcome.DONE else BUSY


def failed(event: Event, error: Exception) -> WebhookResponse:
    """The answer (and the one log line) for handlers that raised, or a store that failed."""
    log = logger()
    if isinstance(error, StoreError):
        log.error(
            "event %s (%s): the event store failed (%s); answering 503 so that Stripe "
            "redelivers it",
            event.id,
            event.type,
            error,
        )
        return STORE_FAILED
    if isinstance(error, RetryLater):
        log.info(
            "event %s (%s): not handled yet (%s); Stripe will redeliver it",
            event.id,
            event.type,
            error,
        )
        return BUSY
    if isinstance(error, WebhookPayloadError):
        log.warning("event %s (%s) refused: %s", event.id, event.type, error)
        return _response(400, json.dumps({"error": "invalid event object", "reason": str(error)}))
    if isinstance(error, PermanentFailure):
        log.warning(
            "event %s (%s) failed permanently and will not be retried: %s",
            event.id,
            event.type,
            error,
        )
        return FAILED_PERMANENTLY
    log.error(
        "event %s (%s): a handler raised; answering 500 so that Stripe redelivers it",
        event.id,
        event.type,
        exc_info=error,
    )
    return HANDLER_FAILED


@cache
def logger() -> logging.Logger:
    """The router's logger (logging is imported on the first failure, not at import time)."""
    import logging

    return logging.getLogger(LOGGER_NAME)


def bad_signature(error: SignatureVerificationError) -> WebhookResponse:
    logger().warning("webhook refused (%s): %s", error.reason, error)
    return BAD_SIGNATURE


def bad_payload(error: Exception) -> WebhookResponse:
    logger().warning("signed webhook refused: the body is not a Stripe event (%s)", error)
    return BAD_PAYLOAD
