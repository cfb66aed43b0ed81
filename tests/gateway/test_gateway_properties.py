"""Random session params through the Gateway: only documented outcomes, and agreement with Stripe.

"Stripe" here is the sandbox, which answers in Stripe's format; the gateway must never let
through what it refuses, and must refuse before sending.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit import CheckoutGateway, InvalidSessionError, validate_session_params
from checkoutkit.sandbox import Sandbox
from strategies import embedded, setup, valid_sessions

_price_data = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(["eur", "usd", "jpy", "xyz"]),
        "unit_amount": st.integers(-5, 10**9),
        "product_data": st.fixed_dictionaries(
            {"name": st.sampled_from(["Tea", "Mug", "true", "false", ""])}
        ),
    }
)
_line_item = st.fixed_dictionaries({"price_data": _price_data, "quantity": st.integers(-1, 1000)})
_params = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["payment", "subscription", "setup", "rental"]),
        "success_url": st.sampled_from(
            ["https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}", "shop.example/ok", ""]
        ),
    },
    optional={
        "line_items": st.lists(_line_item, max_size=3),
        "currency": st.sampled_from(["eur", "usd"]),
        "client_reference_id": st.sampled_from(
            ["order-1", "cart 7", "Ünïcode", "true", "false", ""]
        ),
        "customer_email": st.sampled_from(["ada@example.com", "not-an-email", ""]),
        "payment_intent_data": st.just({"capture_method": "manual"}),
    },
)


@pytest.fixture(scope="module")
def gateway() -> Iterator[CheckoutGateway]:
    """One sandbox and gateway for every generated example."""
    with Sandbox() as sandbox, CheckoutGateway.for_sandbox(sandbox) as gw:
        yield gw


@settings(max_examples=examples(60), deadline=None)
@given(_params)
def test_random_params_are_refused_locally_or_accepted(
    gateway: CheckoutGateway, params: dict[str, Any]
) -> None:
    """Refused before sending (then by the server too, on a named param), or created open."""
    try:
        session = gateway.create(params)
    except InvalidSessionError as error:
        first = error.problems[0].param
        named = {problem.param for problem in error.problems}
        with pytest.raises(stripe.InvalidRequestError) as raw:
            gateway.client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        assert raw.value.param in named
        assert raw.value.param == first
    else:
        assert session.status == "open"
        assert session.mode == params["mode"]


def _sendable(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without what the sandbox cannot know offline: its clock and its coupons."""
    return {k: v for k, v in params.items() if k not in {"expires_at", "discounts"}}


#: Values of the same type for one place of a valid session (a value of another type can read
#: the same once form-encoded, e.g. ``"0"`` and ``0``, so it is not compared): text that reads
#: as a boolean, a number or nothing, and numbers at and past the limits.
_odd_values: dict[type, st.SearchStrategy[Any]] = {
    str: st.sampled_from(["", "true", "false", "0", "12", "x", "USD", " ", "a\nb", "y" * 501]),
    int: st.sampled_from([0, -1, 1, 99, 100, 10**8, 10**12]),
    bool: st.booleans(),
}


def _sent(value: Any) -> Any:
    """``value`` without what the SDK leaves out of a request: None, empty dicts and lists."""
    if isinstance(value, dict):
        kept = {k: _sent(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v not in ({}, [])}
    if isinstance(value, list):
        return [_sent(v) for v in value]
    return value


def _places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of the scalar values in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))
    else:
        yield path


@settings(max_examples=examples(40), deadline=None)
@given(valid_sessions)
def test_valid_sessions_are_created_by_the_sandbox(
    gateway: CheckoutGateway, params: dict[str, Any]
) -> None:
    """Params the rules accept are created through the real SDK, with text kept as text."""
    params = _sendable(params)
    assert validate_session_params(params) == ()
    session = gateway.client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert session.status == "open"
    assert session.metadata is not None
    assert session.metadata.to_dict() == params.get("metadata", {})


@settings(max_examples=examples(100), deadline=None)
@given(valid_sessions | st.builds(setup) | st.builds(embedded), st.data())
def test_the_sandbox_answers_as_the_rules_do(
    gateway: CheckoutGateway, params: dict[str, Any], data: st.DataObject
) -> None:
    """One odd or missing value in a valid session: created if the rules accept it, else
    refused on the parameter of the first problem."""
    params = _sendable(params)
    *parents, key = data.draw(st.sampled_from(sorted(_places(params), key=repr)))
    node: Any = params
    for parent in parents:
        node = node[parent]
    if data.draw(st.booleans()):
        node[key] = data.draw(_odd_values[type(node[key])])
    else:
        del node[key]
    params = _sent(params)
    problems = validate_session_params(params)
    create = gateway.client.v1.checkout.sessions.create
    if problems:
        with pytest.raises(stripe.InvalidRequestError) as raw:
            create(params=params)  # type: ignore[arg-type]
        assert raw.value.param == problems[0].param
    else:
        assert create(params=params).status == "open"  # type: ignore[arg-type]
