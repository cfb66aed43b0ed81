"""Webhook hot path: ``WebhookRouter.handle`` against a plain verify-and-parse floor.

The payload is the 3.4 KB ``checkout.session.completed`` event in ``../shared/data`` (relative to
the project root). Every request carries a distinct event id, so each one is claimed, handled
and completed in a ``MemoryStore``, as in production. The floor is ``hmac.new(...).hexdigest()``
+ ``hmac.compare_digest`` + ``json.loads`` of the same bodies, measured in the same run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD_NAME = "shared/data/checkout.session.completed.json"
SECRET = "whsec_bench_0123456789abcdefghijklmnopqrstu"
ORIGINAL_ID = b"evt_1PExampleEventId000000"
REQUESTS = 1000
REPEATS = 9


def _requests() -> tuple[list[bytes], list[dict[str, str]], list[str], int]:
    from checkoutkit.testing import sign_payload

    # ../shared/data from the project root (two levels up from a git worktree under wt/).
    candidates = [ROOT.parent / PAYLOAD_NAME, ROOT.parent.parent / PAYLOAD_NAME]
    template = next(p for p in candidates if p.exists()).read_bytes()
    assert ORIGINAL_ID in template
    stamp = int(time.time())
    bodies, headers, signatures = [], [], []
    for i in range(REQUESTS):
        event_id = b"evt_bench%017d" % i
        assert len(event_id) == len(ORIGINAL_ID)
        body = template.replace(ORIGINAL_ID, event_id)
        header = sign_payload(body, SECRET, stamp)
        bodies.append(body)
        headers.append({"Stripe-Signature": header})
        signatures.append(header.partition("v1=")[2])
    return bodies, headers, signatures, stamp


def _best(make: Callable[[], Callable[[], object]]) -> float:
    """Best per-request time (seconds) over REPEATS fresh runs of all requests."""
    best = float("inf")
    for _ in range(REPEATS):
        loop = make()
        start = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - start)
    return best / REQUESTS


def run() -> list[tuple[str, str]]:
    """Measure the floor, the router (json and orjson), and stripe's construct_event."""
    import checkoutkit

    bodies, headers, signatures, stamp = _requests()
    key = SECRET.encode()
    prefix = b"%d." % stamp
    pairs = list(zip(bodies, signatures))

    def floor() -> Callable[[], object]:
        def loop() -> None:
            for body, signature in pairs:
                expected = hmac.new(key, prefix + body, hashlib.sha256).hexdigest()
                hmac.compare_digest(expected, signature)
                json.loads(body)

        return loop

    def router(loads: Callable[[bytes], Any]) -> Callable[[], Callable[[], object]]:
        def make() -> Callable[[], object]:
            r = checkoutkit.WebhookRouter(
                secrets=SECRET, store=checkoutkit.MemoryStore(), json_loads=loads
            )
            r.on("checkout.session.completed")(lambda event: None)
            handle = r.handle
            requests = list(zip(bodies, headers))

            def loop() -> None:
                for body, header in requests:
                    response = handle(body, header)
                    if response.status != 200:
                        raise AssertionError(response)

            return loop

        return make

    def stripe_construct() -> Callable[[], object]:
        import stripe

        construct = stripe.Webhook.construct_event
        requests = [(b, h["Stripe-Signature"]) for b, h in zip(bodies, headers)]

        def loop() -> None:
            for body, header in requests:
                construct(body, header, SECRET)

        return loop

    rows: list[tuple[str, str]] = []
    floor_s = _best(floor)
    router_json = _best(router(json.loads))
    floor_s = min(floor_s, _best(floor))
    rows.append(("webhooks: floor (hmac + compare_digest + json.loads), 3.4 KB", _us(floor_s)))
    rows.append(("webhooks: router.handle + MemoryStore (json)", _us(router_json)))
    rows.append(("webhooks: router.handle (json) / floor [target <= 1.3x]", _x(router_json, floor_s)))
    try:
        import orjson
    except ImportError:
        rows.append(("webhooks: router.handle (orjson) / floor", "orjson not installed"))
    else:
        router_orjson = _best(router(orjson.loads))
        rows.append(("webhooks: router.handle + MemoryStore (orjson)", _us(router_orjson)))
        rows.append(
            ("webhooks: router.handle (orjson) / floor [target <= 0.75x]", _x(router_orjson, floor_s))
        )
    stripe_s = _best(stripe_construct)
    rows.append(("webhooks: stripe.Webhook.construct_event", _us(stripe_s)))
    rows.append(("webhooks: stripe construct_event / floor", _x(stripe_s, floor_s)))
    return rows


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us"


def _x(value: float, floor: float) -> str:
    return f"{value / floor:.2f}x"


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:<64} {figure}")
