"""The demo under test: ``checkoutkit demo`` in its own process, one per framework."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import attrs
import httpx
import pytest


@attrs.frozen
class Demo:
    shop: str
    sandbox: str

    def orders_page(self) -> str:
        return httpx.get(self.shop + "/orders").text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module", params=["flask", "fastapi", "django", "litestar"])
def demo(request: pytest.FixtureRequest) -> Iterator[Demo]:
    """``checkoutkit demo --framework …`` running in its own process until the module ends."""
    port, sandbox_port = free_port(), free_port()
    argv = [
        sys.executable, "-m", "checkoutkit._cli", "demo", "--framework", request.param,
        "--port", str(port), "--sandbox-port", str(sandbox_port),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("STRIPE_SECRET_KEY", None)
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, f"the demo exited early: {''.join(lines)}"
            lines.append(line)
            if line.startswith("Ready"):
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in output
        assert f'curl -X POST -is http://127.0.0.1:{port}/create-checkout-session -d ""' in output
        yield Demo(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}")
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0
