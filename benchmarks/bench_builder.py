"""SessionBuilder speed, against floors measured in the same run.

(a) Building and validating a 5-line-item payment session, through the fluent builder and
    through ``SessionBuilder.from_params(...).build()``, against the stripe SDK form-encoding
    those params for the request body (target: at most 0.25x each), and against writing the
    same dict by hand.
(b) The same session with 100 line items, against the 5-item one (target: at most 20x; adding
    a line item copies nothing, so the builder's cost grows linearly).
(c) ``import checkoutkit`` against ``import stripe``, each in a fresh interpreter
    (target: at most 0.35x).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from checkoutkit import SessionBuilder, validate_session_params

NOW = 1_800_000_000
SUCCESS = "https://shop.example/success"
CANCEL = "https://shop.example/cancel"
NAMES = ["T-shirt", "Mug", "Cap", "Socks", "Sticker pack"]
MINOR = [2000, 1250, 1800, 900, 500]
MAJOR = [Decimal("20.00"), Decimal("12.50"), Decimal("18.00"), Decimal("9.00"), Decimal("5.00")]


def by_hand() -> dict[str, Any]:
    """The params written out as a dict literal: the floor."""
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "T-shirt"},
                    "unit_amount": 2000,
                },
                "quantity": 1,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "Mug"},
                    "unit_amount": 1250,
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "Cap"},
                    "unit_amount": 1800,
                },
                "quantity": 1,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "Socks"},
                    "unit_amount": 900,
                },
                "quantity": 3,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "Sticker pack"},
                    "unit_amount": 500,
                },
                "quantity": 1,
            },
        ],
        "success_url": SUCCESS + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": CANCEL,
        "customer_email": "ada@example.com",
        "metadata": {"order": "1042"},
    }


QUANTITIES = [1, 2, 1, 3, 1]


def with_builder() -> Any:
    """The same params from the fluent builder, validated, amounts in minor units."""
    builder = SessionBuilder.payment()
    for name, minor, quantity in zip(NAMES, MINOR, QUANTITIES, strict=True):
        builder = builder.add_price_data(
            name=name, unit_amount=minor, currency="usd", quantity=quantity
        )
    return (
        builder.success_url(SUCCESS, with_session_id=True)
        .cancel_url(CANCEL)
        .customer_email("ada@example.com")
        .metadata(order=1042)
        .build(now=NOW)
    )


def with_builder_decimal() -> Any:
    """The same params from the fluent builder, amounts as Decimal major units."""
    builder = SessionBuilder.payment()
    for name, major, quantity in zip(NAMES, MAJOR, QUANTITIES, strict=True):
        builder = builder.add_price_data(name=name, amount=major, currency="usd", quantity=quantity)
    return (
        builder.success_url(SUCCESS, with_session_id=True)
        .cancel_url(CANCEL)
        .customer_email("ada@example.com")
        .metadata(order=1042)
        .build(now=NOW)
    )


def fluent_calls() -> SessionBuilder:
    """The fluent calls alone: the builder, not yet built."""
    builder = SessionBuilder.payment()
    for name, minor, quantity in zip(NAMES, MINOR, QUANTITIES, strict=True):
        builder = builder.add_price_data(
            name=name, unit_amount=minor, currency="usd", quantity=quantity
        )
    return (
        builder.success_url(SUCCESS, with_session_id=True)
        .cancel_url(CANCEL)
        .customer_email("ada@example.com")
        .metadata(order=1042)
    )


def assembly_only() -> Any:
    """The fluent calls and the fresh dict ``build`` makes, without the validation."""
    return fluent_calls()._params(NOW)[0]


def params_copy() -> Callable[[], object]:
    """The fresh dict ``build`` makes of a finished builder (sharing no container with it)."""
    builder = fluent_calls()
    return lambda: builder._params(NOW)


def from_params() -> Callable[[], object]:
    """``SessionBuilder.from_params(params).build()`` on the hand-written dict."""
    params = by_hand()
    return lambda: SessionBuilder.from_params(params).build(now=NOW)


def with_builder_items(count: int) -> Callable[[], Any]:
    """The fluent builder's session with ``count`` line items (the five, repeated)."""

    def build() -> Any:
        builder = SessionBuilder.payment()
        for index in range(count):
            builder = builder.add_price_data(
                name=NAMES[index % 5],
                unit_amount=MINOR[index % 5],
                currency="usd",
                quantity=QUANTITIES[index % 5],
            )
        return (
            builder.success_url(SUCCESS, with_session_id=True)
            .cancel_url(CANCEL)
            .customer_email("ada@example.com")
            .metadata(order=1042)
            .build(now=NOW)
        )

    return build


def validation_only() -> Callable[[], object]:
    """``validate_session_params`` on the hand-written dict."""
    params = by_hand()
    return lambda: validate_session_params(params, now=NOW)


def sdk_form_encoding() -> Callable[[], str]:
    """What the stripe SDK does to params for a POST body (as its ``_APIRequestor`` does)."""
    from urllib.parse import urlencode

    from stripe._encode import _api_encode

    params = by_hand()

    def encode() -> str:
        encoded = urlencode(list(_api_encode(params)))
        return encoded.replace("%5B", "[").replace("%5D", "]")

    return encode


def best_of(funcs: dict[str, Callable[[], object]], rounds: int = 15) -> dict[str, float]:
    """Seconds per call of each function: the best of ``rounds`` interleaved batches.

    Interleaving keeps the ratios fair when the machine's load changes during the run, and
    timing by this thread's CPU time leaves out the time spent waiting for a CPU on a busy
    machine (which would otherwise inflate the figures unevenly).
    """
    timers = {name: timeit.Timer(func, timer=time.thread_time) for name, func in funcs.items()}
    numbers = {name: max(1, timer.autorange()[0] // 4) for name, timer in timers.items()}
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(rounds):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return best


def import_time(module: str, runs: int = 7, *, code: str | None = None) -> float:
    """Seconds to import ``module`` in a fresh interpreter (``-X importtime``), best of ``runs``.

    With ``code``, the time is that of every top-level import from ``module``'s own line on,
    so names loaded on first access (``from checkoutkit import *``) are counted too.
    """
    # Bytecode is written (and the first, compiling run discarded), as for an installed package.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = code or f"import {module}"
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    best = float("inf")
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        total, counting = 0, False
        for line in result.stderr.splitlines():
            parts = line.split("|")
            if len(parts) != 3 or parts[2].startswith("  "):
                continue  # not a top-level import
            counting = counting or parts[2].rstrip() == f" {module}"
            if counting:
                total += int(parts[1])
        best = min(best, total / 1e6)
    return best


def run() -> list[tuple[str, str]]:
    """Measure and return rows of (label, figure)."""
    assert with_builder() == by_hand(), "the builder must build exactly the hand-written dict"
    assert with_builder_decimal() == by_hand()
    assert assembly_only() == by_hand()
    assert from_params()() == by_hand()
    assert with_builder_items(5)() == by_hand()
    times = best_of(
        {
            "hand": by_hand,
            "built": with_builder,
            "built_decimal": with_builder_decimal,
            "from_params": from_params(),
            "built_100": with_builder_items(100),
            "assembly": assembly_only,
            "fluent": fluent_calls,
            "copy": params_copy(),
            "validation": validation_only(),
            "encode": sdk_form_encoding(),
        }
    )
    hand, built, built_decimal = times["hand"], times["built"], times["built_decimal"]
    assembly, validation, encode = times["assembly"], times["validation"], times["encode"]
    via_params, built_100 = times["from_params"], times["built_100"]
    checkoutkit_import = import_time("checkoutkit")
    everything_import = import_time("checkoutkit", code="from checkoutkit import *")
    stripe_import = import_time("stripe")
    return [
        ("builder: dict by hand (5 items)", f"{hand * 1e6:.1f} us"),
        ("builder: build + validate (minor units)", f"{built * 1e6:.1f} us"),
        ("builder: build + validate (Decimal major units)", f"{built_decimal * 1e6:.1f} us"),
        ("builder: from_params(...).build()", f"{via_params * 1e6:.1f} us"),
        ("builder: build + validate, 100 items", f"{built_100 * 1e6:.1f} us"),
        ("builder: assembly only (no validation)", f"{assembly * 1e6:.1f} us"),
        ("builder:   of which the fluent calls", f"{times['fluent'] * 1e6:.1f} us"),
        ("builder:   of which build's copy of the params", f"{times['copy'] * 1e6:.1f} us"),
        ("builder: validate_session_params alone", f"{validation * 1e6:.1f} us"),
        ("builder: stripe SDK form-encoding", f"{encode * 1e6:.1f} us"),
        ("builder: build / by hand", f"{built / hand:.2f}x"),
        ("builder: build (Decimal) / by hand", f"{built_decimal / hand:.2f}x"),
        ("builder: build / SDK encoding (target <= 0.25x)", f"{built / encode:.3f}x"),
        (
            "builder: from_params build / SDK encoding (target <= 0.25x)",
            f"{via_params / encode:.3f}x",
        ),
        ("builder: 100 items / 5 items (target <= 20x)", f"{built_100 / built:.1f}x"),
        ("builder: build (Decimal) / SDK encoding", f"{built_decimal / encode:.3f}x"),
        ("builder: assembly / by hand", f"{assembly / hand:.2f}x"),
        ("builder: assembly / SDK encoding", f"{assembly / encode:.3f}x"),
        ("import checkoutkit", f"{checkoutkit_import * 1e3:.1f} ms"),
        ("import stripe", f"{stripe_import * 1e3:.1f} ms"),
        (
            "import checkoutkit / import stripe (target <= 0.35x)",
            f"{checkoutkit_import / stripe_import:.2f}x",
        ),
        (
            "from checkoutkit import * (every public name loaded)",
            f"{everything_import * 1e3:.1f} ms",
        ),
        ("from checkoutkit import * / import stripe", f"{everything_import / stripe_import:.2f}x"),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:55} {figure}")
