"""Signed Checkout Session events whose ``data.object`` is anything at all, at every adapter.

The signature is right, the object is hostile: Hypothesis builds it from any JSON, or as a
session with any of its fields of any type. Every adapter answers 200 or a short 400, never a
500 or a traceback, and fulfils nothing (no such session was created by this shop).
"""

from __future__ import annotations

import json
from typing import Any

from adapter_harness import Shop
from hypothesis import given
from hypothesis import strategies as st
from test_hostile_bodies import HOSTILE, check, hostile_shop, json_values

__all__ = ["hostile_shop"]  # the fixture, shared with the hostile bodies

session_objects = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(st.just("cs_test_hostile0001"), json_values),
            "object": st.one_of(st.just("checkout.session"), json_values),
            "payment_status": st.one_of(
                st.sampled_from(["paid", "unpaid", "no_payment_required"]), json_values
            ),
            "status": st.one_of(st.sampled_from(["complete", "open", "expired"]), json_values),
            "mode": st.one_of(st.sampled_from(["payment", "setup", "subscription"]), json_values),
            "amount_total": json_values,
            "currency": json_values,
            "metadata": json_values,
            "customer_details": json_values,
            "client_reference_id": json_values,
        },
    ),
)


@HOSTILE
@given(
    event_type=st.sampled_from(
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
        ]
    ),
    obj=session_objects,
    event_id=st.uuids().map(lambda u: f"evt_{u.hex}"),
)
def test_signed_events_with_hostile_objects_get_a_short_2xx_or_4xx(
    hostile_shop: Shop, event_type: str, obj: Any, event_id: str
) -> None:
    """A correctly signed event whose ``data.object`` is anything: 2xx or 400, no traceback."""
    event = {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}
    answer = hostile_shop.deliver(json.dumps(event).encode())
    check(answer, {200, 400, 413})  # 413: a big object past the 2 KiB limit
    assert hostile_shop.orders == []
