"""The documented tests of an application's own routes pass, as a reader would run them.

Each quickstart app and its test file from docs/examples are copied into an empty folder and run
with pytest there (the checkoutkit plugin's ``sandbox`` fixture, nothing of this suite's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import checkoutkit

pytestmark = pytest.mark.processes

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
FRAMEWORKS = ["flask", "fastapi", "django", "litestar"]


def test_documented_app_tests_pass(tmp_path: Path) -> None:
    """``pytest`` beside each ``<framework>_app.py`` and its ``test_<framework>_app.py``.

    One pytest run for the four frameworks (imports are what takes time); each file's two tests
    must pass.
    """
    for framework in FRAMEWORKS:
        for name in (f"{framework}_app.py", f"test_{framework}_app.py"):
            shutil.copyfile(EXAMPLES / name, tmp_path / name)
    installed = any(ep.value == "checkoutkit.testing" for ep in entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "checkoutkit.testing"]
    package_root = str(Path(checkoutkit.__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    env["PYTHONPATH"] = os.pathsep.join([package_root, str(tmp_path)])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{2 * len(FRAMEWORKS)} passed" in result.stdout
    assert not (tmp_path / "shop.db").exists()  # each test used its own database
