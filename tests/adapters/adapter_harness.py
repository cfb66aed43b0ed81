"""The harness for every adapter: the same shop mounted in Flask, FastAPI, Django and Litestar.

Each test gets a :class:`Shop`: a real :class:`checkoutkit.Checkout` talking through the real
stripe SDK to an in-process sandbox, mounted with one framework's adapter and driven through
that framework's own test client (Django's with CSRF checks and LoginRequiredMiddleware on).
"""

from __future__ import annotations

import inspect
import json
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import attrs
import httpx
import pytest

from checkoutkit import (
    Checkout,
    CheckoutGateway,
    CheckoutRequest,
    InvalidSessionError,
    MemoryStore,
    WebhookRouter,
)
from checkoutkit._events import CheckoutSession
from checkoutkit.testing import TEST_SECRET, sign_payload

FRAMEWORKS = ["flask", "fastapi", "django", "litestar"]
PREFIX = "/shop/checkout"
BASE_URL = "https://shop.example" + PREFIX
CARD_OK = "4242424242424242"


@attrs.frozen
class Answer:
    """A framework's response in plain terms: status, lower-cased headers, body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


Request = Callable[[str, str, bytes, Mapping[str, str]], Answer]


def session_params(request: CheckoutRequest) -> dict[str, Any]:
    """The seed's T-shirt at 20.00: ``currency`` (default usd) and ``quantity`` from the form.

    ``ui_mode=embedded_page`` in the form asks for an embedded session.
    """
    quantity = request.form.get("quantity", "1")
    if not quantity.isdigit():
        raise InvalidSessionError([])
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": request.form.get("currency", "usd"),
                    "product_data": {"name": "T-shirt"},
                    "unit_amount": 2000,
                },
                "quantity": int(quantity),
            }
        ],
    }
    if request.form.get("ui_mode") == "embedded_page":
        params["ui_mode"] = "embedded_page"
    return params


@attrs.define
class Shop:
    """A checkout mounted in one framework, with the sandbox and counters for assertions."""

    framework: str
    sandbox: Any
    checkout: Checkout
    request: Request
    orders: list[str]
    failures_left: list[int]
    failed: list[str]
    expired: list[str]

    def post(
        self, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> Answer:
        return self.request("POST", PREFIX + path, body, headers or {})

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Answer:
        return self.request("GET", PREFIX + path, b"", headers or {})

    def create_session(self, form: bytes = b"") -> str:
        answer = self.post(
            "/create-checkout-session",
            form,
            {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status == 200, answer.text
        session_id: str = json.loads(answer.body)["id"]
        return session_id

    def pay(self, session_id: str, **params: str) -> dict[str, Any]:
        data = params or {"card": CARD_OK}
        response = httpx.post(f"{self.sandbox.url}/_sandbox/sessions/{session_id}/pay", data=data)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def event_body(self, session_id: str, type_: str) -> bytes:
        """The raw JSON of the sandbox's event of ``type_`` for ``session_id``."""
        response = httpx.get(
            f"{self.sandbox.url}/v1/events",
            params={"type": type_, "limit": 100},
            headers={"Authorization": "Bearer sk_test_checkoutkit_sandbox"},
        )
        assert response.status_code == 200, response.text
        for event in response.json()["data"]:
            if event["data"]["object"]["id"] == session_id:
                return json.dumps(event, indent=2).encode()
        raise AssertionError(f"no {type_} event for {session_id}")

    def deliver(self, body: bytes, secret: str = TEST_SECRET) -> Answer:
        headers = {
            "Stripe-Signature": sign_payload(body, secret),
            "Content-Type": "application/json",
        }
        return self.post("/webhook", body, headers)


# -- frameworks --------------------------------------------------------------------------------


def flask_test_client(app: Any) -> Request:
    """Requests through Flask's test client."""
    client = app.test_client()

    def request(method: str, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        response = client.open(path, method=method, data=body, headers=dict(headers))
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, lowered, response.get_data())

    return request


def flask_request(checkout: Checkout) -> Request:
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask("shop")
    app.register_blueprint(blueprint(checkout), url_prefix=PREFIX)
    return flask_test_client(app)


def fastapi_test_client(app: Any, cleanup: Callable[[Callable[[], object]], None]) -> Request:
    """Requests through Starlette's TestClient (httpx), never following redirects.

    The client runs the app's lifespan on one event loop for the whole test, as a server does
    (the async HTTP client's connections belong to that loop); ``cleanup`` registers its exit.
    """
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="http://testserver")
    client.__enter__()
    cleanup(lambda: client.__exit__(None, None, None))

    def request(method: str, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        response = client.request(
            method, path, content=body, headers=dict(headers), follow_redirects=False
        )
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, lowered, response.content)

    return request


def fastapi_request(
    checkout: Checkout, gateway: CheckoutGateway, cleanup: Callable[[Callable[[], object]], None]
) -> Request:
    import contextlib

    import fastapi

    from checkoutkit.adapters.fastapi import router

    @contextlib.asynccontextmanager
    async def lifespan(app: fastapi.FastAPI) -> AsyncIterator[None]:
        yield
        await gateway.aclose()

    app = fastapi.FastAPI(lifespan=lifespan)
    app.include_router(router(checkout), prefix=PREFIX)
    return fastapi_test_client(app, cleanup)


def litestar_test_client(app: Any, cleanup: Callable[[Callable[[], object]], None]) -> Request:
    """Requests through Litestar's TestClient (httpx), never following redirects.

    As for FastAPI, the client runs the app's lifespan on one event loop for the whole test.
    """
    from litestar.testing import TestClient

    client = TestClient(app, base_url="http://testserver.local")
    client.__enter__()
    cleanup(lambda: client.__exit__(None, None, None))

    def request(method: str, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        response = client.request(
            method, path, content=body, headers=dict(headers), follow_redirects=False
        )
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, lowered, response.content)

    return request


def litestar_request(
    checkout: Checkout, gateway: CheckoutGateway, cleanup: Callable[[Callable[[], object]], None]
) -> Request:
    import litestar

    from checkoutkit.adapters.litestar import router

    # logging_config=None: Litestar's default configures the root logger at startup, which
    # would take pytest's log capture away; the application's logging is its own business.
    async def close_async_store() -> None:
        # An async store's connections belong to the client's event loop: close them with it.
        if inspect.iscoroutinefunction(getattr(checkout.store, "close", None)):
            await checkout.store.close()

    app = litestar.Litestar(
        route_handlers=[router(checkout, path=PREFIX)],
        on_shutdown=[gateway.aclose, close_async_store],
        logging_config=None,
    )
    return litestar_test_client(app, cleanup)


def django_test_client() -> Request:
    """Requests through Django's test Client, with CSRF checks enforced."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    def request(method: str, path_: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        rest = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        content_type = next(
            (v for k, v in headers.items() if k.lower() == "content-type"),
            "application/octet-stream",
        )
        response = client.generic(method, path_, body, content_type=content_type, headers=rest)
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, lowered, response.content)

    return request


def django_request(checkout: Checkout, install: Callable[[list[Any]], None]) -> Request:
    from django.urls import include, path

    from checkoutkit.adapters.django import urls

    install([path(PREFIX.lstrip("/") + "/", include(urls(checkout)))])
    return django_test_client()


def make_shop(
    framework: str,
    sandbox: Any,
    request: pytest.FixtureRequest,
    store: Any = None,
    max_body_bytes: int | None = None,
    **checkout_options: Any,
) -> Shop:
    """Build the shop for ``framework`` (Django's URLconf comes from the fixture).

    ``max_body_bytes`` is the router's body limit (its default when None).
    """
    orders: list[str] = []
    failures_left = [0]
    failed: list[str] = []
    expired: list[str] = []

    def fulfil(session: CheckoutSession) -> None:
        if failures_left[0] > 0:
            failures_left[0] -= 1
            raise RuntimeError("the warehouse is offline")
        orders.append(session.id)

    store = MemoryStore() if store is None else store
    gateway = CheckoutGateway.for_sandbox(sandbox)
    limit = {} if max_body_bytes is None else {"max_body_bytes": max_body_bytes}
    router = WebhookRouter(secrets=TEST_SECRET, store=store, **limit)
    checkout_options.setdefault("base_url", BASE_URL)
    checkout_options.setdefault("build_session", session_params)
    checkout = Checkout(
        gateway=gateway,
        router=router,
        store=store,
        fulfil=fulfil,
        on_payment_failed=lambda s: failed.append(s.id),
        on_expired=lambda s: expired.append(s.id),
        **checkout_options,
    )
    if framework == "flask":
        send = flask_request(checkout)
        request.addfinalizer(gateway.close)
    elif framework == "fastapi":
        send = fastapi_request(checkout, gateway, request.addfinalizer)
    elif framework == "litestar":
        send = litestar_request(checkout, gateway, request.addfinalizer)
    else:
        send = django_request(checkout, request.getfixturevalue("django_urlconf"))
        request.addfinalizer(gateway.close)
    return Shop(framework, sandbox, checkout, send, orders, failures_left, failed, expired)


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
