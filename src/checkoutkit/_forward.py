"""Posting one signed event to a webhook endpoint, as ``checkoutkit trigger`` and ``listen`` do.

Standard library only (``urllib``), so both commands work on the core install.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import urllib.request

import attrs

from checkoutkit._signature import signature_header
from checkoutkit.exceptions import ConfigurationError

__all__ = ["SECRET_ENV", "Reply", "endpoint_url", "post_event", "webhook_secret"]

#: The environment variable both commands read the signing secret from, as applications do.
SECRET_ENV = "STRIPE_WEBHOOK_SECRET"  # noqa: S105 - a variable name, not a secret

_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks); checkoutkit-cli"


@attrs.frozen
class Reply:
    """What the endpoint answered: ``status`` and ``body``, or ``error`` when nothing came back."""

    url: str
    status: int | None
    body: str
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def endpoint_url(value: str) -> str:
    """An absolute http(s) URL; ``localhost:4242/webhook`` (as the Stripe CLI takes it) gets
    ``http://``. Raises :class:`~checkoutkit.ConfigurationError` for anything else."""
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urllib.parse.urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ConfigurationError(f"{value!r} has an invalid port") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(f"{value!r} is not an http(s) URL such as localhost:4242/webhook")
    return text


def webhook_secret(given: str | None) -> str:
    """``given``, else ``$STRIPE_WEBHOOK_SECRET``; a clear error when neither is a ``whsec_``."""
    secret = given if given is not None else os.environ.get(SECRET_ENV)
    if not secret:
        raise ConfigurationError(
            f"no webhook signing secret: pass --secret whsec_... or set {SECRET_ENV}"
        )
    if not secret.startswith("whsec_") or len(secret) <= len("whsec_"):
        raise ConfigurationError("the webhook signing secret must look like whsec_...")
    return secret


def post_event(url: str, body: bytes, secret: str, *, timeout: float = 10.0) -> Reply:
    """POST ``body`` to ``url`` signed with ``secret`` (now); never raises for network trouble."""
    request = urllib.request.Request(  # noqa: S310 - endpoint_url() admits http(s) only
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": _USER_AGENT,
            "Stripe-Signature": signature_header(body, (secret,), int(time.time())),
        },
    )
    started = time.monotonic()
    status: int | None = None
    text = ""
    error: str | None = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
            text = _text(response.read(_MAX_BODY))
    except urllib.error.HTTPError as exc:
        status = exc.code
        text = _text(exc.read(_MAX_BODY))
        exc.close()
    except (OSError, ValueError) as exc:
        error = _reason(exc)
    duration = round((time.monotonic() - started) * 1000, 1)
    return Reply(url, status, text, error, duration)


#: Bytes of an answer's body read and shown (an endpoint's answer is short; a page is cut).
_MAX_BODY = 64 * 1024


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _reason(exc: BaseException) -> str:
    """One line for a failed connection: ``connection refused``, ``timed out``, …"""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, TimeoutError):
        return "timed out waiting for an answer"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
