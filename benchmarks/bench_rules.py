"""Offline validation of a 5-line-item payment session, against floors measured in the same run."""

from __future__ import annotations

import timeit
from typing import Any

from checkoutkit import validate_session_params

NOW = 1_800_000_000


def _session() -> dict[str, Any]:
    """The params an application writes by hand: five T-shirts with inline prices."""
    return {
        "mode": "payment",
        "success_url": "https://example.com/done?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://example.com/cart",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "T-shirt"},
                    "unit_amount": 2000,
                },
                "quantity": 1,
            }
            for _ in range(5)
        ],
    }


def _best(func: Any, number: int = 20_000, repeat: int = 7) -> float:
    """Best time of one call, in seconds."""
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number


def run() -> list[tuple[str, str]]:
    """Rows of (label, figure)."""
    params = _session()
    if validate_session_params(params, now=NOW):
        raise AssertionError("the benchmark session must be valid")
    validate = _best(lambda: validate_session_params(params, now=NOW))
    by_hand = _best(_session)
    return [
        ("validate 5-item payment session", f"{validate * 1e6:.1f} µs"),
        ("write the same dict by hand (floor)", f"{by_hand * 1e6:.2f} µs"),
        ("validate / by hand", f"{validate / by_hand:.1f}x"),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:40} {figure}")
