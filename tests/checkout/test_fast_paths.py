"""The webhook fast paths keep behaviour: callbacks' threads, cached replies, the one-step claim."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import (
    ClaimOutcome,
    ConfigurationError,
    MemoryStore,
    SqliteStore,
    WebhookRouter,
    _endpoints,
)
from checkoutkit._checkout import Checkout, FulfilOutcome
from checkoutkit._events import CheckoutSession
from checkoutkit.testing import TEST_SECRET, sign_payload
from checkoutkit.testing import TEST_SECRET as _SECRET


def session() -> CheckoutSession:
    return CheckoutSession(id="cs_test_a1b2c3", status="complete", payment_status="paid")


def make_checkout(store: Any, fulfil: Callable[[CheckoutSession], Any], **kw: Any) -> Checkout:
    """A Checkout whose gateway is never called here (webhook and fulfil_session paths only)."""
    return Checkout(
        gateway=kw.pop("gateway", None),
        router=kw.pop("router", None) or WebhookRouter(secrets=_SECRET, store=store),
        store=store,
        build_session=lambda request: {},
        fulfil=fulfil,
        base_url="https://shop.example/checkout",
        **kw,
    )


def event_body(type_: str, payment_status: str, session_id: str, n: int) -> bytes:
    obj = {"id": session_id, "object": "checkout.session", "payment_status": payment_status,
           "status": "complete"}  # fmt: skip
    return json.dumps({"id": f"evt_{n}", "object": "event", "type": type_,
                       "data": {"object": obj}}).encode()  # fmt: skip


def _thread_of_callback(**kw: object) -> tuple[FulfilOutcome, int, int]:
    seen: list[int] = []

    def fulfil(s: CheckoutSession) -> None:
        seen.append(threading.get_ident())

    checkout = make_checkout(MemoryStore(), fulfil, **kw)

    async def main() -> tuple[FulfilOutcome, int]:
        return await checkout.fulfil_session_async(session()), threading.get_ident()

    outcome, loop_thread = asyncio.run(main())
    return outcome, seen[0], loop_thread


def test_plain_callbacks_run_in_a_worker_thread_by_default() -> None:
    """On the async path a plain fulfil callback runs off the event loop's thread by default."""
    outcome, callback_thread, loop_thread = _thread_of_callback()
    assert outcome is FulfilOutcome.FULFILLED
    assert callback_thread != loop_thread


def test_non_blocking_callbacks_run_on_the_event_loop() -> None:
    """With blocking_callbacks=False a plain fulfil callback runs on the loop, exactly once."""
    outcome, callback_thread, loop_thread = _thread_of_callback(blocking_callbacks=False)
    assert outcome is FulfilOutcome.FULFILLED
    assert callback_thread == loop_thread


def test_non_blocking_callback_failure_releases_the_claim() -> None:
    """A failing callback called on the loop still answers 500 and lets the redelivery fulfil."""
    calls: list[str] = []

    def fulfil(s: CheckoutSession) -> None:
        calls.append(s.id)
        if len(calls) == 1:
            raise RuntimeError("warehouse down")

    store = MemoryStore()
    checkout = make_checkout(store, fulfil, blocking_callbacks=False)
    body = event_body("checkout.session.completed", "paid", "cs_test_abc123", 1)
    headers = {"Stripe-Signature": sign_payload(body, TEST_SECRET)}
    first = asyncio.run(checkout.router.handle_async(body, headers))
    second = asyncio.run(checkout.router.handle_async(body, headers))
    third = asyncio.run(checkout.router.handle_async(body, headers))
    assert (first.status, second.status, third.status) == (500, 200, 200)
    assert json.loads(third.body).get("duplicate") is True
    assert calls == ["cs_test_abc123", "cs_test_abc123"]


@pytest.mark.parametrize("value", ["no", 0, None])
def test_blocking_callbacks_must_be_a_bool(value: object) -> None:
    """Anything but True or False for blocking_callbacks is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        make_checkout(MemoryStore(), lambda s: None, blocking_callbacks=value)


def test_webhook_replies_are_the_same_for_every_request() -> None:
    """Repeated webhook answers are equal replies, with the router's status, body and headers."""
    router = WebhookRouter(secrets=TEST_SECRET, store=MemoryStore())
    checkout = make_checkout(router.store, lambda s: None, router=router)
    body = event_body("checkout.session.completed", "paid", "cs_test_abc123", 2)
    headers = _endpoints.signature_headers(sign_payload(body, TEST_SECRET))
    first = _endpoints.webhook(checkout, body, headers)
    duplicate = _endpoints.webhook(checkout, body, headers)
    again = _endpoints.webhook(checkout, body, headers)
    assert (first.status, duplicate.status) == (200, 200)
    assert duplicate == again
    assert json.loads(duplicate.body) == {"received": True, "duplicate": True}
    assert duplicate.content_type == "application/json"
    unsigned = _endpoints.webhook(checkout, body, _endpoints.signature_headers(None))
    assert unsigned.status == 400


def test_sqlite_claim_of_a_new_key_then_of_a_known_one(tmp_path: Path) -> None:
    """A new key is claimed in one step; claiming it again is busy, then done once completed."""
    store = SqliteStore(tmp_path / "events.db")
    claim = store.claim("evt_1", type="checkout.session.completed", lease=30)
    assert (claim.outcome, claim.attempts) == (ClaimOutcome.CLAIMED, 1)
    record = store.get("evt_1")
    assert record is not None
    assert record.type == "checkout.session.completed"
    assert store.claim("evt_1", type="checkout.session.completed").outcome is ClaimOutcome.BUSY
    assert store.complete(claim)
    assert store.claim("evt_1", type="checkout.session.completed").outcome is ClaimOutcome.DONE
    store.close()
