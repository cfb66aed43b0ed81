"""The demo's orders page shows amounts in each currency's own decimals."""

from __future__ import annotations

from checkoutkit._demo._shop import Order, orders_page


def test_orders_page_formats_zero_and_two_decimal_currencies() -> None:
    """2000 usd reads 20.00 USD and 500 jpy reads 500 JPY (never 5.00 JPY)."""
    page = orders_page(
        [
            Order("cs_test_a", "a@example.com", 2000, "usd", 1.0),
            Order("cs_test_b", "b@example.com", 500, "jpy", 2.0),
        ]
    )
    assert "20.00 USD" in page
    assert "500 JPY" in page
    assert "5.00 JPY" not in page
