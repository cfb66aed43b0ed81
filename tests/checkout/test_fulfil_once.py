"""Fulfil-once: the Checkout object runs the fulfil callback exactly once per paid session."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit import (
    CheckoutGateway,
    ConfigurationError,
    EventStatus,
    FulfilmentError,
    InvalidSessionError,
    MemoryStore,
    SqliteStore,
    WebhookRouter,
)
from checkoutkit._checkout import ORIGIN_KEY, Checkout, FulfilOutcome, check_session_id
from checkoutkit._events import CheckoutSession
from checkoutkit.testing import TEST_SECRET, sign_payload

SESSION_ID = "cs_test_a1b2c3d4e5f6g7h8i9j0"
OURS = {ORIGIN_KEY: "checkoutkit"}  # the marker of sessions created through Checkout


def unreachable_gateway() -> CheckoutGateway:
    """A real gateway aimed at a closed loopback port: any call it makes fails loudly."""
    import stripe

    client = stripe.StripeClient(
        "sk_test_unreachable", base_addresses={"api": "http://127.0.0.1:9"}, max_network_retries=0
    )
    return CheckoutGateway(client)


def session(payment_status: str = "paid", session_id: str = SESSION_ID) -> CheckoutSession:
    return CheckoutSession(
        id=session_id, status="complete", payment_status=payment_status, metadata=dict(OURS)
    )


def make_checkout(store: Any, fulfil: Callable[[CheckoutSession], Any], **kw: Any) -> Checkout:
    return Checkout(
        gateway=unreachable_gateway(),
        router=kw.pop("router", None) or WebhookRouter(secrets=TEST_SECRET, store=store),
        store=store,
        build_session=lambda request: {},
        fulfil=fulfil,
        base_url=kw.pop("base_url", "https://shop.example/checkout"),
        **kw,
    )


def event_body(type_: str, payment_status: str, session_id: str, n: int) -> bytes:
    data = {
        "id": f"evt_{n}",
        "object": "event",
        "type": type_,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "payment_status": payment_status,
                "metadata": dict(OURS),
                "status": "complete",
            }
        },
    }
    return json.dumps(data).encode()


def test_a_paid_session_is_fulfilled_once_however_often_asked() -> None:
    """Twenty calls for one paid session run the callback once; later calls say so."""
    calls: list[str] = []
    checkout = make_checkout(MemoryStore(), lambda s: calls.append(s.id))
    outcomes = [checkout.fulfil_session(session()) for _ in range(20)]
    assert calls == [SESSION_ID]
    assert outcomes[0] is FulfilOutcome.FULFILLED
    assert set(outcomes[1:]) == {FulfilOutcome.ALREADY_FULFILLED}
    assert checkout.fulfilment_status(SESSION_ID) is EventStatus.SUCCEEDED


@pytest.mark.parametrize("status", ["unpaid", None])
def test_an_unpaid_session_is_never_fulfilled(status: str | None) -> None:
    """A session whose payment has not arrived is not fulfilled and leaves no record."""
    calls: list[str] = []
    checkout = make_checkout(MemoryStore(), lambda s: calls.append(s.id))
    view = CheckoutSession(id=SESSION_ID, payment_status=status, metadata=dict(OURS))
    assert checkout.fulfil_session(view) is FulfilOutcome.NOT_PAID
    assert calls == []
    assert checkout.fulfilment_status(SESSION_ID) is None


def test_no_payment_required_is_fulfilled() -> None:
    """A session that needed no payment (100% discount) is fulfilled."""
    calls: list[str] = []
    checkout = make_checkout(MemoryStore(), lambda s: calls.append(s.id))
    assert checkout.fulfil_session(session("no_payment_required")) is FulfilOutcome.FULFILLED
    assert calls == [SESSION_ID]


def test_a_failing_callback_is_released_and_runs_again() -> None:
    """A callback that raises releases the claim, so the next call fulfils the order."""
    attempts: list[int] = []
    orders: list[str] = []

    def fulfil(s: CheckoutSession) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("warehouse offline")
        orders.append(s.id)

    checkout = make_checkout(MemoryStore(), fulfil)
    with pytest.raises(FulfilmentError, match="warehouse offline"):
        checkout.fulfil_session(session())
    assert checkout.fulfilment_status(SESSION_ID) is EventStatus.PENDING
    assert checkout.fulfil_session(session()) is FulfilOutcome.FULFILLED
    assert checkout.fulfil_session(session()) is FulfilOutcome.ALREADY_FULFILLED
    assert orders == [SESSION_ID]
    assert len(attempts) == 2


def test_concurrent_calls_fulfil_once_with_sqlite(tmp_path: Path) -> None:
    """Eight threads asking at once (one SqliteStore) run the callback exactly once."""
    orders: list[str] = []
    start = threading.Barrier(8)

    def fulfil(s: CheckoutSession) -> None:
        time.sleep(0.05)  # hold the claim while the others arrive
        orders.append(s.id)

    with SqliteStore(tmp_path / "events.db") as store:
        checkout = make_checkout(store, fulfil)
        outcomes: list[FulfilOutcome] = []

        def worker() -> None:
            start.wait()
            outcomes.append(checkout.fulfil_session(session()))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert orders == [SESSION_ID]
    assert outcomes.count(FulfilOutcome.FULFILLED) == 1
    assert set(outcomes) <= {
        FulfilOutcome.FULFILLED,
        FulfilOutcome.IN_PROGRESS,
        FulfilOutcome.ALREADY_FULFILLED,
    }


def test_async_fulfilment_with_plain_and_async_callbacks() -> None:
    """``fulfil_session_async`` takes plain and async callbacks and still fulfils once."""
    orders: list[str] = []

    async def fulfil_async(s: CheckoutSession) -> None:
        orders.append("async:" + s.id)

    async def main() -> list[FulfilOutcome]:
        first = make_checkout(MemoryStore(), fulfil_async)
        second = make_checkout(MemoryStore(), lambda s: orders.append("plain:" + s.id))
        results = await asyncio.gather(*(first.fulfil_session_async(session()) for _ in range(5)))
        results += [await second.fulfil_session_async(session()) for _ in range(2)]
        return list(results)

    outcomes = asyncio.run(main())
    assert sorted(orders) == [f"async:{SESSION_ID}", f"plain:{SESSION_ID}"]
    assert outcomes.count(FulfilOutcome.FULFILLED) == 2


def test_an_async_callback_runs_on_the_sync_path_outside_an_event_loop() -> None:
    """An async fulfil callback also works from sync code (Flask, Django) and runs once."""
    orders: list[str] = []

    async def fulfil(s: CheckoutSession) -> None:
        orders.append(s.id)

    checkout = make_checkout(MemoryStore(), fulfil)
    assert checkout.fulfil_session(session()) is FulfilOutcome.FULFILLED
    assert checkout.fulfil_session(session()) is FulfilOutcome.ALREADY_FULFILLED
    assert orders == [SESSION_ID]


def test_sync_fulfil_inside_an_event_loop_with_an_async_callback_is_refused() -> None:
    """Sync fulfilment inside a running loop cannot await an async callback: the error says so."""

    async def fulfil(s: CheckoutSession) -> None:
        return None

    checkout = make_checkout(MemoryStore(), fulfil)

    async def main() -> None:
        checkout.fulfil_session(session())

    with pytest.raises(FulfilmentError) as info:
        asyncio.run(main())
    assert isinstance(info.value.__cause__, ConfigurationError)
    assert checkout.fulfilment_status(SESSION_ID) is EventStatus.PENDING


def test_a_malformed_session_id_never_reaches_the_gateway() -> None:
    """``fulfil`` rejects a malformed id before the (unreachable) gateway is called."""
    checkout = make_checkout(MemoryStore(), lambda s: None)
    for bad in [
        "",
        "cs_test_",
        "pi_123",
        "cs_test_../../v1/customers",
        "cs_prod_abc",
        "cs_test_a b",
    ]:
        with pytest.raises(InvalidSessionError) as info:
            checkout.fulfil(bad)
        assert info.value.problems[0].param == "session_id"


@settings(max_examples=examples(200))
@given(st.text(max_size=300))
def test_session_id_check_accepts_only_the_documented_shape(text: str) -> None:
    """Any text either passes the shape check unchanged or raises InvalidSessionError."""
    try:
        assert check_session_id(text) == text
    except InvalidSessionError:
        return
    assert text.startswith(("cs_test_", "cs_live_"))
    assert text.split("_", 2)[2].isascii()
    assert text.split("_", 2)[2].isalnum()


@given(st.sampled_from(["cs_test_", "cs_live_"]), st.text("abcXYZ0189", min_size=1, max_size=200))
def test_well_formed_session_ids_pass(prefix: str, rest: str) -> None:
    """Every cs_test_/cs_live_ id made of letters and digits passes the shape check."""
    assert check_session_id(prefix + rest) == prefix + rest


def test_configuration_needs_a_base_url_or_allowed_hosts() -> None:
    """Without base_url or allowed_hosts there is no safe way to build URLs: refused at once."""
    with pytest.raises(ConfigurationError, match="base_url"):
        Checkout(
            gateway=unreachable_gateway(),
            router=WebhookRouter(secrets=TEST_SECRET, store=None),
            store=MemoryStore(),
            build_session=lambda r: {},
            fulfil=lambda s: None,
        )
    for bad in ["shop.example", "ftp://shop.example", "https://shop.example/?x=1"]:
        with pytest.raises(ConfigurationError, match="base_url"):
            make_checkout(MemoryStore(), lambda s: None, base_url=bad)


def test_urls_come_from_base_url_not_from_the_request() -> None:
    """With base_url set, the request's host plays no part in the success and cancel URLs."""
    checkout = make_checkout(MemoryStore(), lambda s: None)
    success, cancel = checkout.urls_for("http://evil.example/x")
    assert success == "https://shop.example/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    assert cancel == "https://shop.example/checkout/cancel"


def test_request_hosts_are_used_only_when_allowed() -> None:
    """Without base_url, a request host is used only if it is one of allowed_hosts."""
    checkout = make_checkout(
        MemoryStore(), lambda s: None, base_url=None, allowed_hosts=["shop.example"]
    )
    assert checkout.urls_for("https://shop.example/pay")[1] == "https://shop.example/pay/cancel"
    for root in ["https://evil.example/pay", "https://shop.example.evil.example/pay", "x"]:
        with pytest.raises(ConfigurationError):
            checkout.urls_for(root)


def test_the_four_checkout_events_are_registered() -> None:
    """Creating a Checkout registers its handlers for the four checkout.session events."""
    router = WebhookRouter(secrets=TEST_SECRET, store=None)
    make_checkout(MemoryStore(), lambda s: None, router=router)
    for type_ in (
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    ):
        assert len(router.handlers_for(type_)) == 1, type_


@pytest.mark.parametrize("path", ["sync", "async"])
def test_events_fulfil_fail_and_expire_as_documented(path: str) -> None:
    """Paid events fulfil once; unpaid completion waits; failure and expiry never fulfil."""
    store = MemoryStore()
    router = WebhookRouter(secrets=TEST_SECRET, store=store)
    orders: list[str] = []
    failed: list[str] = []
    expired: list[str] = []
    make_checkout(
        store,
        lambda s: orders.append(s.id),
        router=router,
        on_payment_failed=lambda s: failed.append(s.id),
        on_expired=lambda s: expired.append(s.id),
    )
    deliveries = [
        ("checkout.session.completed", "unpaid", "cs_test_sepa1"),
        ("checkout.session.async_payment_succeeded", "paid", "cs_test_sepa1"),
        ("checkout.session.async_payment_succeeded", "paid", "cs_test_sepa1"),
        ("checkout.session.completed", "unpaid", "cs_test_sepa2"),
        ("checkout.session.async_payment_failed", "unpaid", "cs_test_sepa2"),
        ("checkout.session.expired", "unpaid", "cs_test_gone3"),
    ]
    for n, (type_, status, sid) in enumerate(deliveries):
        body = event_body(type_, status, sid, n)
        headers = {"Stripe-Signature": sign_payload(body, TEST_SECRET)}
        if path == "sync":
            response = router.handle(body, headers)
        else:
            response = asyncio.run(router.handle_async(body, headers))
        assert response.status == 200, (type_, response.body)
    assert orders == ["cs_test_sepa1"]
    assert failed == ["cs_test_sepa2"]
    assert expired == ["cs_test_gone3"]
