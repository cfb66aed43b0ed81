"""The suite runs against the built wheel, and the wheel carries every file the package needs.

``nox -s tests`` builds the wheel, installs it and names it in ``CHECKOUTKIT_TESTING_WHEEL``;
without that variable (a run against the source tree) these tests are skipped with that reason.
"""

from __future__ import annotations

import os
import sysconfig
import zipfile
from pathlib import Path

import pytest

import checkoutkit

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "checkoutkit"
WHEEL = os.environ.get("CHECKOUTKIT_TESTING_WHEEL")

pytestmark = pytest.mark.skipif(
    not WHEEL,
    reason="runs only against a built wheel (nox -s tests sets CHECKOUTKIT_TESTING_WHEEL)",
)


def _wheel_names() -> set[str]:
    assert WHEEL is not None
    with zipfile.ZipFile(WHEEL) as archive:
        return set(archive.namelist())


def test_checkoutkit_is_imported_from_site_packages_not_src() -> None:
    """The package under test is the installed wheel, not the source tree."""
    module = Path(checkoutkit.__file__).resolve()
    assert not module.is_relative_to(ROOT / "src")
    assert module.is_relative_to(Path(sysconfig.get_paths()["purelib"]).resolve())


def test_wheel_carries_every_package_file() -> None:
    """Every file of src/checkoutkit (modules, py.typed, data) is in the wheel."""
    expected = {
        "checkoutkit/" + path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    missing = expected - _wheel_names()
    assert not missing, f"missing from the wheel: {sorted(missing)}"
    assert "checkoutkit/py.typed" in expected


def test_wheel_declares_the_cli_and_the_pytest_plugin() -> None:
    """The wheel's entry points name the ``checkoutkit`` script and the pytest plugin."""
    assert WHEEL is not None
    with zipfile.ZipFile(WHEEL) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = archive.read(name).decode()
    assert "checkoutkit = checkoutkit._cli:main" in text
    assert "checkoutkit = checkoutkit.testing" in text


def test_wheel_holds_no_tests_or_docs() -> None:
    """Only the package and its metadata are in the wheel (no tests, docs or build leftovers)."""
    assert WHEEL is not None
    name, version = Path(WHEEL).name.split("-")[:2]
    top = {entry.split("/", 1)[0] for entry in _wheel_names()}
    assert top == {"checkoutkit", f"{name}-{version}.dist-info"}
