"""WebhookRouter: every status-code rule, dispatch, registration checks, sync and async paths."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit import (
    ConfigurationError,
    Event,
    EventStatus,
    MemoryStore,
    PermanentFailure,
    SqliteStore,
    UnknownEventTypeError,
    WebhookResponse,
    WebhookRouter,
)
from checkoutkit import testing as ck_testing
from checkoutkit.stores import Claim, ClaimOutcome, EventRecord
from checkoutkit.testing import TEST_SECRET, sign_payload, signed_request

from . import strategies

COMPLETED = "checkout.session.completed"


def _router(store: Any = None, **kw: Any) -> WebhookRouter:
    return WebhookRouter(secrets=TEST_SECRET, store=store, **kw)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def router(store: MemoryStore) -> WebhookRouter:
    return _router(store)


@pytest.fixture
def seen(router: WebhookRouter) -> list[Event]:
    """Events the router's ``checkout.session.completed`` handler received."""
    events: list[Event] = []
    router.on(COMPLETED)(events.append)
    return events


def _body(event_id: str = "evt_test_1", event_type: str = COMPLETED, **session: Any) -> bytes:
    return ck_testing.checkout_event(
        event_type, ck_testing.checkout_session(**session), event_id=event_id
    )


# -- status codes ----------------------------------------------------------------------------


def test_handled_event_answers_200_and_passes_a_typed_event(
    router: WebhookRouter, seen: list[Event], store: MemoryStore
) -> None:
    """A signed event with a handler → 200; the handler gets an Event with a typed session."""
    response = router.handle(*signed_request(_body(client_reference_id="order_1")))
    assert (response.status, response.ok) == (200, True)
    assert json.loads(response.body) == {"received": True}
    assert response.headers["content-type"] == "application/json"
    [event] = seen
    assert event.id == "evt_test_1"
    assert event.session is not None
    assert event.session.client_reference_id == "order_1"
    record = store.get("evt_test_1")
    assert record is not None
    assert (record.status, record.type, record.attempts) == (EventStatus.SUCCEEDED, COMPLETED, 1)


def test_bad_signature_answers_400_with_a_generic_body_and_logs_the_reason(
    router: WebhookRouter, seen: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong secret → 400 whose body says nothing specific; the reason goes to the log."""
    body = _body()
    headers = {"Stripe-Signature": sign_payload(body, "whsec_someone_else")}
    with caplog.at_level(logging.WARNING, logger="checkoutkit.webhooks"):
        response = router.handle(body, headers)
    assert response.status == 400
    assert json.loads(response.body) == {"error": "invalid signature"}
    assert "no_match" in caplog.text
    assert seen == []


def test_missing_signature_header_answers_400(router: WebhookRouter, seen: list[Event]) -> None:
    """No Stripe-Signature header → 400, handlers not run."""
    assert router.handle(_body(), {"Content-Type": "application/json"}).status == 400
    assert seen == []


def test_expired_signature_answers_400(router: WebhookRouter, seen: list[Event]) -> None:
    """A signature older than the tolerance (a replay) → 400."""
    body = _body()
    response = router.handle(*signed_request(body, timestamp=1_000_000_000))
    assert response.status == 400
    assert seen == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"id": "evt_1"}',
        b'{"id": 1, "type": "x", "data": {"object": {}}}',
        b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": []}}',
        b"[" * 100_000,
    ],
)
def test_signed_body_that_is_not_an_event_answers_400(
    router: WebhookRouter, seen: list[Event], body: bytes
) -> None:
    """Correctly signed, but not JSON or not shaped like an event → 400, nothing run."""
    response = router.handle(*signed_request(body))
    assert response.status == 400
    assert json.loads(response.body) == {"error": "invalid payload"}
    assert seen == []


def test_body_over_the_limit_answers_413_before_any_signature_check(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A body over ``max_body_bytes`` → 413 even without a signature: size is checked first."""
    router = _router(MemoryStore(), max_body_bytes=1000)
    big = _body(metadata={"pad": "x" * 2000})
    with caplog.at_level(logging.WARNING, logger="checkoutkit.webhooks"):
        assert router.handle(big, {}).status == 413
        assert router.handle(*signed_request(big)).status == 413
    assert "no_match" not in caplog.text
    assert "missing_header" not in caplog.text
    small = _body()
    assert len(small) < 3000
    assert _router(MemoryStore(), max_body_bytes=len(small)).handle(*signed_request(small)).ok


def test_unhandled_type_answers_200_without_touching_the_store(
    router: WebhookRouter, seen: list[Event], store: MemoryStore
) -> None:
    """An event type nobody handles → 200, ignored, not recorded."""
    response = router.handle(*signed_request(_body(event_type="checkout.session.expired")))
    assert response.status == 200
    assert json.loads(response.body) == {"received": True, "handled": False}
    assert store.records() == []
    assert seen == []


def test_failing_handler_answers_500_and_redelivery_runs_it_again(
    router: WebhookRouter, store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler that raises → 500 and the event stays unprocessed; the retry runs it → 200."""
    calls: list[str] = []

    @router.on(COMPLETED)
    def flaky(event: Event) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("database is down")

    request = signed_request(_body())
    with caplog.at_level(logging.ERROR, logger="checkoutkit.webhooks"):
        assert router.handle(*request).status == 500
    assert "database is down" in caplog.text
    record = store.get("evt_test_1")
    assert record is not None
    assert record.status is EventStatus.PENDING
    assert record.last_error == "RuntimeError: database is down"
    assert router.handle(*request).status == 200
    assert router.handle(*request).status == 200
    assert calls == ["evt_test_1", "evt_test_1"]
    final = store.get("evt_test_1")
    assert final is not None
    assert (final.status, final.attempts) == (EventStatus.SUCCEEDED, 2)


def test_permanent_failure_answers_200_and_is_recorded_as_failed(
    router: WebhookRouter, store: MemoryStore
) -> None:
    """``PermanentFailure`` → 200 (no retry), recorded ``failed``; redeliveries do not run it."""
    calls: list[str] = []

    @router.on(COMPLETED)
    def refuse(event: Event) -> None:
        calls.append(event.id)
        raise PermanentFailure("order was cancelled")

    request = signed_request(_body())
    response = router.handle(*request)
    assert response.status == 200
    assert json.loads(response.body)["failed"] is True
    record = store.get("evt_test_1")
    assert record is not None
    assert record.status is EventStatus.FAILED
    assert "order was cancelled" in (record.last_error or "")
    assert router.handle(*request).status == 200
    assert calls == ["evt_test_1"]


def test_already_processed_event_answers_200_without_running_handlers(
    router: WebhookRouter, seen: list[Event]
) -> None:
    """A redelivered event that succeeded before → 200 marked duplicate; handler runs once."""
    request = signed_request(_body())
    assert router.handle(*request).status == 200
    again = router.handle(*signed_request(request[0]))
    assert again.status == 200
    assert json.loads(again.body)["duplicate"] is True
    assert len(seen) == 1


def test_event_held_by_another_worker_answers_409_so_stripe_retries(
    router: WebhookRouter, seen: list[Event], store: MemoryStore
) -> None:
    """While another worker holds the event's claim → 409 with Retry-After, handler not run."""
    store.claim("evt_test_1", type=COMPLETED, lease=60)
    response = router.handle(*signed_request(_body()))
    assert response.status == 409
    assert not response.ok
    assert "retry-after" in response.headers
    assert seen == []


def test_store_that_cannot_be_reached_answers_503(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An unreachable store (SQLite in a missing directory) → 503 so Stripe retries later."""
    router = _router(SqliteStore(tmp_path / "missing" / "events.db"))
    ran: list[Event] = []
    router.on(COMPLETED)(ran.append)
    with caplog.at_level(logging.ERROR, logger="checkoutkit.webhooks"):
        response = router.handle(*signed_request(_body()))
    assert response.status == 503
    assert "event store failed" in caplog.text
    assert ran == []


def test_expired_lease_lets_another_delivery_take_over() -> None:
    """A crashed worker's claim expires after ``lease``; the next delivery runs the handler."""
    clock = [1_800_000_000.0]
    store = MemoryStore(clock=lambda: clock[0])
    router = _router(store, lease=30)
    seen: list[Event] = []
    router.on(COMPLETED)(seen.append)
    crashed = store.claim("evt_test_1", type=COMPLETED, lease=30)
    assert crashed.outcome is ClaimOutcome.CLAIMED
    request = signed_request(_body())
    assert router.handle(*request).status == 409
    clock[0] += 31
    assert router.handle(*request).status == 200
    assert len(seen) == 1
    assert store.complete(crashed) is False


def test_without_a_store_every_delivery_runs_the_handlers() -> None:
    """``store=None`` is an explicit choice: no dedupe, handlers run on each delivery."""
    router = _router(None)
    seen: list[Event] = []
    router.on(COMPLETED)(seen.append)
    request = signed_request(_body())
    assert router.handle(*request).status == 200
    assert router.handle(*request).status == 200
    assert len(seen) == 2
    assert router.store is None


def test_store_payload_keeps_the_raw_body_for_replay(store: MemoryStore) -> None:
    """With ``store_payload=True`` the store records the exact request body."""
    router = _router(store, store_payload=True)
    router.on(COMPLETED)(lambda event: None)
    body = _body()
    assert router.handle(*signed_request(body)).status == 200
    record = store.get("evt_test_1")
    assert record is not None
    assert record.payload == body
    assert _stored_payload(router, MemoryStore()) is None


def _stored_payload(router: WebhookRouter, store: MemoryStore) -> bytes | None:
    plain = _router(store)
    plain.on(COMPLETED)(lambda event: None)
    plain.handle(*signed_request(_body()))
    record = store.get("evt_test_1")
    return None if record is None else record.payload


@pytest.mark.parametrize("name", ["Stripe-Signature", "stripe-signature", "STRIPE-SIGNATURE"])
def test_signature_header_lookup_ignores_case(
    router: WebhookRouter, seen: list[Event], name: str
) -> None:
    """The header is found however the framework cases it."""
    body = _body()
    assert router.handle(body, {name: sign_payload(body, TEST_SECRET)}).status == 200
    assert len(seen) == 1


def test_body_may_be_bytearray_or_memoryview(router: WebhookRouter, seen: list[Event]) -> None:
    """Bytes-like bodies are accepted as the raw bytes they hold."""
    body, headers = signed_request(_body())
    assert router.handle(bytearray(body), headers).status == 200
    assert router.handle(memoryview(body), headers).status == 200
    assert len(seen) == 1


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=strategies.payloads,
    headers=st.dictionaries(
        st.sampled_from(["Stripe-Signature", "stripe-signature", "X-Other"]),
        strategies.signature_headers,
    ),
)
def test_random_requests_are_refused_with_4xx_never_an_exception(
    body: bytes, headers: dict[str, str]
) -> None:
    """Unsigned random bodies and headers always get 400 or 413, never an exception or 5xx."""
    router = _router(MemoryStore(), max_body_bytes=2048)
    router.on("*")(lambda event: None)
    assert router.handle(body, headers).status in {400, 413}


@settings(max_examples=examples(200))
@given(value=strategies.json_values)
def test_signed_random_json_never_answers_500(value: object) -> None:
    """Correctly signed arbitrary JSON gets 200 or 400; only a failing handler could give 500."""
    router = _router(MemoryStore())
    router.on("*")(lambda event: None)
    router.fallback(lambda event: None)
    body = json.dumps(value).encode()
    assert router.handle(*signed_request(body)).status in {200, 400}


@settings(max_examples=examples(100))
@given(
    event_id=st.text(max_size=30),
    event_type=st.text(max_size=40),
    api_version=strategies.json_values,
    obj=st.dictionaries(st.text(max_size=10), strategies.json_values, max_size=5),
)
def test_signed_event_shaped_json_never_answers_500(
    event_id: str, event_type: str, api_version: object, obj: dict[str, Any]
) -> None:
    """Signed events with arbitrary ids, types, versions and objects never make the router 500."""
    router = _router(MemoryStore())
    router.on("*")(lambda event: None)
    event = {
        "id": event_id,
        "type": event_type,
        "api_version": api_version,
        "data": {"object": obj},
    }
    response = router.handle(*signed_request(json.dumps(event).encode()))
    assert response.status in {200, 400}


# -- registration and dispatch --------------------------------------------------------------


def test_dispatch_by_exact_type_several_types_wildcard_and_star() -> None:
    """Exact, multi-type, ``checkout.session.*`` and ``*`` handlers all run, in order."""
    router = _router(MemoryStore())
    calls: list[tuple[str, str]] = []
    router.on(COMPLETED)(lambda e: calls.append(("exact", e.type)))
    router.on("checkout.session.expired", "checkout.session.async_payment_failed")(
        lambda e: calls.append(("multi", e.type))
    )
    router.on("checkout.session.*")(lambda e: calls.append(("wild", e.type)))
    router.on("*")(lambda e: calls.append(("star", e.type)))
    for i, body in enumerate(
        [ck_testing.completed(), ck_testing.expired(), ck_testing.async_payment_failed()]
    ):
        assert router.handle(*signed_request(body)).status == 200, i
    assert calls == [
        ("exact", COMPLETED),
        ("wild", COMPLETED),
        ("star", COMPLETED),
        ("multi", "checkout.session.expired"),
        ("wild", "checkout.session.expired"),
        ("star", "checkout.session.expired"),
        ("multi", "checkout.session.async_payment_failed"),
        ("wild", "checkout.session.async_payment_failed"),
        ("star", "checkout.session.async_payment_failed"),
    ]
    assert len(router.handlers_for("checkout.session.async_payment_succeeded")) == 2


def test_a_handler_matched_by_several_patterns_runs_once() -> None:
    """A function registered for a type and a wildcard covering it runs once per event."""
    router = _router(MemoryStore())
    calls: list[str] = []

    @router.on(COMPLETED, "checkout.session.*")
    @router.on("*")
    def handler(event: Event) -> None:
        calls.append(event.type)

    router.handle(*signed_request(ck_testing.completed()))
    assert calls == [COMPLETED]


def test_fallback_runs_only_for_types_nobody_handles() -> None:
    """The fallback handler receives events with no other handler, and only those."""
    router = _router(MemoryStore())
    handled: list[str] = []
    fallen: list[str] = []
    router.on(COMPLETED)(lambda e: handled.append(e.type))
    router.fallback(lambda e: fallen.append(e.type))
    router.handle(*signed_request(ck_testing.completed()))
    router.handle(*signed_request(ck_testing.expired()))
    assert (handled, fallen) == ([COMPLETED], ["checkout.session.expired"])


def test_handlers_added_later_are_dispatched() -> None:
    """Registering after the first request still takes effect (the dispatch cache is reset)."""
    router = _router(None)
    calls: list[str] = []
    assert router.handle(*signed_request(ck_testing.completed())).status == 200
    router.on(COMPLETED)(lambda e: calls.append(e.id))
    router.handle(*signed_request(ck_testing.completed()))
    assert len(calls) == 1


def test_misspelt_event_type_is_refused_with_a_suggestion() -> None:
    """``checkout.session.complete`` raises UnknownEventTypeError suggesting ``…completed``."""
    router = _router(MemoryStore())
    with pytest.raises(UnknownEventTypeError, match=r"did you mean 'checkout\.session\.completed'"):
        router.on("checkout.session.complete")


@pytest.mark.parametrize(
    "pattern", ["checkout.sesion.*", "", "nonsense", "checkout.session.completed ", 5]
)
def test_types_and_patterns_stripe_never_sends_are_refused(pattern: Any) -> None:
    """Wildcards matching no known type, and non-types, raise UnknownEventTypeError."""
    with pytest.raises(UnknownEventTypeError):
        _router(None).on(pattern)


def test_on_without_types_is_refused() -> None:
    """``on()`` with no event type raises ConfigurationError."""
    with pytest.raises(ConfigurationError):
        _router(None).on()


def test_known_types_come_from_the_stripe_sdk() -> None:
    """The four Checkout Session event types and ``invoice.paid`` are accepted."""
    router = _router(None)
    for event_type in (
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "invoice.paid",
    ):
        router.on(event_type)(lambda e: None)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"secrets": []},
        {"secrets": ""},
        {"secrets": "sk_test_123"},
        {"tolerance": 0},
        {"tolerance": -5},
        {"max_body_bytes": 0},
        {"max_body_bytes": 1.5},
        {"lease": 0},
        {"lease": True},
        {"lease": float("inf")},
        {"lease": float("nan")},
        {"store": object()},
    ],
)
def test_router_refuses_unusable_configuration(kwargs: dict[str, Any]) -> None:
    """Bad secrets, tolerance, body limit, lease or store raise ConfigurationError at creation."""
    arguments: dict[str, Any] = {"secrets": TEST_SECRET, "store": None, **kwargs}
    with pytest.raises(ConfigurationError):
        WebhookRouter(**arguments)


def test_api_version_drift_is_logged_once_per_version(
    router: WebhookRouter, seen: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    """Events whose API version differs from the SDK's pin log one warning per version."""
    with caplog.at_level(logging.WARNING, logger="checkoutkit.webhooks"):
        for i, version in enumerate(["2020-08-27", "2020-08-27", "2024-06-20", None]):
            body = ck_testing.checkout_event(COMPLETED, event_id=f"evt_{i}", api_version=version)
            assert router.handle(*signed_request(body)).status == 200
        router.handle(*signed_request(ck_testing.completed()))
    drift = [r.getMessage() for r in caplog.records if "API version" in r.getMessage()]
    assert len(drift) == 2
    assert "2020-08-27" in drift[0]
    assert "2024-06-20" in drift[1]


# -- async ----------------------------------------------------------------------------------


def test_handle_async_awaits_async_handlers_and_runs_sync_ones(store: MemoryStore) -> None:
    """``handle_async`` awaits async handlers, calls sync ones, and dedupes through the store."""
    router = _router(store)
    calls: list[str] = []

    @router.on(COMPLETED)
    async def first(event: Event) -> None:
        await asyncio.sleep(0)
        calls.append("async")

    router.on(COMPLETED)(lambda e: calls.append("sync"))
    request = signed_request(_body())
    assert asyncio.run(router.handle_async(*request)).status == 200
    assert asyncio.run(router.handle_async(*request)).status == 200
    assert calls == ["async", "sync"]


def test_handle_async_status_rules_match_handle(store: MemoryStore) -> None:
    """The async path answers 400, 500 (then 200 on retry) and 200-permanent like the sync path."""
    router = _router(store)
    attempts: list[int] = []

    @router.on(COMPLETED)
    async def flaky(event: Event) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("boom")

    @router.on("checkout.session.expired")
    async def refuse(event: Event) -> None:
        raise PermanentFailure("no")

    body = _body()
    assert asyncio.run(router.handle_async(body, {})).status == 400
    assert asyncio.run(router.handle_async(*signed_request(body))).status == 500
    assert asyncio.run(router.handle_async(*signed_request(body))).status == 200
    expired = signed_request(ck_testing.expired())
    assert asyncio.run(router.handle_async(*expired)).status == 200
    assert store.records(status=EventStatus.FAILED)[0].type == "checkout.session.expired"


def test_sync_handle_runs_async_handlers() -> None:
    """``handle`` (sync) runs an async handler to completion in its own event loop."""
    router = _router(MemoryStore())
    calls: list[str] = []

    @router.on(COMPLETED)
    async def handler(event: Event) -> None:
        await asyncio.sleep(0)
        calls.append(event.id)

    assert router.handle(*signed_request(_body())).status == 200
    assert calls == ["evt_test_1"]


class _AsyncMemoryStore:
    """An AsyncEventStore over MemoryStore: a stand-in, because the async server stores
    (PostgreSQL, Redis) need servers this test does not start."""

    def __init__(self) -> None:
        self.inner = MemoryStore()

    async def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        await asyncio.sleep(0)
        return self.inner.claim(key, type=type, lease=lease, payload=payload)

    async def complete(self, claim: Claim) -> bool:
        return self.inner.complete(claim)

    async def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        return self.inner.release(claim, error=error, permanent=permanent)

    async def get(self, key: str) -> EventRecord | None:
        return self.inner.get(key)

    async def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        return self.inner.records(status=status, type_pattern=type_pattern)


def test_async_store_is_awaited_by_both_entry_points() -> None:
    """An async store dedupes in ``handle_async`` and in ``handle`` (run in a fresh loop)."""
    store = _AsyncMemoryStore()
    router = _router(store)
    seen: list[Event] = []
    router.on(COMPLETED)(seen.append)
    request = signed_request(_body())
    assert asyncio.run(router.handle_async(*request)).status == 200
    assert router.handle(*request).status == 200
    assert len(seen) == 1
    record = store.inner.get("evt_test_1")
    assert record is not None
    assert record.status is EventStatus.SUCCEEDED


def test_response_is_a_frozen_value() -> None:
    """WebhookResponse compares by value and cannot be mutated."""
    response = WebhookResponse(200, b"{}")
    assert response == WebhookResponse(200, b"{}")
    with pytest.raises(AttributeError):
        response.status = 500  # type: ignore[misc]


def test_sync_handle_inside_an_event_loop_refuses_async_handlers_with_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Calling ``handle`` from async code with an async handler → 500 and a log naming the fix."""
    router = _router(MemoryStore())

    @router.on(COMPLETED)
    async def handler(event: Event) -> None:
        raise AssertionError("must not run")

    async def main() -> WebhookResponse:
        return router.handle(*signed_request(_body()))

    with caplog.at_level(logging.ERROR, logger="checkoutkit.webhooks"):
        assert asyncio.run(main()).status == 500
    assert "handle_async" in caplog.text


def test_claim_lost_during_a_slow_handler_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A handler outliving its lease, taken over meanwhile, still answers 200 and logs a warning."""
    clock = [1_800_000_000.0]
    store = MemoryStore(clock=lambda: clock[0])
    router = _router(store, lease=5)

    @router.on(COMPLETED)
    def slow(event: Event) -> None:
        clock[0] += 10
        taken = store.claim(event.id, type=event.type, lease=5)
        assert taken.outcome is ClaimOutcome.CLAIMED

    with caplog.at_level(logging.WARNING, logger="checkoutkit.webhooks"):
        assert router.handle(*signed_request(_body())).status == 200
    assert "lease" in caplog.text
