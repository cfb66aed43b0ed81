"""Fulfil-once across instances: two application processes (uvicorn, FastAPI adapter) share a
PostgreSQL store; the success page and the webhook of each paid session reach different ones."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import free_port

TESTS = Path(__file__).resolve().parent.parent
SANDBOX_KEY = "sk_test_checkoutkit_scale"


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "scale_shop:fastapi_app",
        "--app-dir", str(TESTS), "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(argv, env=env, cwd=TESTS)


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the instance exited with {process.returncode}")
        try:
            if httpx.get(url + "/cancel", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the instance did not come up within 30 s")


@pytest.mark.slow
@pytest.mark.services
def test_success_page_and_webhook_on_different_instances_fulfil_once(postgres: Any) -> None:
    """Each paid session is fulfilled once while its page and webhook hit two instances at once."""
    import psycopg

    from checkoutkit.sandbox import Sandbox

    table = f"ck_shop_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table}_orders (session_id text NOT NULL, pid int)")
    page_port, hook_port = free_port(), free_port()
    page_url, hook_url = f"http://127.0.0.1:{page_port}", f"http://127.0.0.1:{hook_port}"
    processes = []
    with Sandbox(retry_scale=0.001, forward_to=[hook_url + "/webhook"]) as sandbox:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path]),
            "STRIPE_SECRET_KEY": SANDBOX_KEY,
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
            "SHOP_URL": page_url,
            "SHOP_DSN": postgres.dsn,
            "SHOP_TABLE": table,
        }
        try:
            for port, url in ((page_port, page_url), (hook_port, hook_url)):
                process = _start(port, env)
                processes.append(process)
                _wait_up(url, process)
            sessions = []
            for _ in range(5):
                created = httpx.post(
                    page_url + "/create-checkout-session",
                    headers={"Accept": "application/json"},
                    data={},
                )
                assert created.status_code == 200, created.text
                session_id = str(created.json()["id"])
                pages: list[int] = []

                def page(sid: str = session_id, pages: list[int] = pages) -> None:
                    answer = httpx.get(page_url + "/success", params={"session_id": sid})
                    pages.append(answer.status_code)

                sandbox.pay(session_id, card="4242424242424242")
                threads = [threading.Thread(target=page) for _ in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                assert pages == [200, 200]
                sessions.append(session_id)
            # Every webhook has been answered (retries included) once the sandbox is idle; a
            # 2xx for each completed event shows the hook instance handled it.
            assert sandbox.wait_for_deliveries(timeout=30)
            handled = {
                d["event"]
                for d in sandbox.deliveries()
                if d["type"] == "checkout.session.completed" and d["succeeded"]
            }
            assert len(handled) == len(sessions), sandbox.deliveries()
            with psycopg.connect(postgres.dsn, autocommit=True) as conn:
                query = f"SELECT session_id, pid FROM {table}_orders"  # noqa: S608
                rows = conn.execute(query).fetchall()
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
    orders = Counter(row[0] for row in rows)
    assert orders == Counter(dict.fromkeys(sessions, 1))
