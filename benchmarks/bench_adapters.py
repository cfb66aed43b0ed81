"""Webhook throughput of each adapter on a real server, against a hand-written endpoint.

Flask and Django run under gunicorn (one worker, four threads), FastAPI under uvicorn (one
worker). Both endpoints live in the same app and server; a loopback load generator posts
distinct signed ``checkout.session.completed`` events from four threads over keep-alive
connections. Ratios are adapter / hand-written requests per second, best of three rounds
each, measured in the same run; with ``SqliteStore`` the adapter dedupes every event on disk.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
SECRET = "whsec_bench_secret_0123456789"
REQUESTS = 400
THREADS = 4
ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bodies(count: int, tag: str) -> list[tuple[bytes, str]]:
    from checkoutkit.testing import sign_payload

    out = []
    for n in range(count):
        event = {
            "id": f"evt_{tag}_{n}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": f"cs_test_{tag}{n}",
                    "object": "checkout.session",
                    "payment_status": "paid",
                    "status": "complete",
                    "amount_total": 2000,
                    "currency": "usd",
                }
            },
        }
        body = json.dumps(event).encode()
        out.append((body, sign_payload(body, SECRET)))
    return out


def _load(port: int, path: str, bodies: list[tuple[bytes, str]]) -> float:
    """Requests per second posting ``bodies`` from THREADS threads; every answer must be 200."""
    chunks = [bodies[i::THREADS] for i in range(THREADS)]
    failures: list[int] = []
    start = threading.Barrier(THREADS + 1)

    def worker(chunk: list[tuple[bytes, str]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        for body, signature in chunk:
            headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                status = -1
            if status != 200:
                failures.append(status)
        conn.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} non-200 answers on {path}: {failures[:5]}")
    return len(bodies) / elapsed


def _serve(framework: str, port: int, store: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
        "BENCH_STORE": store,
        "BENCH_SECRET": SECRET,
    }
    if framework == "fastapi":
        argv = [sys.executable, "-m", "uvicorn", "--factory", "adapters_bench_app:fastapi_app",
                "--app-dir", str(HERE), "--port", str(port), "--log-level", "warning"]  # fmt: skip
    else:
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--threads", str(THREADS), "--no-control-socket",
                "--log-level", "warning", "--chdir", str(HERE),
                f"adapters_bench_app:{framework}_app()"]  # fmt: skip
    process = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{framework} server did not start")


def _measure(framework: str, store: str, tag: str) -> tuple[float, float]:
    port = _free_port()
    process = _serve(framework, port, store)
    try:
        _load(port, "/hand/webhook", _bodies(50, f"{tag}warm"))  # warm both paths up
        _load(port, "/checkout/webhook", _bodies(50, f"{tag}warmup"))
        hand = adapter = 0.0
        for r in range(ROUNDS):
            hand = max(hand, _load(port, "/hand/webhook", _bodies(REQUESTS, f"{tag}h{r}")))
            adapter = max(
                adapter, _load(port, "/checkout/webhook", _bodies(REQUESTS, f"{tag}a{r}"))
            )
        return hand, adapter
    finally:
        process.terminate()
        process.wait(timeout=30)


def run() -> list[tuple[str, str]]:
    """Rows of (label, figure): requests/s of both endpoints and their ratio per framework."""
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for framework in ("flask", "fastapi", "django"):
            for store in ("memory", "sqlite"):
                where = "memory" if store == "memory" else str(Path(tmp) / f"{framework}.db")
                hand, adapter = _measure(framework, where, f"{framework}{store}")
                rows.append(
                    (
                        f"{framework} webhook, {store} store: adapter / hand-written",
                        f"{adapter / hand:.2f}x ({adapter:.0f} vs {hand:.0f} req/s)",
                    )
                )
    return rows


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:55} {figure}")
