"""Importing an adapter without its framework raises MissingDependencyError naming the extra."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # makes 'import name' fail as if it were not installed
try:
    import checkoutkit.adapters.{adapter}
except ImportError as exc:
    from checkoutkit import MissingDependencyError
    print(type(exc).__name__, isinstance(exc, MissingDependencyError), exc)
"""


@pytest.mark.parametrize(
    ("adapter", "blocked", "extra"),
    [
        ("flask", ["flask"], "checkoutkit[flask]"),
        ("fastapi", ["fastapi"], "checkoutkit[fastapi]"),
        ("django", ["django", "django.contrib", "django.db"], "checkoutkit[django]"),
        ("litestar", ["litestar"], "checkoutkit[litestar]"),
    ],
)
def test_missing_framework_names_the_extra(adapter: str, blocked: list[str], extra: str) -> None:
    """Without its framework, an adapter's import fails with our error and the pip command."""
    code = CODE.format(blocked=blocked, adapter=adapter)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.startswith("MissingDependencyError True"), out
    assert extra in out


def test_importing_checkoutkit_imports_no_framework() -> None:
    """``import checkoutkit`` (and the flow object) never imports a web framework."""
    code = (
        "import sys, checkoutkit; checkoutkit.Checkout; "
        "print(sorted(m for m in ('flask', 'fastapi', 'django', 'starlette', 'litestar')"
        " if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "[]"
