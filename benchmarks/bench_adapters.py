"""Webhook throughput of each adapter on a real server, against a hand-written endpoint.

Flask and Django run under gunicorn (one worker, four threads), FastAPI under uvicorn (one
worker). Both endpoints live in the same app and server; a loopback load generator posts
distinct signed ``checkout.session.completed`` events from four client processes over
keep-alive connections (bodies are signed before the clock starts). Ratios are adapter /
hand-written requests per second: the median over interleaved rounds of the ratio within each
round, after a warm-up, measured in the same run; with ``SqliteStore`` the adapter dedupes
every event on disk.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SECRET = "whsec_bench_secret_0123456789"
REQUESTS = 240
THREADS = 4
CLIENTS = 4
ROUNDS = 6


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


def _post_all(port: int, path: str, chunk: list[tuple[bytes, str]], go: Any, out: Any) -> None:
    """One client process: post every body of ``chunk`` on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    out.put(None)  # connected
    go.wait()
    bad = 0
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
        bad += status != 200
    conn.close()
    out.put((time.perf_counter(), bad))


def _load(port: int, path: str, bodies: list[tuple[bytes, str]]) -> float:
    """Requests per second posting ``bodies`` from CLIENTS processes; every answer must be 200.

    Separate processes, not threads: the generator's own GIL must not be what is measured.
    """
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    go = ctx.Event()
    out = ctx.Queue()
    clients = [
        ctx.Process(target=_post_all, args=(port, path, bodies[i::CLIENTS], go, out))
        for i in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    for _ in clients:
        out.get(timeout=30)  # every client connected and waiting
    began = time.perf_counter()
    go.set()
    results = [out.get(timeout=120) for _ in clients]
    for client in clients:
        client.join()
    elapsed = max(ended for ended, _ in results) - began
    failures = sum(bad for _, bad in results)
    if failures:
        raise RuntimeError(f"{failures} non-200 answers on {path}")
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


def _measure(framework: str, store: str, tag: str) -> tuple[float, float, float]:
    """Best requests/s of both endpoints, and the median of the per-round ratios."""
    port = _free_port()
    process = _serve(framework, port, store)
    try:
        _load(port, "/hand/webhook", _bodies(50, f"{tag}warm"))  # warm both paths up
        _load(port, "/checkout/webhook", _bodies(50, f"{tag}warmup"))
        hands: list[float] = []
        adapters: list[float] = []
        for r in range(ROUNDS):
            # Interleaved, each going first every other round, and compared round by round:
            # drift on a shared machine falls on both endpoints alike.
            hand_bodies = _bodies(REQUESTS, f"{tag}h{r}")
            adapter_bodies = _bodies(REQUESTS, f"{tag}a{r}")
            if r % 2:
                adapters.append(_load(port, "/checkout/webhook", adapter_bodies))
            hands.append(_load(port, "/hand/webhook", hand_bodies))
            if not r % 2:
                adapters.append(_load(port, "/checkout/webhook", adapter_bodies))
        ratio = statistics.median(a / h for a, h in zip(adapters, hands, strict=True))
        return max(hands), max(adapters), ratio
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
                hand, adapter, ratio = _measure(framework, where, f"{framework}{store}")
                rows.append(
                    (
                        f"{framework} webhook, {store} store: adapter / hand-written",
                        f"{ratio:.2f}x (best {adapter:.0f} vs {hand:.0f} req/s)",
                    )
                )
    return rows


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:55} {figure}")
