"""The test Django shop served by gunicorn (several worker processes) on the real PostgreSQL.

The sandbox forwards its webhooks to the shop while the test also opens every success page at
once: each paid session ends as exactly one ``Order`` row, written in the transaction that
records it. This is the setup the fault suite serves (see :mod:`stores.django_shop`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from checkoutkit import EventStatus
from django_project import add_postgres, configure_django, empty
from servers import PostgresServer, free_port, wait_until_up

configure_django()

from django.db import connections  # noqa: E402  (needs the settings above)

from checkoutkit.stores.django import DjangoStore  # noqa: E402
from stores.django_shop.models import Order  # noqa: E402

pytestmark = [pytest.mark.services, pytest.mark.slow]

TESTS = Path(__file__).resolve().parents[1]
SANDBOX_KEY = "sk_test_checkoutkit_django_shop"
SESSIONS = 4


def _database_url(alias: str) -> str:
    config = connections.settings[alias]
    return f"postgresql://{config['USER']}@{config['HOST']}:{config['PORT']}/{config['NAME']}"


def test_every_paid_session_is_one_order(postgres: PostgresServer, tmp_path: Path) -> None:
    from checkoutkit.sandbox import Sandbox

    alias = add_postgres(postgres)
    empty(alias)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with Sandbox(forward_to=[url + "/webhook"]) as sandbox:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path]),
            "DJANGO_SETTINGS_MODULE": "stores.django_shop.settings",
            "SHOP_DATABASE_URL": _database_url(alias),
            "SHOP_URL": url,
            "STRIPE_SECRET_KEY": SANDBOX_KEY,
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
        }
        command = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
            "--threads", "4", "--no-control-socket", "--log-level", "warning",
            "stores.django_shop.wsgi:application",
        ]  # fmt: skip
        process = subprocess.Popen(command, env=env, cwd=tmp_path)
        try:
            wait_until_up(url, process)
            with httpx.Client(base_url=url, timeout=60) as http:
                ids = []
                for _ in range(SESSIONS):
                    created = http.post(
                        "/create-checkout-session",
                        headers={"Accept": "application/json"},
                    )
                    assert created.status_code == 200, created.text
                    ids.append(created.json()["id"])
                    paid = httpx.post(
                        f"{sandbox.url}/_sandbox/sessions/{ids[-1]}/pay",
                        data={"card": "4242424242424242"},
                    )
                    assert paid.status_code == 200, paid.text
                # Every success page three times at once, while the webhooks arrive.
                with ThreadPoolExecutor(max_workers=8) as pool:
                    pages = list(pool.map(lambda s: http.get(f"/success?session_id={s}"), ids * 3))
                assert {page.status_code for page in pages} == {200}
            store = DjangoStore(using=alias)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                records = [store.get(f"fulfil:{s}") for s in ids]
                if all(r is not None and r.status is EventStatus.SUCCEEDED for r in records):
                    break
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    orders = Counter(Order.objects.using(alias).values_list("session_id", flat=True))
    assert orders == Counter(dict.fromkeys(ids, 1))
    for session_id in ids:
        record = store.get(f"fulfil:{session_id}")
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
