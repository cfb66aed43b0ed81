"""The webhook paths keep behaviour: callbacks' threads, the router's replies, one-step claims."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import ConfigurationError, MemoryStore, SqliteStore, WebhookRouter
from checkoutkit._checkout import ORIGIN_KEY, Checkout, FulfilOutcome
from checkoutkit._events import CheckoutSession
from checkoutkit.adapters import endpoints
from checkoutkit.stores import ClaimOutcome
from checkoutkit.testing import TEST_SECRET, sign_payload
from checkoutkit.testing import TEST_SECRET as _SECRET

OURS = {ORIGIN_KEY: "checkoutkit"}  # the marker of sessions created through Checkout


def session() -> CheckoutSession:
    return CheckoutSession(
        id="cs_test_a1b2c3", status="complete", payment_status="paid", metadata=dict(OURS)
    )


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
           "metadata": dict(OURS),
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


def test_webhook_replies_are_the_routers_own() -> None:
    """The webhook endpoint answers with the router's reply itself: one type, no conversion.

    Repeated answers are equal, with the router's status, body and JSON content type; the
    endpoint reads the signature among all the request headers, whatever their case.
    """
    router = WebhookRouter(secrets=TEST_SECRET, store=MemoryStore())
    checkout = make_checkout(router.store, lambda s: None, router=router)
    body = event_body("checkout.session.completed", "paid", "cs_test_abc123", 2)
    headers = {
        "content-type": "application/json",
        "STRIPE-SIGNATURE": sign_payload(body, TEST_SECRET),
    }
    first = endpoints.webhook(checkout, body, headers)
    duplicate = endpoints.webhook(checkout, body, headers)
    again = endpoints.webhook(checkout, body, headers)
    assert (first.status, duplicate.status) == (200, 200)
    assert duplicate == again
    assert duplicate == router.handle(body, headers)
    assert isinstance(duplicate, endpoints.Reply)
    assert json.loads(duplicate.body) == {"received": True, "duplicate": True}
    assert duplicate.content_type == "application/json"
    assert dict(duplicate.headers) == {"content-type": "application/json"}
    unsigned = endpoints.webhook(checkout, body, {"Content-Type": "application/json"})
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


def _deliver_twice(router: WebhookRouter, body: bytes, *, use_async: bool) -> list[Any]:
    headers = {"Stripe-Signature": sign_payload(body, TEST_SECRET)}
    if use_async:
        return [asyncio.run(router.handle_async(body, headers)) for _ in range(2)]
    return [router.handle(body, headers) for _ in range(2)]


@pytest.mark.parametrize("use_async", [False, True])
def test_paid_events_are_deduplicated_by_the_fulfil_claim_alone(use_async: bool) -> None:
    """Checkout's paid-event handler claims ``fulfil:<id>``; the router claims no event for it.

    One store key per fulfilled session, not two; the redelivery still answers "duplicate".
    """
    calls: list[str] = []
    store = MemoryStore()
    checkout = make_checkout(store, lambda s: calls.append(s.id), blocking_callbacks=False)
    body = event_body("checkout.session.completed", "paid", "cs_test_dedupe1", 1)
    first, again = _deliver_twice(checkout.router, body, use_async=use_async)
    assert (first.status, again.status) == (200, 200)
    assert json.loads(first.body) == {"received": True}
    assert json.loads(again.body) == {"received": True, "duplicate": True}
    assert calls == ["cs_test_dedupe1"]
    assert [record.key for record in store.records()] == ["fulfil:cs_test_dedupe1"]


@pytest.mark.parametrize("use_async", [False, True])
def test_an_unpaid_completion_is_not_a_duplicate_of_anything(use_async: bool) -> None:
    """A delayed payment's ``completed`` (unpaid) claims nothing, so its success event fulfils."""
    calls: list[str] = []
    store = MemoryStore()
    checkout = make_checkout(store, lambda s: calls.append(s.id), blocking_callbacks=False)
    unpaid = event_body("checkout.session.completed", "unpaid", "cs_test_sepa1", 1)
    answers = _deliver_twice(checkout.router, unpaid, use_async=use_async)
    assert [json.loads(a.body) for a in answers] == [{"received": True}] * 2
    assert store.records() == []
    paid = event_body("checkout.session.async_payment_succeeded", "paid", "cs_test_sepa1", 2)
    answers = _deliver_twice(checkout.router, paid, use_async=use_async)
    assert [a.status for a in answers] == [200, 200]
    assert calls == ["cs_test_sepa1"]


@pytest.mark.parametrize("use_async", [False, True])
def test_another_handler_on_a_paid_event_brings_back_the_event_claim(use_async: bool) -> None:
    """An application's own handler for ``checkout.session.completed`` still runs once per event."""
    store = MemoryStore()
    router = WebhookRouter(secrets=_SECRET, store=store)
    fulfilled: list[str] = []
    make_checkout(store, lambda s: fulfilled.append(s.id), router=router)
    seen: list[str] = []
    router.on("checkout.session.completed")(lambda event: seen.append(event.id))
    body = event_body("checkout.session.completed", "paid", "cs_test_mixed1", 7)
    first, again = _deliver_twice(router, body, use_async=use_async)
    assert json.loads(first.body) == {"received": True}
    assert json.loads(again.body) == {"received": True, "duplicate": True}
    assert (seen, fulfilled) == (["evt_7"], ["cs_test_mixed1"])
    assert {record.key for record in store.records()} == {"evt_7", "fulfil:cs_test_mixed1"}


def test_a_router_keeping_payloads_records_paid_events_for_replay() -> None:
    """With ``store_payload=True`` the paid events are claimed and kept, so they can be replayed."""
    store = MemoryStore()
    router = WebhookRouter(secrets=_SECRET, store=store, store_payload=True)
    make_checkout(store, lambda s: None, router=router)
    body = event_body("checkout.session.completed", "paid", "cs_test_kept1", 3)
    _deliver_twice(router, body, use_async=False)
    record = store.get("evt_3")
    assert record is not None
    assert record.payload == body


def test_sync_handle_inside_an_event_loop_fails_the_event_instead_of_dropping_it() -> None:
    """``router.handle`` called from async code cannot fulfil: 500, and Stripe redelivers.

    Checkout's handlers return a coroutine inside a running loop; the sync path must not
    answer 200 for an event whose fulfilment never ran.
    """
    calls: list[str] = []
    store = MemoryStore()
    checkout = make_checkout(store, lambda s: calls.append(s.id), blocking_callbacks=False)
    body = event_body("checkout.session.completed", "paid", "cs_test_inloop1", 11)
    headers = {"Stripe-Signature": sign_payload(body, TEST_SECRET)}

    async def wrongly() -> Any:
        return checkout.router.handle(body, headers)

    assert asyncio.run(wrongly()).status == 500
    assert calls == []
    assert asyncio.run(checkout.router.handle_async(body, headers)).status == 200
    assert calls == ["cs_test_inloop1"]
