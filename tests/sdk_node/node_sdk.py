"""stripe-node, installed once per lock file, and a runner for sdk_check.cjs against a sandbox.

``npm ci`` installs the exact version of package-lock.json into pytest's cache directory, in a
folder named after the hash of package.json and package-lock.json: the first test session of a
run pays for it, the others (one per Python) and later runs reuse it. Without node or npm, or
when npm cannot install, the tests fail under CI (``CI`` set) and are skipped, with the reason,
elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from checkoutkit.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "sdk_check.cjs"
MANIFESTS = (HERE / "package.json", HERE / "package-lock.json")
MIN_NODE_MAJOR = 20  # stripe-node 23 declares engines.node >= 20
NPM_TIMEOUT = 300.0
RUN_TIMEOUT = 120.0


def unavailable(reason: str) -> NoReturn:
    """Fail under CI, where the check must run; skip with ``reason`` elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required under CI)", pytrace=False)
    pytest.skip(reason)


def pinned_version() -> str:
    """The stripe-node version package.json pins (an exact version, never a range)."""
    manifest = json.loads(MANIFESTS[0].read_text())
    version: str = manifest["dependencies"]["stripe"]
    return version


@dataclass(frozen=True)
class StripeNode:
    """A Node.js binary and a node_modules folder holding the pinned stripe-node."""

    node: str
    node_modules: Path

    def run(self, sandbox: Sandbox | None, scenario: str, **inputs: Any) -> dict[str, Any]:
        """Run one scenario of sdk_check.cjs against ``sandbox``; what it printed, parsed."""
        env = {key: value for key, value in os.environ.items() if key != "SANDBOX_URL"}
        env["NODE_PATH"] = str(self.node_modules)
        if sandbox is not None:
            env["SANDBOX_URL"] = sandbox.url
        done = subprocess.run(
            [self.node, str(SCRIPT), scenario, json.dumps(inputs)],
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"node {SCRIPT.name} {scenario} failed:\n{done.stderr}"
        result: dict[str, Any] = json.loads(done.stdout)
        return result


def node_major(node: str) -> int:
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    try:
        return int(done.stdout.strip().lstrip("v").split(".")[0])
    except ValueError:
        return 0


def install(npm: str, target: Path) -> None:
    """``npm ci`` into a fresh sibling of ``target``, then rename it: a target is complete."""
    staging = target.with_name(f"{target.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for manifest in MANIFESTS:
        shutil.copy2(manifest, staging / manifest.name)
    try:
        done = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        unavailable(f"npm ci did not finish within {NPM_TIMEOUT:.0f} s")
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        unavailable(f"npm ci failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    try:
        staging.rename(target)
    except OSError:  # another process installed the same lock file first
        shutil.rmtree(staging, ignore_errors=True)
