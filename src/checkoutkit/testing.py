"""Helpers for testing applications built on checkoutkit (also a pytest plugin).

Sign payloads the way Stripe does, build Stripe-shaped Checkout events, and get ``(body,
headers)`` ready for :meth:`checkoutkit.WebhookRouter.handle` — no network, no Stripe account.
Installed with checkoutkit, the pytest plugin provides the fixtures ``webhook_secret``,
``sign_webhook`` and ``webhook_router``.

This module never imports pytest itself: the fixtures live in ``checkoutkit._pytest_fixtures``,
which pytest loads when it loads this plugin (``pytest_plugins`` below).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from checkoutkit._signature import signature_header

__all__ = [
    "TEST_SECRET",
    "async_payment_failed",
    "async_payment_succeeded",
    "checkout_event",
    "checkout_session",
    "completed",
    "expired",
    "sign_payload",
    "signed_request",
]

#: pytest imports these with this plugin; the fixtures import this module, never the reverse.
pytest_plugins = ["checkoutkit._pytest_fixtures"]

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
    return signature_header(body, secrets, stamp)


def signed_request(
    body: bytes | str,
    secret: str | Sequence[str] = TEST_SECRET,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Return ``(body, headers)`` ready for :meth:`~checkoutkit.WebhookRouter.handle`."""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign_payload(raw, secret, timestamp),
    }
    return raw, headers


def checkout_session(**fields: Any) -> dict[str, Any]:
    """A completed, paid Checkout Session in payment mode, as Stripe serialises it.

    Keyword arguments replace fields (``payment_status="unpaid"``, ``metadata={...}``, …), and
    the fields Stripe keeps consistent with them follow, so that the typed
    :class:`~checkoutkit.CheckoutSession` reads what was asked for:

    - ``customer_email`` is also the email in ``customer_details`` (Stripe prefills it and the
      customer cannot change it), so ``session.email`` is that address;
    - ``mode="subscription"`` gives the session a ``subscription`` id and no ``payment_intent``;
      ``mode="setup"`` a ``setup_intent``, no amounts and ``payment_status``
      ``"no_payment_required"``.

    A field given explicitly always wins over what follows from another one.
    """
    return _session({}, fields)


def _session(defaults: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The default session, then a factory's ``defaults``, what follows from ``fields``, them."""
    now = int(time.time())
    session: dict[str, Any] = {
        "id": "cs_test_" + _token(58),
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": False,
        "amount_subtotal": 4500,
        "amount_total": 4950,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": "https://example.com/checkout/cancel",
        "client_reference_id": "order_8842",
        "client_secret": None,
        "consent": None,
        "created": now - 60,
        "currency": "usd",
        "custom_fields": [],
        "customer": "cus_" + _token(14),
        "customer_creation": "always",
        "customer_details": {
            "address": {
                "city": "Berlin",
                "country": "DE",
                "line1": "Musterstrasse 12",
                "line2": None,
                "postal_code": "10115",
                "state": None,
            },
            "email": "jenny.rosen@example.com",
            "name": "Jenny Rosen",
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "customer_email": None,
        "discounts": [],
        "expires_at": now + 86340,
        "invoice": None,
        "livemode": False,
        "locale": "auto",
        "metadata": {"order_id": "8842", "checkoutkit_origin": "checkoutkit"},
        "mode": "payment",
        "payment_intent": "pi_" + _token(24),
        "payment_link": None,
        "payment_method_types": ["card"],
        "payment_status": "paid",
        "setup_intent": None,
        "shipping_cost": None,
        "status": "complete",
        "submit_type": None,
        "subscription": None,
        "success_url": "https://example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 450},
        "ui_mode": "hosted",
        "url": None,
    }
    session.update(defaults)
    session.update(_following(session, fields))
    session.update(fields)
    return session


def _following(session: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields Stripe keeps consistent with the given ``fields``."""
    follow: dict[str, Any] = {}
    details = session.get("customer_details")
    if fields.get("customer_email") is not None and isinstance(details, Mapping):
        follow["customer_details"] = {**details, "email": fields["customer_email"]}
    if fields.get("mode") == "subscription":
        follow.update(subscription="sub_" + _token(24), payment_intent=None)
    elif fields.get("mode") == "setup":
        follow.update(
            setup_intent="seti_" + _token(24),
            payment_intent=None,
            payment_status="no_payment_required",
            amount_subtotal=None,
            amount_total=None,
            currency=None,
            total_details=None,
        )
    return follow


def checkout_event(
    event_type: str,
    session: Mapping[str, Any] | None = None,
    *,
    event_id: str | None = None,
    created: int | None = None,
    api_version: str | None = None,
    account: str | None = None,
) -> bytes:
    """A ``checkout.session.*`` event wrapping ``session`` as Stripe-shaped JSON bytes.

    ``api_version`` defaults to the version the installed stripe SDK is pinned to.
    """
    obj = dict(session) if session is not None else checkout_session()
    event: dict[str, Any] = {
        "id": event_id or "evt_" + _token(24),
        "object": "event",
        "api_version": api_version or _pinned_api_version(),
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": bool(obj.get("livemode", False)),
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account is not None:
        event["account"] = account
    return json.dumps(event, indent=2).encode("utf-8")


def completed(**fields: Any) -> bytes:
    """``checkout.session.completed`` for a paid session (``payment_status="unpaid"`` for a
    delayed payment method, whose outcome arrives later as an async_payment_* event)."""
    return checkout_event("checkout.session.completed", checkout_session(**fields))


def async_payment_succeeded(**fields: Any) -> bytes:
    """``checkout.session.async_payment_succeeded``: a delayed payment went through."""
    return checkout_event(
        "checkout.session.async_payment_succeeded",
        _session({"payment_status": "paid"}, fields),
    )


def async_payment_failed(**fields: Any) -> bytes:
    """``checkout.session.async_payment_failed``: a delayed payment failed; do not fulfil."""
    return checkout_event(
        "checkout.session.async_payment_failed",
        _session({"payment_status": "unpaid"}, fields),
    )


def expired(**fields: Any) -> bytes:
    """``checkout.session.expired``: the customer never paid; release what was reserved."""
    defaults: dict[str, Any] = {
        "status": "expired",
        "payment_status": "unpaid",
        "customer": None,
        "customer_details": None,
        "payment_intent": None,
        "url": None,
    }
    return checkout_event("checkout.session.expired", _session(defaults, fields))


def _token(length: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(length))


def _pinned_api_version() -> str:
    from checkoutkit._event_types import pinned_api_version

    return pinned_api_version()
