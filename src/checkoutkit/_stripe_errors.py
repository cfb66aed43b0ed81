"""The stripe SDK's errors as checkoutkit's exceptions, never showing the API key.

A network error becomes a :class:`~checkoutkit.exceptions.StripeConnectionError` whose ``code``
names the cause (:data:`CONNECTION_CAUSES`) and whose one-line message names the host.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

from checkoutkit.exceptions import (
    StripeAuthenticationError,
    StripeCardError,
    StripeConnectionError,
    StripeError,
    StripeIdempotencyError,
    StripeInvalidRequestError,
    StripeNotFoundError,
    StripeRateLimitError,
)

__all__ = ["CONNECTION_CAUSES", "full_text", "redact", "wrap_stripe_error"]

_KEY_PATTERN = re.compile(r"\b((?:sk|rk|pk)_(?:test|live))_[0-9A-Za-z_]+")


def wrap_stripe_error(
    exc: Exception,
    api_key: str | None = None,
    *,
    api_base: str | None = None,
    settings: str | None = None,
) -> StripeError:
    """Translate a ``stripe.StripeError`` into the matching checkoutkit exception.

    A network error becomes a :class:`StripeConnectionError` whose ``code`` names the cause
    (see :data:`CONNECTION_CAUSES`) and whose one-line message names the host (from
    ``api_base``, Stripe's by default), the cause and the gateway's network ``settings``.
    """
    import stripe

    if isinstance(exc, stripe.APIConnectionError):
        return _unreachable(exc, api_base, settings)

    message = redact(getattr(exc, "user_message", None) or str(exc), api_key)
    error = getattr(exc, "error", None)  # the body's "error" object; not every class copies it
    code = getattr(exc, "code", None) or getattr(error, "code", None)
    param = getattr(exc, "param", None) or getattr(error, "param", None)
    decline_code = getattr(error, "decline_code", None)
    kind: type[StripeError] = StripeError
    if isinstance(exc, stripe.CardError):
        kind = StripeCardError
    elif isinstance(exc, stripe.IdempotencyError):
        kind = StripeIdempotencyError
    elif isinstance(exc, stripe.InvalidRequestError):
        not_found = code == "resource_missing" or getattr(exc, "http_status", None) == 404
        kind = StripeNotFoundError if not_found else StripeInvalidRequestError
    elif isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        kind = StripeAuthenticationError
    elif isinstance(exc, stripe.RateLimitError):
        kind = StripeRateLimitError
    return kind(
        message,
        code=code if isinstance(code, str) else None,
        param=param if isinstance(param, str) else None,
        http_status=getattr(exc, "http_status", None),
        request_id=getattr(exc, "request_id", None),
        decline_code=decline_code if isinstance(decline_code, str) else None,
    )


#: The ``code`` of a :class:`StripeConnectionError`, by cause, and how the message words it.
CONNECTION_CAUSES: Mapping[str, str] = {
    "dns_failure": "its host name did not resolve (DNS)",
    "connection_refused": "the connection was refused",
    "connect_timeout": "connecting timed out",
    "read_timeout": "it accepted the connection but did not answer in time",
    "timeout": "the request timed out",
    "tls_error": "the TLS handshake failed",
    "connection_closed": "it closed the connection without answering",
    "network_error": "a network error",
}

_CONNECT_TIMEOUTS = frozenset({"ConnectTimeout", "ConnectTimeoutError"})
_READ_TIMEOUTS = frozenset({"ReadTimeout", "ReadTimeoutError", "WriteTimeout", "PoolTimeout"})
_CLOSED = frozenset({"RemoteProtocolError", "ServerDisconnectedError", "IncompleteRead"})


def _unreachable(exc: Exception, api_base: str | None, settings: str | None) -> StripeError:
    cause = _connection_cause(exc)
    host = urlsplit(api_base).netloc if api_base else "api.stripe.com"
    reason = CONNECTION_CAUSES[cause]
    if cause == "network_error":
        reason += f" ({type(_innermost(exc)).__name__})"
    message = f"no answer from Stripe at {host}: {reason}"
    if settings:
        message += f" ({settings})"
    return StripeConnectionError(
        message,
        code=cause,
        http_status=getattr(exc, "http_status", None),
        request_id=getattr(exc, "request_id", None),
    )


def _connection_cause(exc: BaseException) -> str:
    """Which of :data:`CONNECTION_CAUSES` the chain of exceptions behind ``exc`` shows."""
    chain = _chain(exc)
    names = {cls.__name__ for error in chain for cls in type(error).__mro__}
    if any(isinstance(e, socket.gaierror) for e in chain) or "NameResolutionError" in names:
        return "dns_failure"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection_refused"
    if names & _CONNECT_TIMEOUTS:
        return "connect_timeout"
    if names & _READ_TIMEOUTS:
        return "read_timeout"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSLError" in names:
        return "tls_error"
    closed = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
    if any(isinstance(e, closed) for e in chain) or names & _CLOSED:
        return "connection_closed"
    if any(isinstance(e, TimeoutError) for e in chain):
        return "timeout"
    return "network_error"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: causes, contexts, urllib3's ``reason``, exceptions in args."""
    found: list[BaseException] = []
    todo = [exc]
    while todo and len(found) < 32:
        error = todo.pop(0)
        if any(error is seen for seen in found):
            continue
        found.append(error)
        links = (error.__cause__, error.__context__, getattr(error, "reason", None), *error.args)
        todo.extend(link for link in links if isinstance(link, BaseException))
    return found


def _innermost(exc: BaseException) -> BaseException:
    return _chain(exc)[-1]


def redact(text: str, api_key: str | None) -> str:
    if api_key:
        text = text.replace(api_key, _mask(api_key))
    return _KEY_PATTERN.sub(lambda m: m.group(1) + "_****", text)


def _mask(key: str) -> str:
    match = _KEY_PATTERN.match(key)
    return (match.group(1) if match else "key") + "_****"


def full_text(exc: BaseException) -> str:
    return " ".join((str(exc), repr(exc), str(getattr(exc, "http_body", "") or "")))
