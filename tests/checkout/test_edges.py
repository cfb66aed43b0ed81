"""Exactly once at the edges: store hiccups, slow handlers, cancellation, foreign sessions.

The stores here are real (SqliteStore on a file, MemoryStore); faults are injected by a wrapper
that delegates to the real store and fails at a named method, a given number of times.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import (
    EventStatus,
    MemoryStore,
    PermanentFailure,
    RetryLater,
    SqliteStore,
    StoreUnavailableError,
    WebhookRouter,
)
from checkoutkit._checkout import ORIGIN_KEY, Checkout, FulfilOutcome
from checkoutkit._events import CheckoutSession
from checkoutkit.testing import (
    TEST_SECRET,
    checkout_session,
    completed,
    expired,
    signed_request,
)

OURS = {ORIGIN_KEY: "checkoutkit"}


class FailingStore:
    """Delegates to a real store; ``fail[name] = n`` makes the next n calls of ``name`` raise."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.fail: dict[str, int] = {}
        self.calls: dict[str, int] = {}

    def _maybe_fail(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.fail.get(name, 0) > 0:
            self.fail[name] -= 1
            raise StoreUnavailableError(f"injected failure at {name}")

    def claim(self, key: str, **kw: Any) -> Any:
        self._maybe_fail("claim")
        return self.inner.claim(key, **kw)

    def complete(self, claim: Any) -> bool:
        self._maybe_fail("complete")
        return bool(self.inner.complete(claim))

    def renew(self, claim: Any, *, lease: float) -> bool:
        self._maybe_fail("renew")
        return bool(self.inner.renew(claim, lease=lease))

    def release(self, claim: Any, **kw: Any) -> bool:
        self._maybe_fail("release")
        return bool(self.inner.release(claim, **kw))

    def requeue(self, key: str) -> bool:
        return bool(self.inner.requeue(key))

    def get(self, key: str) -> Any:
        return self.inner.get(key)

    def records(self, **kw: Any) -> Any:
        return self.inner.records(**kw)


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "events.db") as store:
        yield store


def paid(session_id: str = "cs_test_edge1", **fields: Any) -> CheckoutSession:
    return CheckoutSession.from_dict(
        {"id": session_id, "status": "complete", "payment_status": "paid", "metadata": OURS}
        | fields
    )


def make_checkout(store: Any, fulfil: Callable[[CheckoutSession], Any], **kw: Any) -> Checkout:
    router = kw.pop("router", None) or WebhookRouter(secrets=TEST_SECRET, store=store)
    return Checkout(
        gateway=None,
        router=router,
        store=store,
        build_session=lambda request: {},
        fulfil=fulfil,
        base_url="https://shop.example/checkout",
        **kw,
    )


def deliver(router: WebhookRouter, body: bytes) -> tuple[int, dict[str, Any]]:
    response = router.handle(*signed_request(body))
    return response.status, json.loads(response.body)


# -- a store that fails after the work returned ------------------------------------------------


def test_a_returned_callback_is_not_run_again_when_complete_fails_once(sqlite: SqliteStore) -> None:
    """complete() raising once is retried in process: the callback ran once, and a redelivery
    after the lease finds the session fulfilled."""
    store = FailingStore(sqlite)
    orders: list[str] = []
    checkout = make_checkout(store, lambda s: orders.append(s.id), lease=0.5)
    store.fail["complete"] = 1
    body = completed(id="cs_test_edgecomplete")
    assert deliver(checkout.router, body)[0] == 200
    assert store.calls["complete"] == 2
    time.sleep(0.6)  # past the lease: a claim that was never completed could be taken over now
    status, answer = deliver(checkout.router, body)
    assert (status, answer) == (200, {"received": True, "duplicate": True})
    assert orders == ["cs_test_edgecomplete"]
    assert checkout.fulfilment_status("cs_test_edgecomplete") is EventStatus.SUCCEEDED


def test_a_plain_handler_is_not_run_again_when_complete_fails_once(sqlite: SqliteStore) -> None:
    """The router's own claim is completed the same way."""
    store = FailingStore(sqlite)
    router = WebhookRouter(secrets=TEST_SECRET, store=store, lease=0.5)
    seen: list[str] = []
    router.on("checkout.session.completed")(lambda event: seen.append(event.id))
    store.fail["complete"] = 1
    body = completed()
    assert deliver(router, body)[0] == 200
    time.sleep(0.6)
    assert deliver(router, body) == (200, {"received": True, "duplicate": True})
    assert len(seen) == 1


def test_completion_that_cannot_be_recorded_answers_503_and_says_why(
    sqlite: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    """When complete() keeps failing past the retry budget the webhook answers 503 (Stripe
    retries), and the log says the work may run again; nothing raises to the framework."""
    store = FailingStore(sqlite)
    router = WebhookRouter(secrets=TEST_SECRET, store=store, lease=0.2)
    router.on("checkout.session.completed")(lambda event: None)
    store.fail["complete"] = 10_000
    with caplog.at_level(logging.INFO, logger="checkoutkit"):
        status, _ = deliver(router, completed())
    assert status == 503
    assert store.calls["complete"] > 1
    assert any("may run again" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)


def test_a_store_down_at_claim_answers_503_without_a_traceback(
    sqlite: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Every store error reaching the webhook is a 503, logged in one line."""
    store = FailingStore(sqlite)
    orders: list[str] = []
    checkout = make_checkout(store, lambda s: orders.append(s.id))
    plain = WebhookRouter(secrets=TEST_SECRET, store=store)
    plain.on("checkout.session.expired")(lambda event: None)
    store.fail["claim"] = 2
    with caplog.at_level(logging.INFO, logger="checkoutkit"):
        assert deliver(checkout.router, completed())[0] == 503
        assert deliver(plain, expired())[0] == 503
    assert orders == []
    assert not any(r.exc_info for r in caplog.records)
    assert sum("503" in r.getMessage() for r in caplog.records) == 2


def test_fulfil_session_raises_store_errors_as_they_are(sqlite: SqliteStore) -> None:
    """The success page needs to tell "store down" (503) from "callback failed"."""
    store = FailingStore(sqlite)
    checkout = make_checkout(store, lambda s: None)
    store.fail["claim"] = 1
    with pytest.raises(StoreUnavailableError):
        checkout.fulfil_session(paid())
    assert checkout.fulfil_session(paid()) is FulfilOutcome.FULFILLED


# -- the lease is kept alive while the work runs -----------------------------------------------


class Clock:
    """A clock the test moves by hand, shared by the store (expiry) and the assertions."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


@pytest.mark.parametrize("path", ["sync", "async"])
def test_a_slow_handler_keeps_its_claim_past_the_lease(path: str) -> None:
    """While the callback runs, the lease is renewed: a concurrent attempt finds it in progress
    even after more than one lease has passed on the store's clock."""
    clock = Clock()
    store = MemoryStore(clock=clock)
    lease = 0.3
    release = threading.Event()
    running = threading.Event()
    orders: list[str] = []

    def fulfil(session: CheckoutSession) -> None:
        running.set()
        release.wait(30)
        orders.append(session.id)

    checkout = make_checkout(store, fulfil, lease=lease)
    results: list[FulfilOutcome] = []

    def first() -> None:
        if path == "sync":
            results.append(checkout.fulfil_session(paid()))
        else:
            results.append(asyncio.run(checkout.fulfil_session_async(paid())))

    worker = threading.Thread(target=first)
    worker.start()
    assert running.wait(10)
    key = "fulfil:cs_test_edge1"
    for _ in range(3):  # three leases pass on the store's clock; each time a renewal follows
        record = store.get(key)
        assert record is not None
        expires = record.lease_expires_at
        clock.now += lease * 0.9
        wait_for(lambda old=expires: getattr(store.get(key), "lease_expires_at", old) != old)
        assert checkout.fulfil_session(paid()) is FulfilOutcome.IN_PROGRESS
    release.set()
    worker.join(10)
    assert results == [FulfilOutcome.FULFILLED]
    assert orders == ["cs_test_edge1"]


def test_a_renewal_that_fails_is_tried_again() -> None:
    """A store hiccup during a renewal does not stop the renewals."""
    clock = Clock()
    store = FailingStore(MemoryStore(clock=clock))
    release = threading.Event()
    checkout = make_checkout(store, lambda s: release.wait(30), lease=0.3)
    store.fail["renew"] = 2
    worker = threading.Thread(target=checkout.fulfil_session, args=(paid(),))
    worker.start()
    wait_for(lambda: store.calls.get("renew", 0) >= 4)
    release.set()
    worker.join(10)
    assert store.get("fulfil:cs_test_edge1").status is EventStatus.SUCCEEDED


# -- cancellation ------------------------------------------------------------------------------


def test_cancelling_keeps_the_claim_until_the_threaded_callback_ends() -> None:
    """Cancelling fulfil_session_async while the plain callback runs in its worker thread: the
    claim stays until the callback returns and its outcome is recorded, no second attempt runs
    it meanwhile, and then the CancelledError propagates."""
    store = MemoryStore()
    release = threading.Event()
    running = threading.Event()
    calls: list[str] = []

    def fulfil(session: CheckoutSession) -> None:
        calls.append(session.id)
        running.set()
        release.wait(30)

    checkout = make_checkout(store, fulfil)

    async def main() -> None:
        task = asyncio.create_task(checkout.fulfil_session_async(paid()))
        while not running.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        for _ in range(50):  # let the cancellation reach the task
            await asyncio.sleep(0)
        assert not task.done()
        task.cancel()  # a second cancellation changes nothing
        assert await checkout.fulfil_session_async(paid()) is FulfilOutcome.IN_PROGRESS
        assert store.get("fulfil:cs_test_edge1").status is EventStatus.PROCESSING
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert store.get("fulfil:cs_test_edge1").status is EventStatus.SUCCEEDED
        assert await checkout.fulfil_session_async(paid()) is FulfilOutcome.ALREADY_FULFILLED

    asyncio.run(main())
    assert calls == ["cs_test_edge1"]


def test_cancelling_a_threaded_callback_that_fails_releases_after_it_ends() -> None:
    """The recorded outcome is the callback's: a failure releases the claim for a retry."""
    store = MemoryStore()
    release = threading.Event()
    running = threading.Event()

    def fulfil(session: CheckoutSession) -> None:
        running.set()
        release.wait(30)
        raise RuntimeError("warehouse offline")

    checkout = make_checkout(store, fulfil)

    async def main() -> None:
        task = asyncio.create_task(checkout.fulfil_session_async(paid()))
        while not running.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        record = store.get("fulfil:cs_test_edge1")
        assert record.status is EventStatus.PENDING
        assert "warehouse offline" in (record.last_error or "")

    asyncio.run(main())


def test_the_loops_shutdown_waits_for_a_threaded_callback() -> None:
    """asyncio.run() ending (a server shutting down cancels every task) while the callback
    runs: the outcome is still recorded once the callback returns, never released under it."""
    store = MemoryStore()
    running = threading.Event()

    def fulfil(session: CheckoutSession) -> None:
        running.set()
        time.sleep(0.2)

    checkout = make_checkout(store, fulfil)

    async def main() -> None:
        asyncio.get_running_loop().create_task(checkout.fulfil_session_async(paid()))
        while not running.is_set():
            await asyncio.sleep(0.001)
        # Returning now makes asyncio.run() cancel the task above, and wait for it.

    asyncio.run(main())
    assert store.get("fulfil:cs_test_edge1").status is EventStatus.SUCCEEDED


def test_cancelling_an_async_callback_releases_the_claim_and_propagates() -> None:
    """An async callback is cancelled with its caller: it did not finish, so it runs again."""
    store = MemoryStore()
    runs: list[str] = []

    async def main() -> None:
        running = asyncio.Event()

        async def fulfil(session: CheckoutSession) -> None:
            running.set()
            await asyncio.sleep(30)
            runs.append(session.id)

        checkout = make_checkout(store, fulfil)
        task = asyncio.create_task(checkout.fulfil_session_async(paid()))
        await running.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert store.get("fulfil:cs_test_edge1").status is EventStatus.PENDING

    asyncio.run(main())
    assert runs == []


# -- the success page and the webhook racing ---------------------------------------------------


def test_in_progress_elsewhere_is_a_409_with_one_info_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The webhook arriving while the success page fulfils the same session is expected: a 409
    (Stripe redelivers) and an INFO line, no ERROR and no traceback."""
    store = MemoryStore()
    release = threading.Event()
    running = threading.Event()

    def fulfil(session: CheckoutSession) -> None:
        running.set()
        release.wait(30)

    checkout = make_checkout(store, fulfil)
    body = completed(id="cs_test_edge1")
    page = threading.Thread(target=checkout.fulfil_session, args=(paid(),))
    page.start()
    assert running.wait(10)
    with caplog.at_level(logging.INFO, logger="checkoutkit"):
        status, _ = deliver(checkout.router, body)
    release.set()
    page.join(10)
    assert status == 409
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert "in progress elsewhere" in caplog.records[0].getMessage()
    assert deliver(checkout.router, body) == (200, {"received": True, "duplicate": True})


def test_a_handler_raising_retry_later_gets_409_and_runs_again() -> None:
    """RetryLater is public: any handler can ask for a redelivery without logging an error."""
    store = MemoryStore()
    router = WebhookRouter(secrets=TEST_SECRET, store=store)
    attempts: list[int] = []

    @router.on("checkout.session.completed")
    def handle(event: Any) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RetryLater("the order is not in our database yet")

    body = completed()
    assert deliver(router, body)[0] == 409
    assert deliver(router, body)[0] == 200
    assert len(attempts) == 2


# -- sessions this shop never created ----------------------------------------------------------


def test_sessions_without_the_marker_are_left_alone() -> None:
    """A session created elsewhere on the account is not fulfilled, on any path."""
    store = MemoryStore()
    orders: list[str] = []
    checkout = make_checkout(store, lambda s: orders.append(s.id))
    foreign = paid(metadata={"from": "payment_link"})
    assert checkout.fulfil_session(foreign) is FulfilOutcome.FOREIGN
    assert asyncio.run(checkout.fulfil_session_async(foreign)) is FulfilOutcome.FOREIGN
    other_origin = paid(metadata={ORIGIN_KEY: "another-shop"})
    assert checkout.fulfil_session(other_origin) is FulfilOutcome.FOREIGN
    assert orders == []
    assert store.get("fulfil:cs_test_edge1") is None


def test_a_foreign_session_webhook_is_a_200_and_one_info_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    orders: list[str] = []
    checkout = make_checkout(store, lambda s: orders.append(s.id))
    with caplog.at_level(logging.INFO, logger="checkoutkit"):
        status, _ = deliver(checkout.router, completed(metadata={}))
    assert status == 200
    assert orders == []
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert "not created through this Checkout" in caplog.records[0].getMessage()


def test_accept_session_opts_in_to_sessions_created_elsewhere() -> None:
    store = MemoryStore()
    orders: list[str] = []
    checkout = make_checkout(
        store,
        lambda s: orders.append(s.id),
        accept_session=lambda s: s.metadata.get("from") == "payment_link",
    )
    assert checkout.fulfil_session(paid(metadata={"from": "payment_link"})) is (
        FulfilOutcome.FULFILLED
    )
    assert checkout.fulfil_session(paid("cs_test_edge2", metadata={})) is FulfilOutcome.FOREIGN
    assert orders == ["cs_test_edge1"]


def test_setup_sessions_run_on_setup_once_and_never_fulfil() -> None:
    store = MemoryStore()
    orders: list[str] = []
    setups: list[str] = []
    checkout = make_checkout(store, lambda s: orders.append(s.id), on_setup=setups.append)
    setup = paid(mode="setup", payment_status="no_payment_required")
    assert checkout.fulfil_session(setup) is FulfilOutcome.FULFILLED
    body = completed(id="cs_test_edge1", mode="setup", payment_status="no_payment_required")
    assert deliver(checkout.router, body) == (200, {"received": True, "duplicate": True})
    assert orders == []
    assert [s.id for s in setups] == ["cs_test_edge1"]
    open_setup = paid("cs_test_edge2", mode="setup", status="open", payment_status="unpaid")
    assert checkout.fulfil_session(open_setup) is FulfilOutcome.NOT_PAID


def test_setup_sessions_without_on_setup_do_nothing() -> None:
    orders: list[str] = []
    checkout = make_checkout(MemoryStore(), lambda s: orders.append(s.id))
    setup = paid(mode="setup", payment_status="no_payment_required")
    assert checkout.fulfil_session(setup) is FulfilOutcome.NO_CALLBACK
    assert orders == []


def test_no_payment_required_payment_sessions_are_still_fulfilled() -> None:
    """A 100% discount (or a free trial) needs no payment but is an order all the same."""
    orders: list[str] = []
    checkout = make_checkout(MemoryStore(), lambda s: orders.append(s.id))
    free = paid(mode="subscription", payment_status="no_payment_required")
    assert checkout.fulfil_session(free) is FulfilOutcome.FULFILLED
    assert orders == ["cs_test_edge1"]


def test_created_sessions_carry_the_marker_and_keep_the_apps_metadata() -> None:
    from checkoutkit import CheckoutRequest

    checkout = Checkout(
        gateway=None,
        router=WebhookRouter(secrets=TEST_SECRET, store=None),
        store=MemoryStore(),
        build_session=lambda request: {"mode": "payment", "metadata": {"order": "7"}},
        fulfil=lambda s: None,
        base_url="https://shop.example/checkout",
        origin="shop-eu",
    )
    request = CheckoutRequest({}, {}, "https://s/success", "https://s/cancel")
    assert checkout.session_params(request)["metadata"] == {"order": "7", ORIGIN_KEY: "shop-eu"}
    marked = checkout_session(metadata={ORIGIN_KEY: "shop-eu"})
    assert checkout.created_here(CheckoutSession.from_dict(marked))


# -- malformed signed objects ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_object", "field"),
    [
        ({}, "$.id"),
        ({"object": "checkout.session", "payment_status": "paid"}, "$.id"),
        ({"id": "cs_test_x", "amount_total": "abc"}, "$.amount_total"),
        ({"id": "cs_test_x", "metadata": ["a", "b"]}, "$.metadata"),
        ({"id": "cs_test_x", "customer_details": "jenny"}, "$.customer_details"),
    ],
)
@pytest.mark.parametrize("store_kind", ["router-claims", "checkout-claims"])
def test_a_malformed_signed_object_is_a_400_naming_the_field(
    data_object: dict[str, Any],
    field: str,
    store_kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    router = WebhookRouter(secrets=TEST_SECRET, store=store)
    orders: list[str] = []
    make_checkout(store, lambda s: orders.append(s.id), router=router)
    if store_kind == "router-claims":  # an app handler of its own: the router claims the event
        router.on("checkout.session.completed")(lambda event: event.session)
    body = json.dumps(
        {
            "id": "evt_malformed",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": data_object},
        }
    ).encode()
    with caplog.at_level(logging.INFO, logger="checkoutkit"):
        status, answer = deliver(router, body)
    assert status == 400
    assert field in answer["reason"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "evt_malformed" in warnings[0].getMessage()
    assert field in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert orders == []
    if store_kind == "router-claims":  # recorded, so that it can be replayed once mended
        record = store.get("evt_malformed")
        assert record is not None
        assert record.status is EventStatus.FAILED


def test_permanent_failure_from_fulfil_is_recorded_as_failed() -> None:
    store = MemoryStore()

    def fulfil(session: CheckoutSession) -> None:
        raise PermanentFailure("this product no longer exists")

    checkout = make_checkout(store, fulfil)
    with pytest.raises(Exception, match="no longer exists"):
        checkout.fulfil_session(paid())
    assert store.get("fulfil:cs_test_edge1").status is EventStatus.FAILED
