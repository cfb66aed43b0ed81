"""Stripe slow or down: the shopper's Checkout click gets a short 503 page, never a long hang.

The create endpoint, through the Flask (sync) and FastAPI (async) adapters and then under real
gunicorn and uvicorn processes, with its gateway aimed at loopback sockets that never answer,
refuse or close (``listeners.py``). Short network settings keep the suite fast.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from listeners import (
    UNRESOLVABLE_URL,
    ClosingListener,
    RefusingPort,
    SilentListener,
    finishes_within,
)

from checkoutkit import Checkout, CheckoutGateway, MemoryStore, WebhookRouter
from checkoutkit.sandbox import Sandbox
from checkoutkit.testing import TEST_SECRET
from servers import free_port, wait_until_up

SECRET = "sk_test_stripe_down_4eC39HqLyjWDarjtT1zdp7dc"
SHORT = {"connect_timeout": 0.3, "read_timeout": 0.4, "max_network_retries": 1}
ADAPTERS = Path(__file__).parents[1] / "adapters"
PRODUCT = {
    "mode": "payment",
    "line_items": [
        {
            "price_data": {
                "currency": "eur",
                "unit_amount": 1500,
                "product_data": {"name": "Mug"},
            },
            "quantity": 1,
        }
    ],
}
CAUSES = {
    "silent": ("read_timeout", "it accepted the connection but did not answer in time"),
    "refused": ("connection_refused", "the connection was refused"),
    "closing": ("connection_closed", "it closed the connection without answering"),
    "dns": ("dns_failure", "its host name did not resolve (DNS)"),
}


@pytest.fixture(params=list(CAUSES))
def down(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(kind, API base URL) of a Stripe that is down in one of the ways of ``CAUSES``."""
    kind: str = request.param
    if kind == "dns":
        yield kind, UNRESOLVABLE_URL
        return
    listener = {"silent": SilentListener, "refused": RefusingPort, "closing": ClosingListener}
    with listener[kind]() as server:
        yield kind, server.url


def shop(api_base: str, host: str, **network: Any) -> Checkout:
    env = {"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": api_base}
    store = MemoryStore()
    return Checkout(
        gateway=CheckoutGateway.from_env(env, **{**SHORT, **network}),
        router=WebhookRouter(secrets=TEST_SECRET, store=store),
        store=store,
        build_session=lambda request: PRODUCT,
        fulfil=lambda session: None,
        allowed_hosts=[host],
    )


def flask_client(checkout: Checkout) -> Any:
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(checkout), url_prefix="/checkout")
    return app.test_client()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def assert_calm_503(status: int, headers: Any, body: str, cancel_url: str) -> None:
    assert status == 503
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert "<h1>Checkout is unavailable right now</h1>" in body
    assert "nothing was charged" in body
    assert f'<a href="{cancel_url}">Back to the shop</a>' in body
    assert "Traceback" not in body
    assert SECRET not in body


def test_flask_answers_503_with_a_link_back_and_one_warning_naming_the_cause(
    down: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Each way of being down: 503 page, link to the shop, one WARNING with cause and host."""
    kind, api_base = down
    caplog.set_level(logging.INFO)
    checkout = shop(api_base, "localhost")
    client = flask_client(checkout)
    # A hang guard, generous because a DNS lookup is bounded by the resolver, not the gateway.
    answer = finishes_within(60, lambda: client.post("/checkout/create-checkout-session"))
    assert not isinstance(answer, BaseException), answer
    cancel_url = "http://localhost/checkout/cancel"
    assert_calm_503(answer.status_code, answer.headers, answer.get_data(as_text=True), cancel_url)
    assert client.get("/checkout/cancel").status_code == 200  # the link leads somewhere real

    code, reason = CAUSES[kind]
    host = api_base.removeprefix("http://")
    [warning] = warnings_of(caplog)
    assert warning.name == "checkoutkit.checkout"
    assert warning.levelname == "WARNING"
    assert warning.exc_info is None
    assert warning.getMessage().startswith(
        f"creating a checkout session failed, answering 503: no answer from Stripe at {host}: "
        f"{reason} (connect timeout 0.3 s, read timeout 0.4 s, 1 retry"
    )
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    gateway_lines = [r.getMessage() for r in caplog.records if r.name == "checkoutkit.gateway"]
    assert gateway_lines[-1].endswith(f"[{code}]")


def test_the_success_page_with_stripe_out_of_reach_leads_back() -> None:
    """The shopper back from paying while Stripe is unreachable: a 503 page (no plain text)
    that says the payment is safe, with "Try again" (this page again) and a way to the shop."""
    with RefusingPort() as server:
        client = flask_client(shop(server.url, "localhost"))
        session_id = "cs_test_" + "a" * 58
        answer = client.get(f"/checkout/success?session_id={session_id}")
        again = client.get(f"/checkout/success?session_id={session_id}")
    assert answer.status_code == again.status_code == 503
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Retry-After"]
    body = answer.get_data(as_text=True)
    assert "<h1>We could not confirm your order yet</h1>" in body
    assert "your payment is safe" in body
    assert f'<a href="success?session_id={session_id}">Try again</a>' in body
    assert '<a href="/">Back to the shop</a>' in body
    assert SECRET not in body


def test_a_client_asking_for_json_gets_a_short_text_503() -> None:
    """``Accept: application/json`` (a script's fetch) gets a plain 503, no page."""
    with SilentListener() as server:
        client = flask_client(shop(server.url, "localhost"))
        answer = client.post(
            "/checkout/create-checkout-session", headers={"Accept": "application/json"}
        )
    assert answer.status_code == 503
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.get_data() == b"the payment provider could not be reached; try again shortly\n"


def test_fastapi_answers_503_through_the_async_gateway(caplog: pytest.LogCaptureFixture) -> None:
    """The async path (``create_async`` over httpx) gives up within its budget too."""
    import fastapi
    from fastapi.testclient import TestClient

    from checkoutkit.adapters.fastapi import router

    caplog.set_level(logging.INFO)
    with SilentListener() as server:
        app = fastapi.FastAPI()
        app.include_router(router(shop(server.url, "testserver"), prefix="/checkout"))
        with TestClient(app) as client:
            answer = finishes_within(20, lambda: client.post("/checkout/create-checkout-session"))
        assert server.connections == 2
    assert not isinstance(answer, BaseException), answer
    assert_calm_503(
        answer.status_code, answer.headers, answer.text, "http://testserver/checkout/cancel"
    )
    [warning] = warnings_of(caplog)
    assert "did not answer in time" in warning.getMessage()


def test_other_stripe_errors_keep_their_502(caplog: pytest.LogCaptureFixture) -> None:
    """Stripe reachable but refusing (here: a live key against the sandbox) is still a 502:
    a page that leads back to the shop for a browser, a line of text for a script."""
    with Sandbox() as sandbox:
        store = MemoryStore()
        checkout = Checkout(
            gateway=CheckoutGateway.for_sandbox(sandbox, api_key="sk_live_not_for_the_sandbox"),
            router=WebhookRouter(secrets=TEST_SECRET, store=store),
            store=store,
            build_session=lambda request: PRODUCT,
            fulfil=lambda session: None,
            allowed_hosts=["localhost"],
        )
        client = flask_client(checkout)
        answer = client.post("/checkout/create-checkout-session")
        script = client.post(
            "/checkout/create-checkout-session", headers={"Accept": "application/json"}
        )
    assert answer.status_code == 502
    body = answer.get_data(as_text=True)
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Checkout is unavailable right now</h1>" in body
    assert "nothing was charged" in body
    assert '<a href="http://localhost/checkout/cancel">Back to the shop</a>' in body
    assert script.status_code == 502
    assert script.get_data() == b"the payment provider refused or could not be reached\n"
    assert {r.name for r in warnings_of(caplog)} == {"checkoutkit.checkout"}


# -- real servers --------------------------------------------------------------------------


@pytest.fixture(params=["flask", "fastapi"])
def served_down(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, Path, SilentListener]]:
    """The adapters' test shop under gunicorn (Flask) or uvicorn (FastAPI), Stripe silent.

    The network settings come from the environment, as a deployment would set them.
    """
    framework: str = request.param
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if framework == "fastapi":
        argv = [
            sys.executable, "-m", "uvicorn", "--factory", "served_app:fastapi_app",
            "--app-dir", str(ADAPTERS), "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "warning",
        ]  # fmt: skip
    else:
        argv = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--no-control-socket", "--chdir", str(ADAPTERS), "--log-level", "warning",
            "served_app:flask_app()",
        ]  # fmt: skip
    log = tmp_path / "server.log"
    with SilentListener() as stripe_api, log.open("wb") as sink:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ADAPTERS), *sys.path]),
            "STRIPE_SECRET_KEY": SECRET,
            "STRIPE_API_BASE": stripe_api.url,
            "STRIPE_CONNECT_TIMEOUT": "0.3",
            "STRIPE_READ_TIMEOUT": "0.5",
            "STRIPE_MAX_NETWORK_RETRIES": "1",
            "STRIPE_WEBHOOK_SECRET": TEST_SECRET,
            "SHOP_URL": url,
            "SHOP_EVENTS_DB": str(tmp_path / "events.db"),
            "SHOP_ORDERS_DB": str(tmp_path / "orders.db"),
            "SHOP_FAIL_MARKER": str(tmp_path / "fail-next"),
        }
        process = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=sink, stderr=sink)
        try:
            wait_until_up(url, process)
            yield url, log, stripe_api
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.slow
def test_a_real_server_answers_503_when_stripe_never_answers(
    served_down: tuple[str, Path, SilentListener],
) -> None:
    """gunicorn/uvicorn: the shopper's POST gets the 503 page; the server's log says why."""
    url, log, stripe_api = served_down
    answer = httpx.post(url + "/create-checkout-session", data={}, timeout=30)
    assert_calm_503(answer.status_code, answer.headers, answer.text, url + "/cancel")
    assert stripe_api.connections == 2
    assert httpx.get(url + "/cancel").status_code == 200
    host = stripe_api.url.removeprefix("http://")
    text = log.read_text(encoding="utf-8", errors="replace")
    assert (
        f"creating a checkout session failed, answering 503: no answer from Stripe at {host}: "
        "it accepted the connection but did not answer in time "
        "(connect timeout 0.3 s, read timeout 0.5 s, 1 retry)"
    ) in text
    assert SECRET not in text
    assert "Traceback" not in text
