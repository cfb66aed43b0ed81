"""The quickstart apps in docs/examples run as written: the seed's whole flow, in each framework."""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from adapter_harness import (
    Answer,
    Request,
    django_test_client,
    fastapi_test_client,
    flask_test_client,
    litestar_test_client,
)

from checkoutkit.testing import sign_payload
from django_project import configure_django

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
_numbers = itertools.count()


@pytest.fixture
def example_env(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment the quickstarts tell the reader to set, aimed at the sandbox."""
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_checkoutkit_quickstart")
    monkeypatch.setenv("STRIPE_API_BASE", sandbox.url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", sandbox.webhook_secret)
    database = tmp_path / "shop.db"
    monkeypatch.setenv("SHOP_DATABASE", str(database))
    return database


def load(framework: str) -> ModuleType:
    name = f"quickstart_{framework}_{next(_numbers)}"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{framework}_app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def example(framework: str, example_env: Path) -> Iterator[tuple[ModuleType, Request]]:
    """The framework's quickstart module and a test client for the app its factory builds."""
    if framework == "django":
        configure_django()
    module = load(framework)
    checkout = module.create_checkout(os.environ)
    try:
        if framework == "flask":
            yield module, flask_test_client(module.create_app(checkout))
        elif framework == "fastapi":
            with contextlib.ExitStack() as stack:
                yield module, fastapi_test_client(module.create_app(checkout), stack.callback)
        elif framework == "litestar":
            with contextlib.ExitStack() as stack:
                yield module, litestar_test_client(module.create_app(checkout), stack.callback)
        else:
            from django.conf import settings
            from django.test import override_settings

            module.urlpatterns = module.create_urls(checkout)
            # The quickstart's own shop page is public: no LoginRequiredMiddleware here.
            middleware = [m for m in settings.MIDDLEWARE if "LoginRequired" not in m]
            with override_settings(ROOT_URLCONF=module.__name__, MIDDLEWARE=middleware):
                yield module, django_test_client()
    finally:
        checkout.gateway.close()
        checkout.store.close()
        sys.modules.pop(module.__name__, None)


def test_quickstart_flow_fulfils_one_order(
    example: tuple[ModuleType, Request], sandbox: Any, example_env: Path
) -> None:
    """Button page → 303 to the payment page → pay → webhook and success page → one order."""
    _module, send = example
    page = send("GET", "/", b"", {})
    assert page.status == 200
    assert b'action="/create-checkout-session"' in page.body

    created = send(
        "POST",
        "/create-checkout-session",
        b"",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert created.status == 303
    location = created.headers["location"]
    assert location.startswith(sandbox.url)
    session_id = location.rstrip("/").rsplit("/", 1)[1]

    import httpx

    paid = httpx.post(
        f"{sandbox.url}/_sandbox/sessions/{session_id}/pay", data={"card": "4242424242424242"}
    )
    assert paid.status_code == 200
    events = httpx.get(
        f"{sandbox.url}/v1/events",
        params={"type": "checkout.session.completed"},
        headers={"Authorization": "Bearer sk_test_checkoutkit_quickstart"},
    ).json()["data"]
    body = next(json.dumps(e).encode() for e in events if e["data"]["object"]["id"] == session_id)
    headers = {"Stripe-Signature": sign_payload(body, sandbox.webhook_secret)}
    hook: Answer = send("POST", "/webhook", body, {**headers, "Content-Type": "application/json"})
    assert hook.status == 200
    success = send("GET", f"/success?session_id={session_id}", b"", {})
    assert success.status == 200
    assert "Thanks for your order!" in success.text

    with contextlib.closing(sqlite3.connect(example_env)) as db, db:
        rows = db.execute("SELECT session_id, total FROM orders").fetchall()
    assert rows == [(session_id, 2000)]


def test_django_quickstart_in_a_new_project(
    example_env: Path, tmp_path: Path, sandbox: Any
) -> None:
    """The Django page's steps, literally: startproject, its urls.py replaced, runserver, buy.

    Serves the new project with ``manage.py runserver`` (on a free port rather than 4242) and
    checks that the shop page answers and its Checkout button leads to the payment page.
    """
    import httpx

    from servers import free_port, wait_until_up

    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "shop", "."], cwd=project, check=True
    )
    shutil.copyfile(EXAMPLES / "django_app.py", project / "shop" / "urls.py")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "runserver.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=project,
        env={**os.environ, "SHOP_URL": url, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(url, server)
        page = httpx.get(url + "/")
        assert page.status_code == 200
        assert 'action="/create-checkout-session"' in page.text
        created = httpx.post(url + "/create-checkout-session", data={})
        assert created.status_code == 303
        assert created.headers["location"].startswith(sandbox.url)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
