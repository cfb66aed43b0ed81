"""Offline validation of a 5-line-item payment session, against floors measured in the same run."""

from __future__ import annotations

import time
import timeit
from typing import Any

from checkoutkit import validate_session_params
from checkoutkit._rules import TOPICS, registered
from checkoutkit._rules._common import Report
from checkoutkit._rules._registry import Session
from checkoutkit._rules._shape import check_session_shape

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


def _best_of(funcs: list[Any], number: int = 10_000, rounds: int = 9) -> list[float]:
    """Best time of one call of each function, in seconds.

    The functions are timed in interleaved rounds, so that a change of load on the machine
    affects them alike, and by the CPU time of this thread, which excludes time spent waiting
    for a CPU.
    """
    best = [float("inf")] * len(funcs)
    for _ in range(rounds):
        for index, func in enumerate(funcs):
            elapsed = timeit.Timer(func, timer=time.thread_time).timeit(number)
            best[index] = min(best[index], elapsed / number)
    return best


def run() -> list[tuple[str, str]]:
    """Rows of (label, figure)."""
    params = _session()
    if validate_session_params(params, now=NOW):
        raise AssertionError("the benchmark session must be valid")
    session = Session.of(params, NOW)
    book = registered(topic.__name__ for topic in TOPICS)
    validate, shape, rules, by_hand = _best_of(
        [
            lambda: validate_session_params(params, now=NOW),
            lambda: check_session_shape(params, Report()),
            lambda: book.run(session, Report()),
            _session,
        ]
    )
    return [
        ("validate 5-item payment session", f"{validate * 1e6:.1f} µs"),
        ("  of which the shape walk", f"{shape * 1e6:.1f} µs"),
        ("  of which the cross-parameter rules", f"{rules * 1e6:.1f} µs"),
        ("write the same dict by hand (floor)", f"{by_hand * 1e6:.2f} µs"),
        ("validate / by hand", f"{validate / by_hand:.1f}x"),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:40} {figure}")
