"""Fixtures of the adapter conformance suite (the harness is in ``adapter_harness``)."""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from adapter_harness import FRAMEWORKS, Shop, make_shop

from django_project import configure_django

_urlconf_lock = threading.Lock()
_urlconf_count = [0]


@pytest.fixture
def django_urlconf() -> Iterator[Callable[[list[Any]], None]]:
    """Install URL patterns as the root URLconf for one test."""
    configure_django()
    from django.test import override_settings

    with _urlconf_lock:
        _urlconf_count[0] += 1
        name = f"checkoutkit_tests_urls_{_urlconf_count[0]}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    with override_settings(ROOT_URLCONF=name):

        def install(patterns: list[Any]) -> None:
            from django.urls import clear_url_caches

            module.urlpatterns = patterns  # type: ignore[attr-defined]
            clear_url_caches()

        yield install
    del sys.modules[name]


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One in-process sandbox for the whole run (each test makes its own sessions)."""
    from checkoutkit.sandbox import Sandbox

    with Sandbox() as running:
        yield running


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def shop(framework: str, sandbox: Any, request: pytest.FixtureRequest) -> Shop:
    """The shop in each framework in turn, with a MemoryStore."""
    return make_shop(framework, sandbox, request)
