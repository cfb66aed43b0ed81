"""The demo shop's own pages: heading first, and the state of an unpaid order in plain words."""

from __future__ import annotations

import re
from typing import Any

from checkoutkit import FulfilOutcome
from checkoutkit._demo._shop import cancel_page, success_page
from checkoutkit._events import CheckoutSession


def _session(**fields: Any) -> CheckoutSession:
    return CheckoutSession.from_dict(
        {"id": "cs_test_demo", "object": "checkout.session", "currency": "usd", **fields}
    )


def _first_in_main(page: str) -> str:
    found = re.search(r"<main[^>]*>\s*<(\w+)[^>]*>([^<]*)<", page)
    assert found is not None
    return f"{found.group(1)}:{found.group(2)}"


def test_thanks_comes_first_with_the_order() -> None:
    """ "Thanks for your order!" is the page's first line; the total and the email follow."""
    paid = _session(
        status="complete",
        payment_status="paid",
        amount_total=2000,
        customer_details={"email": "ada@example.com"},
    )
    page = success_page(paid, FulfilOutcome.FULFILLED)
    assert _first_in_main(page) == "h1:Thanks for your order!"
    assert "$20.00" in page
    assert "ada@example.com" in page
    assert '<a href="/orders">See your orders</a>' in page


def test_an_open_unpaid_session_is_not_paid_yet_with_a_link_back() -> None:
    """Never paid: "not paid yet" and a link back to pay, not "processing"."""
    url = "http://127.0.0.1:12111/c/pay/cs_test_demo"
    page = success_page(
        _session(status="open", payment_status="unpaid", amount_total=2000, url=url),
        FulfilOutcome.NOT_PAID,
    )
    body = page.split("<body>", 1)[1]
    assert _first_in_main(page) == "h1:Your order is not paid yet"
    assert f'<a href="{url}">Return to payment</a>' in body
    assert "processing" not in body.lower()
    assert "<nav>" in body


def test_cancel_page_heading_first() -> None:
    """The cancel page leads with its heading and back to the shop."""
    page = cancel_page()
    assert _first_in_main(page) == "h1:Checkout canceled"
    assert '<a href="/">Back to the shop</a>' in page
