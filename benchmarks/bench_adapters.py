"""Webhook throughput of each adapter on a real server, against a hand-written endpoint.

Flask and Django run under gunicorn (one worker, four threads), FastAPI and Litestar under
uvicorn (one worker). Both endpoints live in the same app and server. The events are the 3.4 KB
``checkout.session.completed`` of ``tests/webhooks/data``, each with its own event and session
id, signed before the clock starts (so every adapter request fulfils a new session).

The load is bounded and light: two client processes on loopback, each with one request in
flight on a keep-alive connection, writing pre-built request bytes to a raw socket and reading
the answers with a minimal parser. On a two-core machine this leaves the server a core: with
``http.client`` the generator itself took as much CPU as the server, and the ratios swung with
whichever got scheduled. Both endpoints take turns (ABAB, each going first every other round),
each run lasting about a second after a warm-up, and the figure is the median of the per-round
ratios (adapter / hand-written requests per second), with their spread. The server's own CPU
time per request (from ``/proc``) gives a second, steadier ratio: what the machine's load does
to wall-clock throughput, it does not do to CPU time.

FastAPI's adapter mounts its webhook as a plain Starlette route, which skips FastAPI's
dependency solving; the floor is the endpoint a FastAPI user writes (``@app.post``), and the
FastAPI rows also give the ratio to the same hand-written endpoint mounted as a plain route.

The floor answers an empty 200; the adapter answers the router's ``{"received":true}``, and
the servers write a response's headers and its body in two ``send()`` calls, so the adapter
pays one more system call per request than the floor (about 5% with gunicorn).
"""

from __future__ import annotations

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
PAYLOAD = HERE.parent / "tests" / "webhooks" / "data" / "checkout.session.completed.json"
SECRET = "whsec_bench_secret_0123456789"
THREADS = 4
CLIENTS = 2
ROUNDS = 16
RUN_SECONDS = 1.0
ENDPOINTS = {"h": "/hand/webhook", "a": "/checkout/webhook"}
PLAIN = {"p": "/plain/webhook"}  # FastAPI only: the hand-written endpoint as a Starlette route


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _requests(path: str, count: int, tag: str) -> list[bytes]:
    """``count`` complete HTTP requests posting distinct signed events to ``path``."""
    from checkoutkit.testing import sign_payload

    template = json.loads(PAYLOAD.read_bytes())
    out = []
    for n in range(count):
        template["id"] = f"evt_{tag}_{n}"
        template["data"]["object"]["id"] = f"cs_test_{tag}{n}"
        body = json.dumps(template, indent=2).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Stripe-Signature: {sign_payload(body, SECRET)}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


def _answer(sock: socket.socket, buffer: bytes) -> tuple[int, bytes]:
    """Read one HTTP answer: its status and what was read past its end."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(None, 2)[1])
    fields = dict(line.lower().split(b":", 1) for line in lines[1:] if b":" in line)
    if fields.get(b"transfer-encoding", b"").strip() == b"chunked":
        while b"0\r\n\r\n" not in rest:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            rest += data
        return status, rest.partition(b"0\r\n\r\n")[2]
    length = int(fields.get(b"content-length", b"0"))
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        rest += data
    return status, rest[length:]


def _client(port: int, requests: dict[Any, list[bytes]], index: int, pipe: Any) -> None:
    """One client process: on each command, post its share of a run's requests, one at a time."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    while (key := pipe.recv()) is not None:
        chunk = requests[key][index::CLIENTS]
        pipe.send(None)  # ready
        pipe.recv()  # go
        bad = 0
        for request in chunk:
            for _attempt in range(2):
                try:
                    sock.sendall(request)
                    status, buffer = _answer(sock, buffer)
                    break
                except OSError:  # the server closed an idle connection: open another one
                    sock.close()
                    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    buffer, status = b"", -1
            bad += status != 200
        pipe.send((time.perf_counter(), bad))
    sock.close()


def _cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its children (0.0 where /proc is absent)."""
    try:
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        pids = [pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rpartition(")")[2].split()[1]) == pid:
                    pids.append(int(entry))
        for p in pids:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    except (OSError, ValueError, AttributeError):
        return 0.0
    return total


class _Load:
    """CLIENTS client processes, forked once, each with one keep-alive connection to the server.

    Processes, not threads: the generator's own GIL must not be what is measured.
    """

    def __init__(self, port: int, requests: dict[Any, list[bytes]], server: int) -> None:
        self.requests = requests
        self.server = server
        ctx = multiprocessing.get_context("fork")
        self.pipes: list[Any] = []
        self.clients: list[Any] = []
        for index in range(CLIENTS):
            ours, theirs = ctx.Pipe()
            client = ctx.Process(target=_client, args=(port, requests, index, theirs))
            client.start()
            self.pipes.append(ours)
            self.clients.append(client)

    def run(self, key: Any) -> tuple[float, float]:
        """Post the requests under ``key``: requests/s, server CPU s/request; all must be 200."""
        for pipe in self.pipes:
            pipe.send(key)
        for pipe in self.pipes:
            pipe.recv()  # ready
        cpu = _cpu(self.server)
        began = time.perf_counter()
        for pipe in self.pipes:
            pipe.send(True)
        results = [pipe.recv() for pipe in self.pipes]
        cpu = _cpu(self.server) - cpu
        elapsed = max(ended for ended, _ in results) - began
        failures = sum(bad for _, bad in results)
        if failures:
            raise RuntimeError(f"{failures} non-200 answers")
        count = len(self.requests[key])
        return count / elapsed, cpu / count

    def close(self) -> None:
        """Stop the clients."""
        for pipe in self.pipes:
            pipe.send(None)
        for client in self.clients:
            client.join(timeout=30)


def _serve(framework: str, port: int, store: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
        "BENCH_STORE": store,
        "BENCH_SECRET": SECRET,
    }
    if framework in ("fastapi", "litestar"):
        argv = [sys.executable, "-m", "uvicorn", "--factory", f"adapters_bench_app:{framework}_app",
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


class Figures:
    """Per-round results of the adapter and the hand-written endpoint on one server."""

    def __init__(self) -> None:
        self.ratios: list[float] = []  # adapter / hand-written requests per second
        self.cpu_ratios: list[float] = []  # hand-written / adapter server CPU per request
        self.hand: list[float] = []
        self.adapter: list[float] = []
        self.plain_ratios: list[float] = []  # adapter / hand-written plain route (FastAPI)

    def row(self) -> str:
        """The median ratio, its spread over the rounds, and the median rates."""
        cpu = f", CPU {statistics.median(self.cpu_ratios):.2f}x" if all(self.cpu_ratios) else ""
        plain = (
            f"; vs a plain route {statistics.median(self.plain_ratios):.2f}x"
            if self.plain_ratios
            else ""
        )
        return (
            f"{statistics.median(self.ratios):.2f}x"
            f" (rounds {min(self.ratios):.2f}-{max(self.ratios):.2f}{cpu};"
            f" {statistics.median(self.adapter):.0f} vs {statistics.median(self.hand):.0f} req/s"
            f"{plain})"
        )


def measure(framework: str, store: str, tag: str, rounds: int = ROUNDS) -> Figures:
    """Interleaved rounds of both endpoints on one server, after a warm-up of each."""
    port = _free_port()
    process = _serve(framework, port, store)
    figures = Figures()
    load = None
    endpoints = {**ENDPOINTS, **PLAIN} if framework == "fastapi" else ENDPOINTS
    try:
        warm = {("w", k): _requests(path, 300, f"{tag}w{k}") for k, path in endpoints.items()}
        load = _Load(port, warm, process.pid)
        rate = min(load.run(("w", k))[0] for k in endpoints)
        load.close()
        count = max(100, int(rate * RUN_SECONDS))
        requests = {
            (r, k): _requests(path, count, f"{tag}{k}{r}")
            for r in range(rounds)
            for k, path in endpoints.items()
        }
        load = _Load(port, requests, process.pid)
        for r in range(rounds):
            # ABBA: each goes first every other round; ratios are taken within a round, so
            # drift on a shared machine falls on both endpoints alike.
            order = "".join(endpoints)
            got = {k: load.run((r, k)) for k in (order[::-1] if r % 2 else order)}
            if "p" in got:
                figures.plain_ratios.append(got["a"][0] / got["p"][0])
            (hand_rate, hand_cpu), (adapter_rate, adapter_cpu) = got["h"], got["a"]
            figures.hand.append(hand_rate)
            figures.adapter.append(adapter_rate)
            figures.ratios.append(adapter_rate / hand_rate)
            figures.cpu_ratios.append(hand_cpu / adapter_cpu if adapter_cpu else 0.0)
        return figures
    finally:
        if load is not None:
            load.close()
        process.terminate()
        process.wait(timeout=30)


def run() -> list[tuple[str, str]]:
    """Rows of (label, figure): the adapter / hand-written ratio per framework and store."""
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for framework in ("flask", "fastapi", "django", "litestar"):
            for store, target in (("memory", 0.9), ("sqlite", 0.75)):
                where = "memory" if store == "memory" else str(Path(tmp) / f"{framework}.db")
                figures = measure(framework, where, f"{framework}{store}")
                label = f"{framework} webhook, {store} store: adapter / hand [>= {target}x]"
                rows.append((label, figures.row()))
    return rows


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:55} {figure}")
