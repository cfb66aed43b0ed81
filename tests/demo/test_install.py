"""The README's install lines work today, in a fresh virtual environment, as a newcomer runs them.

The clone line runs in a copy of the source tree; the wheel line beside a ``dist/`` that holds
the wheel under test (``CHECKOUTKIT_TESTING_WHEEL``, set by ``nox -s tests``) or, when run against
the source tree, one built from the copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LEFT_OUT = shutil.ignore_patterns(
    ".git",
    ".nox",
    ".venv",
    "dist",
    "_build",
    "__pycache__",
    "*.egg-info",
    ".*_cache",
    ".hypothesis",
)


def _readme_command(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)\n```", README, re.S)
    assert match, f"README.md has no block after <!-- {marker} -->"
    return match.group(1).split("#", 1)[0].strip()


def _run_in_fresh_venv(command: str, cwd: Path, venv: Path) -> None:
    """Activate ``venv`` (made by :func:`_fresh_venv`) and run ``command`` in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    shell = f". {venv}/bin/activate && {command}"
    done = subprocess.run(
        ["bash", "-c", shell], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
    check = "import checkoutkit.adapters.flask, checkoutkit.sandbox; print(checkoutkit.__file__)"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", check],
        cwd=venv.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(venv)  # installed, not read from a source tree
    assert (
        subprocess.run([str(venv / "bin" / "checkoutkit"), "--help"], check=False).returncode == 0
    )


def _fresh_venv(path: Path) -> Path:
    """A new virtual environment made by this Python, with pip (as ``python3 -m venv`` makes)."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree, as a fresh clone would have it."""
    copy = tmp_path_factory.mktemp("clone") / "checkoutkit"
    shutil.copytree(ROOT, copy, ignore=LEFT_OUT)
    return copy


@pytest.mark.slow
def test_readme_install_from_a_clone(tree: Path, tmp_path: Path) -> None:
    """``pip install '.[flask,sandbox]'`` in the clone installs the package and its extras."""
    command = _readme_command("install-command")
    assert command == "pip install '.[flask,sandbox]'"
    _run_in_fresh_venv(command, tree, _fresh_venv(tmp_path / "venv"))


@pytest.mark.slow
def test_readme_install_from_the_built_wheel(tree: Path, tmp_path: Path) -> None:
    """The wheel line installs the wheel ``nox -s build`` makes, under the name the README gives."""
    command = _readme_command("install-wheel-command")
    named = re.search(r"dist/(checkoutkit-[^\[']+\.whl)", command)
    assert named
    dist = tmp_path / "dist"
    dist.mkdir()
    venv = _fresh_venv(tmp_path / "venv")
    wheel = os.environ.get("CHECKOUTKIT_TESTING_WHEEL")
    if wheel is None:
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(dist), str(tree)], check=True)
        (built,) = dist.glob("checkoutkit-*.whl")
    else:
        built = Path(shutil.copy(wheel, dist))
    assert built.name == named.group(1)  # the README names the wheel of this version
    _run_in_fresh_venv(command, tmp_path, venv)
