"""``nox -s demo`` runs on the Python that runs nox (or the newest supported one), never skips.

A skipped nox session exits 0 having done nothing, which a newcomer takes for a broken demo.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from demo_support import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    """The project's noxfile, imported without leaving its environment changes behind."""
    saved = dict(os.environ)
    try:
        spec = importlib.util.spec_from_file_location("checkoutkit_noxfile", ROOT / "noxfile.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_demo_runs_on_the_supported_python_running_nox(noxfile: ModuleType) -> None:
    """Every supported Python running nox is the demo's (None: nox's own interpreter)."""
    assert noxfile.PYTHONS[0] == "3.10"
    for version in noxfile.PYTHONS:
        assert noxfile.demo_python(version, which=lambda name: None) is None
        assert noxfile.demo_python_missing(version) is None


def test_an_unsupported_python_takes_the_newest_supported_one_found(noxfile: ModuleType) -> None:
    """Nox on Python 3.9 with python3.11 and python3.12 on PATH: the demo takes 3.12."""
    found = {"python3.11", "python3.12"}
    assert noxfile.demo_python("3.9", which=lambda n: n if n in found else None) == "3.12"


def test_no_supported_python_is_an_error_that_says_what_to_install(noxfile: ModuleType) -> None:
    """Nothing supported anywhere: the session fails with what is needed, it is not skipped."""
    assert noxfile.demo_python("3.9", which=lambda name: None) is None
    problem = noxfile.demo_python_missing("3.9")
    assert problem is not None
    assert "needs Python 3.10 to 3.13" in problem
    assert "python3.13" in problem


@pytest.mark.slow
def test_nox_demo_serves_the_shop(tmp_path: Path) -> None:
    """``nox -s demo -- --port N`` on this Python installs the demo and serves its shop page."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "CHECKOUTKIT_"))}
    argv = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "demo"]
    argv += ["--envdir", str(tmp_path / "envs"), "--", "--port", str(port)]
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # nox runs the demo in a child: stop the whole group
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300  # a first run installs four web frameworks
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, f"nox exited before the demo was ready: {''.join(lines)}"
            lines.append(line)
            if line.startswith("Ready"):
                break
        output = "".join(lines)
        assert "skipped" not in output
        # "demo", not "demo-3.13": the session is not pinned to one version.
        assert any(line.rstrip().endswith("Running session demo") for line in lines), output
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        if process.stdout is not None:
            process.stdout.close()
