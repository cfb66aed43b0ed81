"""validate_session_params on input of every shape: all problems at once, never an exception."""

from __future__ import annotations

import copy
import enum
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checkoutkit
from budget import examples
from checkoutkit import Problem, validate_session_params
from strategies import (
    NOW,
    item,
    json_values,
    payment,
    session_like,
    setup,
    valid_sessions,
)

UNREADABLE = "could not be read"


def _problems(params: object, now: object = NOW) -> list[tuple[str, str]]:
    return [(p.param, p.code) for p in validate_session_params(params, now=now)]  # type: ignore[arg-type]


@pytest.mark.parametrize("params", [None, [], "mode=payment", 7, b"{}", object()])
def test_non_dict_params_are_one_problem(params: object) -> None:
    """Anything but a dict is reported as one invalid_type problem at the top level."""
    assert _problems(params) == [("", "invalid_type")]


def test_every_problem_is_reported_at_once() -> None:
    """Problems in different places and of different rules all come back together."""
    params = payment(
        customer="cus_1",
        customer_email="a@example.com",
        locale="xx",
        line_items=[item(quantity=0), {"price": "price_1", "price_data": {}, "quantity": 1}],
        colour="red",
    )
    found = set(_problems(params))
    assert {
        ("customer_email", "customer_xor_customer_email"),
        ("locale", "locale_enum"),
        ("line_items[0][quantity]", "quantity_min_1"),
        ("line_items[1]", "price_xor_price_data"),
        ("line_items[1][price_data][currency]", "parameter_missing"),
        ("colour", "unknown_parameter"),
    } <= found


def test_problems_are_problem_objects_with_messages() -> None:
    """Each problem is a Problem with a non-empty message a person can read."""
    problems = validate_session_params(payment(mode="buy"), now=NOW)
    assert problems
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.message.strip()


def test_none_values_are_left_out_like_the_sdk_does() -> None:
    """A None value is treated as absent, as the stripe SDK does not send it."""
    assert _problems(payment(customer=None, customer_email="a@example.com")) == []
    assert ("mode", "mode_required") in _problems(payment(mode=None))


def test_request_options_are_not_params() -> None:
    """RequestOptions keys in the params are unknown parameters, with a hint."""
    for key in ("idempotency_key", "api_key", "stripe_account", "stripe_version", "headers"):
        (problem,) = validate_session_params(payment(**{key: "x"}), now=NOW)
        assert (problem.param, problem.code) == (key, "unknown_parameter")
        assert "request option" in problem.message


def test_renamed_payment_method_types_has_a_hint() -> None:
    """payment_method_types is unknown in this API version and the message names its successor."""
    (problem,) = validate_session_params(payment(payment_method_types=["card"]), now=NOW)
    assert problem.code == "unknown_parameter"
    assert "allowed_payment_method_types" in problem.message


def test_unknown_keys_at_every_level() -> None:
    """Unknown keys are rejected in nested objects, with the full bracket path."""
    line = item()
    line["price_data"]["product_data"]["colour"] = "red"
    params = payment(line_items=[line], payment_intent_data={"shipping_speed": "fast"})
    assert set(_problems(params)) == {
        ("line_items[0][price_data][product_data][colour]", "unknown_parameter"),
        ("payment_intent_data[shipping_speed]", "unknown_parameter"),
    }


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (5, True),
        (True, False),
        (5.0, False),
        ("5", False),
        (Decimal(5), False),
    ],
)
def test_integers_must_be_ints_not_bools(value: object, ok: bool) -> None:
    """An int parameter takes an int; bool (an int subclass), float and str are rejected."""
    problems = _problems(payment(line_items=[item(quantity=value)]))  # type: ignore[arg-type]
    if ok:
        assert problems == []
    else:
        assert ("line_items[0][quantity]", "invalid_type") in problems


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (Decimal("1999.5"), True),
        ("1999.123456789012", True),
        (2000, True),
        (1999.5, False),
        ("abc", False),
        (True, False),
        ("1.0000000000001", False),
    ],
)
def test_unit_amount_decimal_types(value: object, ok: bool) -> None:
    """unit_amount_decimal takes a Decimal, int or numeric string with at most 12 decimals."""
    line = item()
    del line["price_data"]["unit_amount"]
    line["price_data"]["unit_amount_decimal"] = value
    problems = _problems(payment(line_items=[line]))
    assert (problems == []) is ok


def test_booleans_must_be_booleans() -> None:
    """A bool parameter rejects 1 and "true"."""
    assert _problems(payment(allow_promotion_codes=True)) == []
    for value in (1, "true"):
        assert ("allow_promotion_codes", "invalid_type") in _problems(
            payment(allow_promotion_codes=value)
        )


def test_str_enum_members_and_tuples_are_accepted() -> None:
    """A str-based enum member counts as its value, and tuples count as lists."""

    class Mode(str, enum.Enum):
        PAYMENT = "payment"

    params = payment(mode=Mode.PAYMENT, line_items=(item(),))
    assert _problems(params) == []


def test_metadata_values_must_be_strings() -> None:
    """Metadata values are strings; numbers and nested objects are invalid types."""
    problems = _problems(payment(metadata={"n": 5, "o": {"a": "b"}, "s": "ok"}))
    assert set(problems) == {("metadata[n]", "invalid_type"), ("metadata[o]", "invalid_type")}


def test_non_string_keys() -> None:
    """Non-string keys are reported, at the top level and inside metadata."""
    params: dict[Any, Any] = payment(metadata={1: "x"})
    params[("a",)] = "b"
    problems = _problems(params)
    assert ("", "invalid_type") in problems
    assert ("metadata", "invalid_type") in problems


def test_uppercase_currency_is_accepted() -> None:
    """Uppercase currency codes are accepted (the builder normalizes them)."""
    assert _problems(payment(line_items=[item(currency="USD"), item(currency="usd")])) == []
    assert _problems(setup(currency="EUR")) == []


def test_huge_lists_are_reported_once() -> None:
    """A list far too long is reported once instead of once per entry."""
    params = payment(line_items=[{"price": 1}] * 100_000, metadata={str(i): i for i in range(5000)})
    problems = _problems(params)
    assert problems.count(("line_items", "too_many_items")) == 1
    assert ("metadata", "too_many_items") in problems
    assert len(problems) < 10


def test_enormous_numbers_are_reported_not_printed() -> None:
    """Integers too long to print become problems with short messages, never exceptions."""
    huge = 10**5000
    line = item(amount=huge, quantity=-huge, currency="isk", adjustable_quantity={"enabled": True})
    decimal_line = item()
    del decimal_line["price_data"]["unit_amount"]
    decimal_line["price_data"]["unit_amount_decimal"] = huge
    params = payment(
        line_items=[line, decimal_line],
        expires_at=huge,
        metadata={"n": huge},
        subscription_data={"trial_end": -huge, "application_fee_percent": huge},
    )
    problems = validate_session_params(params, now=NOW)
    assert problems
    assert all(UNREADABLE not in p.message and len(p.message) < 300 for p in problems)
    assert ("line_items[0][price_data][unit_amount]", "maximum_amount_8_digits") in {
        (p.param, p.code) for p in problems
    }


def test_self_referencing_params_do_not_recurse_forever() -> None:
    """A dict that contains itself yields problems, not a RecursionError."""
    params: dict[str, Any] = payment()
    params["payment_intent_data"] = params
    params["line_items"][0]["price_data"]["product_data"]["metadata"] = params
    problems = _problems(params)
    assert ("payment_intent_data[mode]", "unknown_parameter") in problems


def test_hostile_objects_are_reported_not_raised() -> None:
    """A mapping whose methods raise is reported as a problem, never as an exception."""

    class Hostile(dict[str, Any]):
        def items(self) -> Any:
            raise RuntimeError("no")

        def get(self, key: str, default: Any = None) -> Any:
            raise RuntimeError("no")

    problems = validate_session_params(payment(payment_intent_data=Hostile(a=1)), now=NOW)
    assert [(p.param, p.code) for p in problems] == [("", "invalid_type")]
    assert UNREADABLE in problems[0].message


def test_clock_accepts_datetimes_and_timestamps() -> None:
    """now may be an aware datetime, a naive UTC datetime or a Unix timestamp."""
    aware = datetime.fromtimestamp(NOW, tz=timezone.utc)
    params = payment(expires_at=NOW + 3600)
    assert _problems(params, now=aware) == []
    assert _problems(params, now=aware.replace(tzinfo=None)) == []
    assert _problems(params, now=float(NOW)) == []
    late = aware + timedelta(hours=2)
    assert _problems(params, now=late) == [("expires_at", "expires_at_30min_to_24h")]


def test_clock_defaults_to_the_current_time() -> None:
    """Without now, expires_at is checked against the current time."""
    assert [p.code for p in validate_session_params(payment(expires_at=NOW))] == [
        "expires_at_30min_to_24h"
    ]


def test_expires_at_keeps_a_safety_margin() -> None:
    """expires_at exactly 30 minutes ahead is rejected: creation happens after validation."""
    assert _problems(payment(expires_at=NOW + 30 * 60)) == [
        ("expires_at", "expires_at_30min_to_24h")
    ]
    assert _problems(payment(expires_at=NOW + 31 * 60)) == []


@pytest.mark.parametrize("now", ["now", True, float("nan"), [1], 10**400])
def test_bad_clock_is_a_configuration_error(now: object) -> None:
    """A now that is not a time is a programming error: ConfigurationError."""
    with pytest.raises(checkoutkit.ConfigurationError):
        validate_session_params(payment(), now=now)  # type: ignore[arg-type]


def test_validation_does_not_change_the_params() -> None:
    """Validation only reads its input."""
    params = payment(metadata={"a": "b"}, line_items=[item(currency="USD")])
    before = copy.deepcopy(params)
    validate_session_params(params, now=NOW)
    assert params == before


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_never_raises(value: object) -> None:
    """Any JSON-like value yields a tuple of problems and never an exception."""
    problems = validate_session_params(value, now=NOW)
    assert isinstance(problems, tuple)
    assert all(UNREADABLE not in p.message for p in problems)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session_like)
def test_session_shaped_garbage_never_raises(params: dict[str, Any]) -> None:
    """Real keys with arbitrary values reach every rule and still never raise."""
    problems = validate_session_params(params, now=NOW)
    assert all(isinstance(p, Problem) and p.code and p.message for p in problems)
    assert all(UNREADABLE not in p.message for p in problems)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_sessions)
def test_valid_sessions_have_no_problems(params: dict[str, Any]) -> None:
    """Sessions built only from what Stripe accepts produce no problems."""
    assert validate_session_params(params, now=NOW) == ()


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_sessions, st.data())
def test_corrupting_a_valid_session_never_raises(
    params: dict[str, Any], data: st.DataObject
) -> None:
    """Replacing any one value of a valid session with garbage never raises."""
    paths: list[tuple[Any, Any]] = []

    def collect(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            paths.append((node, key))
            if isinstance(value, (dict, list)):
                collect(value)

    collect(params)
    node, key = data.draw(st.sampled_from(paths))
    node[key] = data.draw(json_values)
    problems = validate_session_params(params, now=NOW)
    assert all(UNREADABLE not in p.message for p in problems)


def test_amount_problems_name_the_amount_parameter() -> None:
    """Amount problems name unit_amount_decimal or a shipping rate's amount when those hold it."""
    line = item()
    del line["price_data"]["unit_amount"]
    line["price_data"]["unit_amount_decimal"] = "100000000"
    rate = {
        "shipping_rate_data": {
            "display_name": "Post",
            "fixed_amount": {"amount": 550, "currency": "ISK"},
        }
    }
    problems = _problems(payment(line_items=[line], shipping_options=[rate]))
    assert set(problems) == {
        ("line_items[0][price_data][unit_amount_decimal]", "maximum_amount_8_digits"),
        ("line_items", "maximum_amount_8_digits"),
        (
            "shipping_options[0][shipping_rate_data][fixed_amount][amount]",
            "zero_decimal_currency_amounts",
        ),
    }


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"line_items": [{"price": "price_1MotwRLkdIwHu7ixYcPLm5uZ", "quantity": 2}]},
        {"customer_email": "jenny.rosen@example.com"},
        {
            "payment_intent_data": {"setup_future_usage": "off_session"},
            "customer_creation": "always",
        },
        {"saved_payment_method_options": {"payment_method_save": "enabled"}, "customer": "cus_1"},
        {"payment_intent_data": {"capture_method": "manual"}},
    ],
)
def test_common_integrations_are_accepted(extra: dict[str, Any]) -> None:
    """The everyday payment sessions of Stripe's guides validate without a problem."""
    params = payment(**extra)
    params["line_items"] = extra.get("line_items") or [
        {
            "price_data": {
                "currency": "usd",
                "product_data": {"name": "T-shirt"},
                "unit_amount": 2000,
            },
            "quantity": 1,
        }
    ]
    assert validate_session_params(params, now=NOW) == ()
