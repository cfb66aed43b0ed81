"""The demo in real headless Chromium, for each framework: click, pay, thanks, one order.

Chromium comes from the system (Debian's ``chromium`` package, installed by ``.ci/run``); it is
never downloaded. Under CI a missing browser fails these tests instead of skipping them.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from demo_support import Demo

pytestmark = pytest.mark.browser


def _to_payment_page(page: Any, demo: Demo) -> str:
    page.goto(demo.shop + "/")
    assert page.title() == "Buy cool new product"
    with page.expect_navigation(url=f"{demo.sandbox}/c/pay/*"):
        page.click("#checkout-button")
    session_id: str = page.url.rsplit("/", 1)[1]
    page.fill("input[name=email]", "jenny@example.com")
    return session_id


def _fill_card(page: Any, number: str) -> None:
    page.fill("input[name=cardnumber]", number)
    page.fill("input[name=expiry]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.fill("input[name=postal_code]", "10115")


def _listed_once(page: Any, demo: Demo, session_id: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.goto(demo.shop + "/orders")
        if session_id in page.content():
            break
        time.sleep(0.1)
    time.sleep(0.5)  # let a webhook that came second finish before counting
    page.goto(demo.shop + "/orders")
    assert page.content().count(session_id) == 1


def test_pay_with_4242_thanks_and_one_order(page: Any, demo: Demo) -> None:
    """Checkout → sandbox page → 4242 → "Thanks for your order!" → listed exactly once."""
    session_id = _to_payment_page(page, demo)
    _fill_card(page, "4242 4242 4242 4242")
    with page.expect_navigation(url=f"{demo.shop}/success*"):
        page.click("#submit")
    assert "Thanks for your order!" in page.inner_text("h1")
    assert page.eval_on_selector("main", "m => m.firstElementChild.tagName") == "H1"
    _listed_once(page, demo, session_id)


def test_3d_secure_complete_thanks_and_one_order(page: Any, demo: Demo) -> None:
    """3155 asks for authentication; Complete lands on the thanks page; one order."""
    session_id = _to_payment_page(page, demo)
    _fill_card(page, "4000 0025 0000 3155")
    page.click("#submit")
    page.wait_for_selector("#complete")
    with page.expect_navigation(url=f"{demo.shop}/success*"):
        page.click("#complete")
    assert "Thanks for your order!" in page.inner_text("h1")
    _listed_once(page, demo, session_id)


def test_declined_card_shows_the_error_and_no_order(page: Any, demo: Demo) -> None:
    """A declined card shows the error on the payment page, and no order is listed."""
    session_id = _to_payment_page(page, demo)
    _fill_card(page, "4000 0000 0000 0002")
    page.click("#submit")
    error = page.wait_for_selector("#error")
    assert "declined" in error.inner_text().lower()
    page.goto(demo.shop + "/orders")
    assert session_id not in page.content()
