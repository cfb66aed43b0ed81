"""coerce_form_params: form-decoded params regain the types the stripe SDK sent."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, given, settings
from stripe._encode import _api_encode

from budget import examples
from checkoutkit import validate_session_params
from checkoutkit.sandbox._params import coerce_form_params
from strategies import NOW, item, payment, valid_sessions

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def _form_round_trip(params: dict[str, Any]) -> dict[str, Any]:
    """Encode ``params`` as the stripe SDK does for a request body, then decode the body."""
    body = urlencode(list(_api_encode(params)))
    decoded: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head = key.split("[", 1)[0]
        path = [head, *_SEGMENT.findall(key[len(head) :])]
        node = decoded
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return decoded


def _sent(value: Any) -> Any:
    """``value`` without what the SDK leaves out of a request: None, empty dicts and lists."""
    if isinstance(value, dict):
        kept = {k: _sent(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v not in ({}, [])}
    if isinstance(value, list):
        return [_sent(v) for v in value]
    return value


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_sessions)
def test_form_encoding_round_trips(params: dict[str, Any]) -> None:
    """A valid session sent by the stripe SDK and decoded from the form body comes back equal."""
    decoded = _form_round_trip(params)
    assert coerce_form_params(decoded) == _sent(params)
    assert validate_session_params(coerce_form_params(decoded), now=NOW) == ()


def test_only_integer_and_boolean_parameters_are_converted() -> None:
    """Text that looks like a number or a boolean stays text where the schema says string."""
    decoded = _form_round_trip(
        payment(
            client_reference_id="42",
            customer_email="true@example.com",
            metadata={"count": "7", "flag": "true"},
            allow_promotion_codes=True,
            line_items=[item(quantity=3, metadata={"n": "1"})],
        )
    )
    decoded["colour"] = "7"
    coerced = coerce_form_params(decoded)
    assert coerced["client_reference_id"] == "42"
    assert coerced["metadata"] == {"count": "7", "flag": "true"}
    assert coerced["allow_promotion_codes"] is True
    assert coerced["line_items"][0]["quantity"] == 3
    assert coerced["line_items"][0]["metadata"] == {"n": "1"}
    assert coerced["line_items"][0]["price_data"]["unit_amount"] == 2000
    assert coerced["colour"] == "7"


def test_values_that_do_not_parse_are_left_for_validation() -> None:
    """A non-integer quantity stays a string, and validation reports it."""
    decoded = {
        "mode": "payment",
        "success_url": "https://example.com/done",
        "allow_promotion_codes": "yes",
        "line_items": {"0": {"price": "price_1", "quantity": "two"}},
    }
    coerced = coerce_form_params(decoded)
    assert coerced["line_items"] == [{"price": "price_1", "quantity": "two"}]
    problems = {(p.param, p.code) for p in validate_session_params(coerced, now=NOW)}
    assert problems == {
        ("line_items[0][quantity]", "invalid_type"),
        ("allow_promotion_codes", "invalid_type"),
    }
    assert decoded["line_items"] == {"0": {"price": "price_1", "quantity": "two"}}
