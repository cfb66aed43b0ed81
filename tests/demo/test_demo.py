"""``checkoutkit demo`` end to end over HTTP: button, hosted page, success page, one order."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest
from demo_support import Demo

pytestmark = pytest.mark.processes


def checkout(demo: Demo) -> str:
    """Click the Checkout button: the 303's Location is the sandbox's payment page."""
    page = httpx.get(demo.shop + "/")
    assert "Buy cool new product" in page.text
    assert 'action="/create-checkout-session"' in page.text
    created = httpx.post(demo.shop + "/create-checkout-session", data={})
    assert created.status_code == 303
    location = created.headers["location"]
    assert location.startswith(demo.sandbox + "/c/pay/cs_test_")
    return location


def pay(page_url: str, card: str) -> httpx.Response:
    """Fill in and submit the hosted payment page as a browser without JavaScript would."""
    return httpx.post(
        page_url,
        data={
            "email": "jenny@example.com",
            "method": "card",
            "cardnumber": card,
            "expiry": "12 / 34",
            "cvc": "123",
            "postal_code": "10115",
        },
    )


def wait_for_order(demo: Demo, session_id: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page = demo.orders_page()
        if session_id in page:
            return page
        time.sleep(0.05)
    raise AssertionError(f"{session_id} never appeared on the orders page")


def test_seed_curl_answers_303_on_the_sandbox_page(demo: Demo) -> None:
    """The README's ``curl -X POST -is …/create-checkout-session -d ""`` answers 303."""
    out = subprocess.run(
        ["curl", "-X", "POST", "-is", demo.shop + "/create-checkout-session", "-d", ""],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    head = out.split("\n\n", 1)[0].splitlines()
    assert head[0].split()[1] == "303"
    assert any(
        h.lower().startswith("location: " + demo.sandbox + "/c/pay/cs_test_") for h in head[1:]
    )


def test_paying_shows_thanks_and_lists_the_order_once(demo: Demo) -> None:
    """4242 → redirected to "Thanks for your order!"; the order is listed exactly once."""
    page_url = checkout(demo)
    session_id = page_url.rsplit("/", 1)[1]
    paid = pay(page_url, "4242424242424242")
    assert paid.status_code == 303
    success_url = paid.headers["location"]
    assert success_url == f"{demo.shop}/success?session_id={session_id}"
    thanks = httpx.get(success_url)
    assert thanks.status_code == 200
    assert "Thanks for your order!" in thanks.text
    assert httpx.get(success_url).status_code == 200  # a reload fulfils nothing new
    orders = wait_for_order(demo, session_id)
    time.sleep(0.5)  # let the webhook (if it came second) finish before counting
    assert demo.orders_page().count(session_id) == 1 == orders.count(session_id)


def test_a_declined_card_shows_the_error_and_creates_no_order(demo: Demo) -> None:
    """4000 0000 0000 0002 keeps the customer on the payment page with an error; no order."""
    page_url = checkout(demo)
    session_id = page_url.rsplit("/", 1)[1]
    declined = pay(page_url, "4000000000000002")
    assert declined.status_code != 303
    assert "declined" in declined.text.lower()
    assert session_id not in demo.orders_page()


def test_cancel_page(demo: Demo) -> None:
    """The cancel page answers 200 and links back to the shop."""
    page = httpx.get(demo.shop + "/cancel")
    assert page.status_code == 200
    assert "Checkout canceled" in page.text
