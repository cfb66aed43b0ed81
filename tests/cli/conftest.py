"""A sandbox and each framework's shop under a real server, shared by the trigger and listen tests.

The shop (``tests/adapters/served_app.py``) runs in one worker process (gunicorn for Flask and
Django, uvicorn for FastAPI and Litestar) and verifies webhooks with the secret
``checkoutkit listen --print-secret`` gives for the sandbox, so both commands can reach it. The
sandbox forwards nothing itself: every event the shop gets comes from the command under test.
"""

from __future__ import annotations

import os
import queue
import signal
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

from servers import free_port, wait_until_up

ADAPTERS = Path(__file__).parents[1] / "adapters"
FRAMEWORKS = ["flask", "fastapi", "django", "litestar"]
SANDBOX_KEY = "sk_test_checkoutkit_cli"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m checkoutkit ARGS`` to the end."""
    return subprocess.run(
        [sys.executable, "-m", "checkoutkit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="session")
def config_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A configuration folder of its own, so the tests never touch the user's listen key."""
    return tmp_path_factory.mktemp("config")


@pytest.fixture(scope="session")
def cli_env(config_home: Path) -> dict[str, str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(config_home)}
    env.pop("STRIPE_WEBHOOK_SECRET", None)
    env.pop("STRIPE_API_BASE", None)
    return env


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    from checkoutkit.sandbox import Sandbox

    with Sandbox() as running:
        yield running


@pytest.fixture(scope="session")
def listen_secret(sandbox: Any, cli_env: dict[str, str]) -> str:
    """What ``export STRIPE_WEBHOOK_SECRET=$(checkoutkit listen --print-secret)`` exports."""
    done = cli("listen", "--print-secret", "--sandbox", sandbox.url, env=cli_env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@attrs.frozen
class Shop:
    """A framework's shop on a real server."""

    framework: str
    url: str
    orders_db: Path

    @property
    def webhook(self) -> str:
        return self.url + "/webhook"

    def orders(self) -> list[str]:
        with closing(sqlite3.connect(self.orders_db)) as db, db:
            return [row[0] for row in db.execute("SELECT session_id FROM orders")]

    def create_session(self) -> str:
        answer = httpx.post(
            self.url + "/create-checkout-session", headers={"Accept": "application/json"}, data={}
        )
        assert answer.status_code == 200, answer.text
        session_id: str = answer.json()["id"]
        return session_id


def _command(framework: str, port: int) -> list[str]:
    if framework in ("fastapi", "litestar"):
        return [
            sys.executable, "-m", "uvicorn", "--factory", f"served_app:{framework}_app",
            "--app-dir", str(ADAPTERS), "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--no-control-socket", "--chdir", str(ADAPTERS), "--log-level", "warning",
        f"served_app:{framework}_app()",
    ]  # fmt: skip


@pytest.fixture(scope="session", params=FRAMEWORKS)
def shop(
    request: pytest.FixtureRequest,
    sandbox: Any,
    listen_secret: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Shop]:
    framework: str = request.param
    tmp = tmp_path_factory.mktemp(f"shop-{framework}")
    orders_db = tmp / "orders.db"
    with closing(sqlite3.connect(orders_db)) as db, db:
        db.execute("CREATE TABLE orders (session_id TEXT, pid INT)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ADAPTERS), str(ADAPTERS.parent), *sys.path]),
        "STRIPE_SECRET_KEY": SANDBOX_KEY,
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_WEBHOOK_SECRET": listen_secret,
        "SHOP_URL": url,
        "SHOP_EVENTS_DB": str(tmp / "events.db"),
        "SHOP_ORDERS_DB": str(orders_db),
        "SHOP_FAIL_MARKER": str(tmp / "fail-next"),
    }
    process = subprocess.Popen(_command(framework, port), env=env, cwd=tmp)
    try:
        wait_until_up(url, process)
        yield Shop(framework, url, orders_db)
    finally:
        process.terminate()
        process.wait(timeout=30)


class Listening:
    """A running ``checkoutkit listen``: its output lines as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "checkoutkit", "listen", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        """The first line (from the start) containing ``text``; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if text in line:
                    return line
            left = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(left, 0.01)) if left > 0 else None
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError(f"no line with {text!r} in {self.lines}")
            self.lines.append(line)

    def interrupt(self) -> int:
        """Ctrl+C; the exit status (and the rest of the output read)."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
