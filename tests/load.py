"""A bounded load run: distinct signed events posted to a two-worker uvicorn server whose
router claims them in a shared PostgreSQL store (used by a test and by ``bench_scale``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from servers import ServerUnavailable, _wait_for_port, free_port

ROOT = Path(__file__).resolve().parent.parent


def _event(event_id: str, version: str) -> bytes:
    import json

    session = {
        "id": "cs_test_" + event_id.removeprefix("evt_"),
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 2000,
        "currency": "eur",
        "livemode": False,
    }
    event = {
        "id": event_id,
        "object": "event",
        "api_version": version,
        "created": int(time.time()),
        "data": {"object": session},
        "livemode": False,
        "pending_webhooks": 1,
        "type": "checkout.session.completed",
    }
    return json.dumps(event).encode()


def run_load(
    dsn: str, *, events: int, concurrency: int = 8, budget: float = 15.0, redeliver: int = 200
) -> dict[str, Any]:
    """Post ``events`` distinct events, then the first ``redeliver`` of them once more, and count
    the answers and the effects.

    Each pass stops sending when ``budget`` seconds have passed; returns counts and requests/s.
    """
    import httpx
    import psycopg
    from stripe._api_version import _ApiVersion

    from checkoutkit.testing import TEST_SECRET, sign_payload

    table = f"ck_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table}_effects (event_id text NOT NULL, pid int)")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]),
        "CK_SCALE_DSN": dsn,
        "CK_SCALE_TABLE": table,
    }
    argv = [sys.executable, "-m", "uvicorn", "scale_app:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--workers", "2", "--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen(argv, env=env, cwd=ROOT / "tests")
    try:
        _wait_for_port(port, time.monotonic() + 30, server)
        version = str(_ApiVersion.CURRENT)
        bodies = [
            _event(f"evt_load_{i:06d}_{uuid.uuid4().hex[:8]}", version) for i in range(events)
        ]
        url = f"http://127.0.0.1:{port}/webhooks"
        deadline = time.monotonic() + budget
        statuses: Counter[int] = Counter()
        with httpx.Client(limits=httpx.Limits(max_connections=concurrency), timeout=30) as client:

            def post(body: bytes) -> int:
                if time.monotonic() > deadline:
                    return 0
                headers = {"Stripe-Signature": sign_payload(body, TEST_SECRET)}
                return client.post(url, content=body, headers=headers).status_code

            start = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                first = list(pool.map(post, bodies))
            elapsed = time.perf_counter() - start
            deadline = time.monotonic() + budget
            sent_bodies = [body for body, status in zip(bodies, first, strict=True) if status]
            with ThreadPoolExecutor(concurrency) as pool:
                again = list(pool.map(post, sent_bodies[:redeliver]))
        statuses.update(first)
        sent = sum(1 for s in first if s)
        with psycopg.connect(dsn, autocommit=True) as conn:
            rows = conn.execute(f"SELECT event_id, pid FROM {table}_effects").fetchall()  # noqa: S608
            conn.execute(f"DROP TABLE {table}_effects")
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        effects = Counter(row[0] for row in rows)
        return {
            "sent": sent,
            "non_2xx": sum(1 for s in first if s and not 200 <= s < 300),
            "redelivered_non_2xx": sum(1 for s in again if s and not 200 <= s < 300),
            "redelivered": sum(1 for s in again if s),
            "effects": sum(effects.values()),
            "distinct_effects": len(effects),
            "workers": len({row[1] for row in rows}),
            "requests_per_s": sent / elapsed if elapsed else 0.0,
            "unsent": events - sent,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


__all__ = ["ServerUnavailable", "run_load"]
