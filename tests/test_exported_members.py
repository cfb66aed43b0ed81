"""The public namespace is exactly ``__all__``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import checkoutkit


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` is sorted, and every public name of the package is in it and importable."""
    assert list(checkoutkit.__all__) == sorted(checkoutkit.__all__)
    for name in checkoutkit.__all__:
        assert getattr(checkoutkit, name) is not None
    public = {
        name
        for name in vars(checkoutkit)
        if not name.startswith("_")
        and name not in {"annotations", "Any", "TYPE_CHECKING", "importlib"}
        and not isinstance(getattr(checkoutkit, name), type(checkoutkit))
    }
    assert public == set(checkoutkit.__all__)
    assert set(dir(checkoutkit)) >= set(checkoutkit.__all__)


def test_lazy_names_match_the_type_checking_imports() -> None:
    """Each lazily loaded name comes from the module its explicit (type-checking) import names."""
    tree = ast.parse(Path(checkoutkit.__file__).read_text(encoding="utf-8"))
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    explicit = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert explicit == checkoutkit._LAZY
    for name, module in explicit.items():
        assert getattr(checkoutkit, name).__module__ == module, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    """A misspelt name raises AttributeError, as for any module."""
    with pytest.raises(AttributeError, match="SessionBuildr"):
        checkoutkit.SessionBuildr  # type: ignore[attr-defined]  # noqa: B018


def test_every_exception_derives_from_the_base() -> None:
    """Every exported exception is a ``CheckoutKitError``."""
    for name in checkoutkit.__all__:
        obj = getattr(checkoutkit, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, checkoutkit.CheckoutKitError), name


def test_version_is_lazy_metadata() -> None:
    """``__version__`` comes from the installed package's metadata."""
    from importlib.metadata import version

    assert checkoutkit.__version__ == version("checkoutkit")


def test_import_does_not_import_stripe() -> None:
    """``import checkoutkit`` leaves the stripe SDK (slow to import) unimported."""
    code = "import sys, checkoutkit; print('stripe' in sys.modules, 'cattrs' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]
