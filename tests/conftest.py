"""Shared test fixtures, and checkoutkit's pytest plugin when running from the source tree."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import settings

from budget import examples

# Property tests without a number of their own try Hypothesis's default 100, scaled likewise.
settings.register_profile("checkoutkit", max_examples=examples(100))
settings.load_profile("checkoutkit")

_INSTALLED = any(ep.value == "checkoutkit.testing" for ep in entry_points(group="pytest11"))
pytest_plugins = [] if _INSTALLED else ["checkoutkit.testing"]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required under CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A real headless Chromium (the system's, never downloaded), driven by Playwright.

    Module-scoped on purpose: Playwright's sync API keeps an event loop running on this thread
    while it is open, which would turn later tests' ``asyncio.run`` calls into errors.
    Under CI a missing browser fails the test instead of skipping it.
    """
    candidates = (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"))
    executable = next((c for c in candidates if c and Path(c).is_file()), None)
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (it is in the 'tests' dependency group)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (own cookies and cache)."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
