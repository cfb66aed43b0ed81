"""``checkoutkit trigger``: realistic, signed events of the types Checkout and billing send.

Checkout events come from :mod:`checkoutkit.testing`'s factories, so they carry the
``checkoutkit_origin`` marker and a default :class:`~checkoutkit.Checkout` fulfils them; the
session fields those leave out are added from the fixtures.
Subscription, invoice and PaymentIntent events wrap the objects in ``_fixtures/objects.json``
(shaped as the pinned stripe SDK declares them; a test checks every field), with fresh ids and
timestamps of now on each call, so an endpoint that keeps events exactly once handles each one.
"""

from __future__ import annotations

import copy
import difflib
import json
import secrets
import string
import time
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, Final

from checkoutkit import testing
from checkoutkit.exceptions import UnknownEventTypeError

__all__ = ["SUPPORTED", "event_payload", "fixture_object"]

#: Seconds in one billing period of the fixtures' monthly subscription.
_MONTH: Final = 30 * 86400
#: The time the fixtures were written at; every timestamp moves by now minus this.
_FIXTURE_TIME: Final = 1_700_000_000
#: Keys whose integer values are timestamps.
_TIME_KEYS: Final = frozenset(
    {
        "billing_cycle_anchor",
        "canceled_at",
        "cancel_at",
        "created",
        "current_period_end",
        "current_period_start",
        "effective_at",
        "end",
        "ended_at",
        "finalized_at",
        "next_payment_attempt",
        "paid_at",
        "period_end",
        "period_start",
        "start",
        "start_date",
        "webhooks_delivered_at",
    }
)
#: Placeholder ids in the fixtures, replaced by fresh ones (with this many random characters).
_IDS: Final = {
    "cus_TRIGGER": 14,
    "sub_TRIGGER": 24,
    "si_TRIGGER": 14,
    "in_TRIGGER": 24,
    "il_TRIGGER": 24,
    "pi_TRIGGER": 24,
    "pm_TRIGGER": 24,
    "ch_TRIGGER": 24,
    "price_TRIGGER": 24,
    "prod_TRIGGER": 14,
}

#: What a billing event is made of: its object and, for an update, the previous attributes.
_Made = tuple[dict[str, Any], "dict[str, Any] | None"]


def fixture_object(kind: str) -> dict[str, Any]:
    """A fresh copy of the fixture ``subscription``, ``invoice`` or ``payment_intent``, with new
    ids (consistent across the three) and timestamps around now."""
    return _fresh(int(time.time()))[kind]


def _fresh(now: int) -> dict[str, dict[str, Any]]:
    text = _fixtures_text()
    for placeholder, length in _IDS.items():
        prefix = placeholder.removesuffix("TRIGGER")
        text = text.replace(placeholder, prefix + _token(length))
    text = text.replace("TRIGGER", _token(16))  # secrets, URLs and the invoice number
    objects: dict[str, dict[str, Any]] = json.loads(text)
    _shift(objects, now - _FIXTURE_TIME)
    return objects


@cache
def _fixtures_text() -> str:
    path = resources.files("checkoutkit").joinpath("_fixtures").joinpath("objects.json")
    return path.read_text(encoding="utf-8")


def _shift(value: Any, delta: int) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _TIME_KEYS and isinstance(item, int) and not isinstance(item, bool):
                value[key] = item + delta
            else:
                _shift(item, delta)
    elif isinstance(value, list):
        for item in value:
            _shift(item, delta)


def _token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


_ALPHABET: Final = string.digits + string.ascii_letters


# -- the events ---------------------------------------------------------------------------------


def _payment_succeeded(objects: dict[str, dict[str, Any]], now: int) -> _Made:
    return objects["payment_intent"], None


def _payment_failed(objects: dict[str, dict[str, Any]], now: int) -> _Made:
    pi = objects["payment_intent"]
    method = pi["payment_method"]
    pi.update(
        status="requires_payment_method",
        amount_received=0,
        payment_method=None,
        last_payment_error={
            "advice_code": None,
            "charge": pi["latest_charge"],
            "code": "card_declined",
            "decline_code": "generic_decline",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card was declined.",
            "network_advice_code": None,
            "network_decline_code": None,
            "param": None,
            "payment_intent": None,
            "payment_method": {"id": method, "object": "payment_method", "type": "card"},
            "payment_method_type": "card",
            "request_log_url": None,
            "setup_intent": None,
            "source": None,
            "type": "card_error",
        },
    )
    return pi, None


def _subscription_created(objects: dict[str, dict[str, Any]], now: int) -> _Made:
    return objects["subscription"], None


def _subscription_updated(objects: dict[str, dict[str, Any]], now: int) -> _Made:
    sub = objects["subscription"]
    end = sub["items"]["data"][0]["current_period_end"]
    previous = {
        "cancel_at": None,
        "cancel_at_period_end": False,
        "cancellation_details": copy.deepcopy(sub["cancellation_details"]),
    }
    sub.update(cancel_at=end, cancel_at_period_end=True)
    sub["cancellation_details"]["reason"] = "cancellation_requested"
    return sub, previous


def _subscription_deleted(objects: dict[str, dict[str, Any]], now: int) -> _Made:
    sub = objects["subscription"]
    sub.update(status="canceled", canceled_at=now, ended_at=now)
    sub["cancellation_details"]["reason"] = "cancellation_requested"
    return sub, None


def _invoice_paid(objects: dict[str, dict[str, Any]], now: int) -> _Made:
    return objects["invoice"], None


def _invoice_failed(objects: dict[str, dict[str, Any]], now: int) -> _Made:
    invoice = objects["invoice"]
    invoice.update(
        status="open",
        amount_paid=0,
        amount_remaining=invoice["amount_due"],
        next_payment_attempt=now + 3 * 86400,
    )
    invoice["status_transitions"]["paid_at"] = None
    return invoice, None


_CHECKOUT: Final[dict[str, Callable[..., bytes]]] = {
    "checkout.session.completed": testing.completed,
    "checkout.session.async_payment_succeeded": testing.async_payment_succeeded,
    "checkout.session.async_payment_failed": testing.async_payment_failed,
    "checkout.session.expired": testing.expired,
}
_BILLING: Final[dict[str, Callable[[dict[str, dict[str, Any]], int], _Made]]] = {
    "customer.subscription.created": _subscription_created,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
}

#: The event types ``checkoutkit trigger`` sends, in the order its help lists them.
SUPPORTED: Final[tuple[str, ...]] = (*_CHECKOUT, *_BILLING)


def event_payload(event_type: str) -> bytes:
    """A Stripe-shaped event of ``event_type`` as JSON bytes, with a fresh ``evt_`` id.

    Raises :class:`~checkoutkit.UnknownEventTypeError` for a type not in :data:`SUPPORTED`,
    naming close matches.
    """
    checkout = _CHECKOUT.get(event_type)
    if checkout is not None:
        return _complete_session(checkout())
    billing = _BILLING.get(event_type)
    if billing is None:
        raise UnknownEventTypeError(unsupported_message(event_type))
    now = int(time.time())
    obj, previous = billing(_fresh(now), now)
    event: dict[str, Any] = json.loads(testing.checkout_event(event_type, obj, created=now))
    if previous is not None:
        event["data"]["previous_attributes"] = previous
    return json.dumps(event, indent=2).encode("utf-8")


def _complete_session(payload: bytes) -> bytes:
    """The factory's event with the session fields it leaves out, as Stripe sends them."""
    event: dict[str, Any] = json.loads(payload)
    session = event["data"]["object"]
    extra = _fresh(int(time.time()))["checkout_session_extra"]
    if session.get("amount_total") is not None:
        extra["presentment_details"] = {
            "presentment_amount": session["amount_total"],
            "presentment_currency": session["currency"],
        }
    # Fields of the pinned SDK's session that the factory's nested objects predate.
    if session.get("ui_mode") == "hosted":
        session["ui_mode"] = "hosted_page"
    if isinstance(session.get("automatic_tax"), dict):
        session["automatic_tax"].setdefault("provider", None)
    if isinstance(session.get("customer_details"), dict):
        session["customer_details"].setdefault("business_name", None)
        session["customer_details"].setdefault("individual_name", None)
    event["data"]["object"] = {**extra, **session}
    return json.dumps(event, indent=2).encode("utf-8")


def unsupported_message(event_type: str) -> str:
    """Why ``event_type`` cannot be triggered: the close matches, then every supported type."""
    close = difflib.get_close_matches(event_type, SUPPORTED, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    listed = "\n".join(f"  {name}" for name in SUPPORTED)
    return f"cannot trigger {event_type!r}.{hint}\nSupported event types:\n{listed}"
