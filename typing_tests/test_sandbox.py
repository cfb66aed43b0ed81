"""Type-checked only: the sandbox's public surface has the types users rely on."""

from __future__ import annotations

from typing import Any

import stripe
from typing_extensions import assert_type

from checkoutkit.sandbox import Sandbox


def _use(sandbox: Sandbox) -> None:
    assert_type(sandbox.url, str)
    assert_type(sandbox.port, int)
    assert_type(sandbox.webhook_secret, str)
    assert_type(sandbox.client(), stripe.StripeClient)
    assert_type(sandbox.pay("cs_test_x", card="4242424242424242"), dict[str, Any])
    assert_type(sandbox.advance_clock(60), int)
    assert_type(sandbox.deliveries(), list[dict[str, Any]])
    assert_type(sandbox.redeliver("evt_x"), int)
    with Sandbox(port=0, forward_to=["http://127.0.0.1:9/hooks"], retry_scale=0.01) as running:
        assert_type(running, Sandbox)
