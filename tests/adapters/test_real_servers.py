"""The conformance cases again, against real servers on loopback (gunicorn and uvicorn).

Flask and Django run under gunicorn, FastAPI and Litestar under uvicorn.

Each framework's app runs in two worker processes sharing one SqliteStore file, and the sandbox
delivers its webhooks to the server over HTTP, as Stripe would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from checkoutkit import CheckoutGateway
from checkoutkit.testing import sign_payload
from servers import free_port, wait_until_up

pytestmark = pytest.mark.processes

HERE = Path(__file__).parent
SANDBOX_KEY = "sk_test_checkoutkit_servers"


@attrs.frozen
class Served:
    """A running server for one framework and the sandbox that feeds it."""

    framework: str
    url: str
    sandbox: Any
    orders_db: Path
    fail_marker: Path

    def orders(self) -> list[str]:
        with closing(sqlite3.connect(self.orders_db)) as db, db:
            return [row[0] for row in db.execute("SELECT session_id FROM orders")]

    def create_session(self) -> str:
        answer = httpx.post(
            self.url + "/create-checkout-session",
            headers={"Accept": "application/json"},
            data={},
        )
        assert answer.status_code == 200, answer.text
        session_id: str = answer.json()["id"]
        return session_id

    def event_id(self, session_id: str, type_: str = "checkout.session.completed") -> str:
        events = httpx.get(
            self.sandbox.url + "/v1/events",
            params={"type": type_, "limit": 100},
            headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
        ).json()["data"]
        return next(str(e["id"]) for e in events if e["data"]["object"]["id"] == session_id)

    def delivered(self, event_id: str, attempts: int = 1) -> list[dict[str, Any]]:
        """The delivery log of ``event_id`` once it holds a 2xx (and ``attempts`` entries)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            log: list[dict[str, Any]] = self.sandbox.deliveries(event_id)
            if len(log) >= attempts and any(d["succeeded"] for d in log[attempts - 1 :]):
                return log
            time.sleep(0.05)
        raise AssertionError(f"{event_id} was not delivered: {self.sandbox.deliveries(event_id)}")


def command(framework: str, port: int) -> list[str]:
    bind = f"127.0.0.1:{port}"
    if framework in ("fastapi", "litestar"):
        return [
            sys.executable, "-m", "uvicorn", "--factory", f"served_app:{framework}_app",
            "--app-dir", str(HERE), "--host", "127.0.0.1", "--port", str(port),
            "--workers", "2", "--log-level", "warning",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", "2", "--no-control-socket",
        "--chdir", str(HERE), "--log-level", "warning", f"served_app:{framework}_app()",
    ]  # fmt: skip


@pytest.fixture(scope="module", params=["flask", "fastapi", "django", "litestar"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A sandbox and the framework's app under a real server with two worker processes."""
    from checkoutkit.sandbox import Sandbox

    framework: str = request.param
    tmp = tmp_path_factory.mktemp(f"served-{framework}")
    orders_db = tmp / "orders.db"
    with closing(sqlite3.connect(orders_db)) as db, db:
        db.execute("CREATE TABLE orders (session_id TEXT, pid INT)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with Sandbox(retry_scale=0.001, forward_to=[url + "/webhook"]) as sandbox:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
            "STRIPE_SECRET_KEY": SANDBOX_KEY,
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
            "SHOP_URL": url,
            "SHOP_EVENTS_DB": str(tmp / "events.db"),
            "SHOP_ORDERS_DB": str(orders_db),
            "SHOP_FAIL_MARKER": str(tmp / "fail-next"),
        }
        process = subprocess.Popen(command(framework, port), env=env, cwd=tmp)
        try:
            wait_until_up(url, process)
            yield Served(framework, url, sandbox, orders_db, tmp / "fail-next")
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_seed_curl_command_answers_303(served: Served) -> None:
    """The seed's ``curl -X POST -is …/create-checkout-session -d ""`` answers 303 See Other."""
    out = subprocess.run(
        ["curl", "-X", "POST", "-is", served.url + "/create-checkout-session", "-d", ""],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    head = out.split("\n\n", 1)[0].splitlines()
    assert head[0].split()[1] == "303"
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (h.partition(":") for h in head[1:])
    }
    assert headers["location"].startswith(served.sandbox.url + "/c/pay/cs_test_")


def test_bad_signature_is_400(served: Served) -> None:
    """A webhook signed with the wrong secret answers 400 from the real server."""
    body = b'{"id": "evt_x", "object": "event", "type": "checkout.session.completed"}'
    answer = httpx.post(
        served.url + "/webhook",
        content=body,
        headers={"Stripe-Signature": sign_payload(body, "whsec_wrong_secret_0000000000")},
    )
    assert answer.status_code == 400


def test_bad_session_id_is_400_and_unknown_is_404(served: Served) -> None:
    """The success page refuses a malformed id (400) and an unknown one (404)."""
    assert httpx.get(served.url + "/success", params={"session_id": "x"}).status_code == 400
    unknown = {"session_id": "cs_test_unknown000000"}
    assert httpx.get(served.url + "/success", params=unknown).status_code == 404


def test_paid_sessions_are_fulfilled_once_across_page_and_webhook(served: Served) -> None:
    """Paying sends the webhook while the success page is loaded at once: one order each."""
    session_ids = []
    for _ in range(4):
        session_id = served.create_session()
        pages: list[int] = []

        def page(sid: str = session_id, pages: list[int] = pages) -> None:
            answer = httpx.get(served.url + "/success", params={"session_id": sid})
            pages.append(answer.status_code)

        served.sandbox.pay(session_id, card="4242424242424242")
        threads = [threading.Thread(target=page) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert pages == [200, 200]
        session_ids.append(session_id)
    for session_id in session_ids:
        served.delivered(served.event_id(session_id))
    orders = served.orders()
    for session_id in session_ids:
        assert orders.count(session_id) == 1


def test_duplicate_delivery_is_200_without_a_second_order(served: Served) -> None:
    """Redelivering a handled event answers 200 and fulfils nothing again."""
    session_id = served.create_session()
    served.sandbox.pay(session_id, card="4242424242424242")
    event_id = served.event_id(session_id)
    before = len(served.delivered(event_id))
    served.sandbox.redeliver(event_id)
    again = served.delivered(event_id, attempts=before + 1)[before:]
    assert [d["status"] for d in again] == [200]
    assert served.orders().count(session_id) == 1


def test_failing_fulfilment_is_500_then_retried_once(served: Served) -> None:
    """A fulfilment that fails answers 500; the sandbox's retry then fulfils it, once."""
    served.fail_marker.touch()
    session_id = served.create_session()
    served.sandbox.pay(session_id, card="4242424242424242")
    statuses = [d["status"] for d in served.delivered(served.event_id(session_id))]
    assert statuses[0] == 500
    assert statuses[-1] == 200
    assert not served.fail_marker.exists()
    assert served.orders().count(session_id) == 1


def test_gateway_sees_the_flow_urls(served: Served) -> None:
    """Sessions created through the server carry the configured success and cancel URLs."""
    session_id = served.create_session()
    with CheckoutGateway.for_sandbox(served.sandbox, api_key=SANDBOX_KEY) as gateway:
        session = gateway.retrieve(session_id)
    assert session.success_url == served.url + "/success?session_id={CHECKOUT_SESSION_ID}"
    assert session.cancel_url == served.url + "/cancel"
