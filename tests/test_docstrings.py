"""Every public object of checkoutkit has a docstring (the API reference is built from them)."""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType

import pytest

import checkoutkit

PUBLIC_MODULES = [
    "checkoutkit",
    "checkoutkit.exceptions",
    "checkoutkit.testing",
    "checkoutkit.sandbox",
    "checkoutkit.stores",
    "checkoutkit.stores.memory",
    "checkoutkit.stores.sqlite",
    "checkoutkit.stores.postgres",
    "checkoutkit.stores.redis",
    "checkoutkit.stores.django",
    "checkoutkit.adapters",
    "checkoutkit.adapters.flask",
    "checkoutkit.adapters.fastapi",
    "checkoutkit.adapters.django",
]


def _public_names(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and getattr(obj, "__module__", None) == module.__name__
            and (inspect.isclass(obj) or inspect.isfunction(obj))
        ]
    return list(names)


def _missing(module: ModuleType) -> list[str]:
    missing = [] if inspect.getdoc(module) else [module.__name__]
    for name in _public_names(module):
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or callable(obj)):
            continue
        if not inspect.getdoc(obj):
            missing.append(f"{module.__name__}.{name}")
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                func = member.fget if isinstance(member, property) else member
                func = getattr(func, "__func__", func)
                if inspect.isfunction(func) and not func.__doc__:
                    missing.append(f"{module.__name__}.{name}.{attr}")
    return missing


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_object_has_a_docstring(module_name: str) -> None:
    """The module, each public class and function, and each public method have a docstring."""
    try:
        module = importlib.import_module(module_name)
    except checkoutkit.MissingDependencyError as exc:  # pragma: no cover - all extras in CI
        pytest.fail(f"install checkoutkit[all] to check {module_name}: {exc}")
    assert _missing(module) == []
