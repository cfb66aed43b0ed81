"""A 100 MB body costs a real server's worker less than 16 MiB of peak memory, and gets a 413.

The shop runs under gunicorn (Flask, Django), uvicorn (FastAPI, Litestar) and, as
``checkoutkit demo`` runs it, werkzeug's threaded server. A raw socket client streams the
body from a generator, with a ``Content-Length`` or chunked, and keeps sending after the
answer for as long as the server reads, so the server meets the whole body. The worker's
peak RSS (``VmHWM`` in ``/proc/<pid>/status``, reset through ``/proc/<pid>/clear_refs``
before each request) is read before and after.
"""

from __future__ import annotations

import os
import re
import select
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import attrs
import pytest

from checkoutkit.testing import sign_payload
from servers import free_port, wait_until_up

HERE = Path(__file__).parent
SANDBOX_KEY = "sk_test_checkoutkit_memory"
HUGE = 100 * 1000 * 1000
PIECE = 64 * 1024
MIB = 1024 * 1024
BOUND = 16 * MIB
SERVERS = [
    "gunicorn-flask",
    "gunicorn-django",
    "uvicorn-fastapi",
    "uvicorn-litestar",
    "werkzeug-demo-flask",
    "werkzeug-demo-django",
]
DEMOS = [s for s in SERVERS if s.startswith("werkzeug-demo")]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status (Linux only)"
    ),
]


@attrs.frozen
class Server:
    """A server on loopback, the pid of its (single) worker, and its webhook secret.

    ``baseline`` is the worker's RSS once warmed up, when its peak RSS was reset.
    """

    name: str
    port: int
    worker: int
    webhook_secret: str | None
    baseline: int = 0


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the server took before the client stopped


def status_kib(pid: int, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (VmHWM, VmRSS)."""
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB$", text, re.MULTILINE)
    assert match, f"no {field} for {pid}"
    return int(match.group(1))


def reset_peak(pid: int) -> int:
    """Reset the worker's peak RSS to its current RSS; returns that, in bytes."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_kib(pid, "VmHWM") * 1024


def peak(pid: int) -> int:
    return status_kib(pid, "VmHWM") * 1024


def pieces(total: int) -> Iterator[bytes]:
    """``total`` bytes of JSON-looking filler, 64 KiB at a time: never held whole."""
    piece = b"{" + b" " * (PIECE - 1)
    sent = 0
    while sent < total:
        size = min(PIECE, total - sent)
        yield piece[:size]
        sent += size


def post(
    port: int,
    path: str,
    body: Iterator[bytes],
    *,
    length: int | None,
    headers: dict[str, str] | None = None,
    stall: float = 5.0,
) -> Answer:
    """POST ``body`` (chunked when ``length`` is None) over a raw socket and read the answer.

    The client keeps sending after the answer arrives, as long as the server reads; it stops
    when the body is sent, the server closes, or the server has stopped reading for ``stall``
    seconds after answering.
    """
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {"Content-Type": "application/json"}).items()]
    head.append("Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}")
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    with closing(sock):
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.setblocking(False)
        received = bytearray()
        pending = b""
        sent = 0
        body_done = write_failed = False
        last_progress = time.monotonic()
        while True:
            if not pending and not body_done:
                piece = next(body, None)
                if piece is None:
                    body_done = True
                    pending = b"0\r\n\r\n" if length is None else b""
                else:
                    sent += len(piece)
                    pending = piece if length is not None else frame(piece)
            writing = bool(pending) and not write_failed
            readable, writable, _ = select.select([sock], [sock] if writing else [], [], 0.5)
            if readable:
                try:
                    data = sock.recv(256 * 1024)
                except ConnectionResetError:
                    data = b""
                if not data:
                    break  # the server closed the connection
                received += data
                last_progress = time.monotonic()
            if writable:
                try:
                    pending = pending[sock.send(pending) :]
                except (BrokenPipeError, ConnectionResetError):
                    write_failed = True
                last_progress = time.monotonic()
            answered = parse(received) is not None
            if answered and (write_failed or (body_done and not pending)):
                break
            if time.monotonic() - last_progress > stall:
                break  # the server stopped reading
        answer = parse(received)
        assert answer is not None, f"no complete answer after {sent} bytes: {bytes(received)!r}"
        status, headers_, content = answer
        return Answer(status, headers_, content, sent)


def frame(piece: bytes) -> bytes:
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


def parse(received: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """Status, headers and body of a complete HTTP/1.1 answer, or None while incomplete."""
    head, sep, rest = bytes(received).partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        size = int(headers["content-length"])
        return (status, headers, rest[:size]) if len(rest) >= size else None
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size_line, sep, rest = rest.partition(b"\r\n")
            if not sep:
                return None
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return status, headers, bytes(body)
            if len(rest) < size + 2:
                return None
            body += rest[:size]
            rest = rest[size + 2 :]
    return status, headers, rest


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def served_command(name: str, port: int) -> list[str]:
    if name.startswith("uvicorn-"):
        return [
            sys.executable, "-m", "uvicorn", "--factory", f"served_app:{name[8:]}_app",
            "--app-dir", str(HERE), "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning",
        ]  # fmt: skip
    framework = name.split("-")[1]
    return [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--no-control-socket", "--chdir", str(HERE), "--log-level", "warning",
        f"served_app:{framework}_app()",
    ]  # fmt: skip


@pytest.fixture(scope="module", params=SERVERS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One of the servers, warmed up by a few small requests."""
    name: str = request.param
    port = free_port()
    if name in DEMOS:
        yield from demo(name.rsplit("-", 1)[1], port)
        return
    from checkoutkit.sandbox import Sandbox

    tmp = tmp_path_factory.mktemp(f"memory-{name}")
    with closing(sqlite3.connect(tmp / "orders.db")) as db, db:
        db.execute("CREATE TABLE orders (session_id TEXT, pid INT)")
    with Sandbox() as sandbox:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
            "STRIPE_SECRET_KEY": SANDBOX_KEY,
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
            "SHOP_URL": f"http://127.0.0.1:{port}",
            "SHOP_EVENTS_DB": str(tmp / "events.db"),
            "SHOP_ORDERS_DB": str(tmp / "orders.db"),
            "SHOP_FAIL_MARKER": str(tmp / "fail-next"),
        }
        process = subprocess.Popen(served_command(name, port), env=env, cwd=tmp)
        try:
            wait_until_up(f"http://127.0.0.1:{port}", process)
            workers = [process.pid] if name.startswith("uvicorn") else children(process.pid)
            assert len(workers) == 1, workers
            yield warm_up(Server(name, port, workers[0], sandbox.webhook_secret))
        finally:
            process.terminate()
            process.wait(timeout=30)


def demo(framework: str, port: int) -> Iterator[Server]:
    """``checkoutkit demo`` (on werkzeug's threaded server), as a user starts it."""
    argv = [
        sys.executable, "-m", "checkoutkit._cli", "demo", "--framework", framework,
        "--port", str(port), "--sandbox-port", str(free_port()),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("STRIPE_SECRET_KEY", None)
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        yield warm_up(Server(f"werkzeug-demo-{framework}", port, process.pid, None))
    finally:
        process.terminate()
        process.wait(timeout=30)


def warm_up(server: Server) -> Server:
    """Small requests down the paths the big ones take (imports, first allocations); then
    the worker's peak RSS is reset, and its RSS is the baseline of every measure.
    """
    for path in ("/webhook", "/create-checkout-session"):
        for length in (2, None):
            answer = post(server.port, path, iter([b"{}"]), length=length, headers=JSON_ACCEPT)
            assert answer.status < 500
    return attrs.evolve(server, baseline=reset_peak(server.worker))


JSON_ACCEPT = {"Content-Type": "application/json", "Accept": "application/json"}


@pytest.mark.parametrize("path", ["/webhook", "/create-checkout-session"])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_100_mb_body_is_413_and_the_worker_grows_less_than_16_mib(
    server: Server, path: str, chunked: bool, record_property: Any
) -> None:
    """413 (short, ours), and the worker's peak RSS grows by less than 16 MiB.

    The growth is counted from the warmed-up worker's RSS, across the big bodies it has met
    so far (each test adds one), so memory kept from an earlier one counts too.
    """
    answer = post(server.port, path, pieces(HUGE), length=None if chunked else HUGE)
    growth = peak(server.worker) - server.baseline
    record_property("peak_rss_growth_bytes", growth)
    print(f"\n{server.name} {path} {'chunked' if chunked else 'content-length'}: "
          f"peak RSS +{growth / MIB:.2f} MiB, server took {answer.sent / 1e6:.1f} MB")  # fmt: skip
    assert answer.status == 413
    if path == "/webhook":
        assert answer.body == b'{"error":"payload too large"}'
    else:
        assert answer.body == b"request body too large\n"
    assert growth < BOUND, f"peak RSS grew by {growth / MIB:.1f} MiB"


@pytest.mark.parametrize("server", [s for s in SERVERS if s not in DEMOS], indirect=True)
def test_a_chunked_signed_webhook_within_the_limit_is_read_whole(server: Server) -> None:
    """Chunked bodies are read, not dropped: a signed event sent in 7-byte chunks verifies.

    (The demo keeps its sandbox's webhook secret to itself; its create endpoint is checked.)
    """
    assert server.webhook_secret is not None
    body = (
        b'{"id": "evt_chunked", "object": "event", "type": "customer.created",'
        b' "data": {"object": {"id": "cus_chunked", "object": "customer"}}}'
    )
    signature = sign_payload(body, server.webhook_secret)
    chunks = iter([body[i : i + 7] for i in range(0, len(body), 7)])
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    answer = post(server.port, "/webhook", chunks, length=None, headers=headers)
    assert answer.status == 200, answer.body
    assert answer.body == b'{"received":true,"handled":false}'


def test_a_chunked_checkout_request_within_the_limit_creates_a_session(server: Server) -> None:
    """A small chunked form reaches the create endpoint whole: a session is created."""
    chunks = iter([b"quan", b"tity=1"])
    answer = post(server.port, "/create-checkout-session", chunks, length=None, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"
    })  # fmt: skip
    assert answer.status == 200, answer.body
    assert b'"id": "cs_test_' in answer.body
