"""The public namespace is exactly ``__all__``."""

from __future__ import annotations

import subprocess
import sys

import checkoutkit


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` is sorted, and every public name of the package is in it and importable."""
    assert list(checkoutkit.__all__) == sorted(checkoutkit.__all__)
    public = {
        name
        for name in vars(checkoutkit)
        if not name.startswith("_")
        and name not in {"annotations", "Any", "TYPE_CHECKING"}
        and not isinstance(getattr(checkoutkit, name), type(checkoutkit))
    }
    assert public == set(checkoutkit.__all__)
    for name in checkoutkit.__all__:
        assert getattr(checkoutkit, name) is not None


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
