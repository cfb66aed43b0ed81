"""Every adapter refuses a body past the router's ``max_body_bytes`` with a short 413, and the
success page answers a calm 503 while the event store cannot be reached.

Driven through each framework's own test client (the real-server memory bounds are in
``test_body_memory``); the store outage is a real Redis store whose server is not running yet.
"""

from __future__ import annotations

import json
import logging

import pytest
from adapter_harness import Shop, make_shop

from checkoutkit.stores.redis import AsyncRedisStore, RedisStore
from servers import RedisServer, ServerUnavailable, free_port

LIMIT = 16 * 1024
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
TOO_LARGE = {"error": "payload too large"}


@pytest.fixture
def small_shop(framework: str, sandbox: object, request: pytest.FixtureRequest) -> Shop:
    """The shop with a 16 KiB body limit on its router."""
    return make_shop(framework, sandbox, request, max_body_bytes=LIMIT)


def padded(body: bytes, size: int) -> bytes:
    """``body`` followed by spaces up to ``size`` bytes (JSON ignores trailing whitespace)."""
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_a_webhook_one_byte_over_the_limit_is_413(
    small_shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    """A signed event one byte past the limit answers the router's 413 and fulfils nothing."""
    session_id = small_shop.create_session()
    small_shop.pay(session_id)
    body = padded(small_shop.event_body(session_id, "checkout.session.completed"), LIMIT + 1)
    with caplog.at_level(logging.WARNING, logger="checkoutkit.webhooks"):
        answer = small_shop.deliver(body)
    assert answer.status == 413
    assert json.loads(answer.body) == TOO_LARGE
    assert answer.headers["content-type"].startswith("application/json")
    assert small_shop.orders == []
    refusals = [r for r in caplog.records if "webhook refused" in r.getMessage()]
    assert len(refusals) == 1
    assert str(LIMIT + 1) in refusals[0].getMessage()
    assert refusals[0].exc_info is None


def test_a_webhook_of_exactly_the_limit_is_handled(small_shop: Shop) -> None:
    """A signed event padded to exactly ``max_body_bytes`` is read whole and fulfils."""
    session_id = small_shop.create_session()
    small_shop.pay(session_id)
    body = padded(small_shop.event_body(session_id, "checkout.session.completed"), LIMIT)
    assert small_shop.deliver(body).status == 200
    assert small_shop.orders == [session_id]


def test_a_checkout_request_over_the_limit_is_a_short_413(small_shop: Shop) -> None:
    """The create endpoint shares the limit: one byte over is a short text 413."""
    body = b"quantity=1&note=" + b"x" * (LIMIT - 15)
    assert len(body) == LIMIT + 1
    answer = small_shop.post("/create-checkout-session", body, FORM)
    assert answer.status == 413
    assert answer.text == "request body too large\n"
    assert answer.headers["content-type"].startswith("text/plain")


def test_a_checkout_request_of_exactly_the_limit_creates_a_session(small_shop: Shop) -> None:
    """A form of exactly ``max_body_bytes`` is read whole and parsed."""
    body = b"quantity=2&note=" + b"x" * (LIMIT - 16)
    assert len(body) == LIMIT
    answer = small_shop.post("/create-checkout-session", body, FORM)
    assert answer.status == 200, answer.text
    session = small_shop.checkout.gateway.retrieve(json.loads(answer.body)["id"])
    assert session.raw["amount_total"] == 4000


@pytest.mark.parametrize("path", ["/webhook", "/create-checkout-session"])
def test_a_body_past_the_frameworks_own_limits_is_still_our_413(shop: Shop, path: str) -> None:
    """3 MB, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): the same 413 everywhere.

    Django used to answer RequestDataTooBig's HTML 400 here.
    """
    answer = shop.post(path, b"{" + b" " * (3 * 1024 * 1024), {"Content-Type": "application/json"})
    assert answer.status == 413
    if path == "/webhook":
        assert json.loads(answer.body) == TOO_LARGE
    else:
        assert answer.text == "request body too large\n"


def test_the_limit_is_the_routers_setting() -> None:
    """``WebhookRouter.max_body_bytes`` reads back the one setting (1 MiB by default)."""
    from checkoutkit import MemoryStore, WebhookRouter
    from checkoutkit.testing import TEST_SECRET

    assert WebhookRouter(secrets=TEST_SECRET, store=MemoryStore()).max_body_bytes == 1024 * 1024
    router = WebhookRouter(secrets=TEST_SECRET, store=MemoryStore(), max_body_bytes=LIMIT)
    assert router.max_body_bytes == LIMIT


# -- the success page while the store is down ---------------------------------------------


STORES = [
    ("flask", "sync"),
    ("fastapi", "sync"),
    ("fastapi", "async"),
    ("django", "sync"),
    ("litestar", "sync"),
    ("litestar", "async"),
]


@pytest.mark.parametrize(("framework", "kind"), STORES)
def test_the_success_page_with_the_store_down_is_a_calm_503_then_fulfils_once(
    framework: str,
    kind: str,
    sandbox: object,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Paid, store unreachable: 503 + Retry-After, "payment received", one WARNING naming
    the cause. Once the store's server runs, a reload fulfils the order, once.
    """
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    store = RedisStore(url, timeout=2) if kind == "sync" else AsyncRedisStore(url, timeout=2)
    shop = make_shop(framework, sandbox, request, store=store)
    session_id = shop.create_session()
    shop.pay(session_id)
    with caplog.at_level(logging.INFO):
        answer = shop.get(f"/success?session_id={session_id}")
    assert answer.status == 503
    assert answer.headers["retry-after"].isdigit()
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"].startswith("text/html")
    assert "Payment received" in answer.text
    assert "confirming your order" in answer.text
    # Django logs every 5xx answer itself ("Service Unavailable: …", no traceback).
    ours = [r for r in caplog.records if r.name.startswith("checkoutkit")]
    warnings = [r for r in ours if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].levelno == logging.WARNING
    assert session_id in warnings[0].getMessage()
    assert "StoreUnavailableError" in warnings[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    assert shop.orders == []

    try:
        server = RedisServer(appendonly=False)
    except ServerUnavailable as exc:
        pytest.fail(str(exc))
    server.port = port
    server.start()
    request.addfinalizer(server.destroy)
    first = shop.get(f"/success?session_id={session_id}")
    again = shop.get(f"/success?session_id={session_id}")
    assert (first.status, again.status) == (200, 200)
    assert "Thanks for your order!" in first.text
    assert shop.orders == [session_id]
