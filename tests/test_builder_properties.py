"""Property tests of SessionBuilder: what it builds is valid, round-trips, and never crashes."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import strategies
from budget import examples
from checkoutkit import InvalidSessionError, SessionBuilder, validate_session_params
from checkoutkit._currencies import STRIPE_CURRENCIES, currency_exponent, from_minor_units

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

Step = Callable[[SessionBuilder], SessionBuilder]

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=40)
short_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=60
)
metadata = st.dictionaries(
    keys, st.one_of(short_text, st.integers(-(10**6), 10**6), st.booleans()), max_size=5
)


@st.composite
def price_data_items(draw: st.DrawFn, currency: str) -> Step:
    """A line item with an inline price in ``currency``, given in major or minor units."""
    exponent = currency_exponent(currency)
    minor = draw(st.integers(10 ** max(exponent, 2) * 5, 10 ** (exponent + 4)))
    quantity = draw(st.integers(1, 5))
    name = draw(short_text)
    if draw(st.booleans()):
        major = from_minor_units(minor, currency)
        amount: Any = str(major) if draw(st.booleans()) else major
        return lambda b: b.add_price_data(
            name=name, amount=amount, currency=currency.upper(), quantity=quantity
        )
    return lambda b: b.add_price_data(
        name=name, unit_amount=minor, currency=currency, quantity=quantity
    )


price_ids = st.from_regex(r"price_[A-Za-z0-9]{8,24}", fullmatch=True)


@st.composite
def price_items(draw: st.DrawFn) -> Step:
    """A line item by Price ID, sometimes with an adjustable quantity."""
    price = draw(price_ids)
    quantity = draw(st.integers(1, 99))
    adjustable = draw(st.sampled_from([None, True, {"enabled": True, "maximum": 99}]))
    return lambda b: b.add_price(price, quantity, adjustable_quantity=adjustable)


def optional_steps() -> st.SearchStrategy[Step]:
    """Settings that are valid in a hosted payment-mode session."""

    def one(method: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Step]:
        return values.map(lambda v: lambda b: getattr(b, method)(v))

    def kw(method: str, **values: st.SearchStrategy[Any]) -> st.SearchStrategy[Step]:
        return st.fixed_dictionaries(values).map(lambda v: lambda b: getattr(b, method)(**v))

    return st.one_of(
        one("customer_email", st.emails().filter(lambda e: len(e) <= 800)),
        one("client_reference_id", st.from_regex(r"[A-Za-z0-9_-]{1,200}", fullmatch=True)),
        one("metadata", metadata),
        one("locale", st.sampled_from(["auto", "en", "fr", "fr-CA", "ja", "pt-BR", "zh-TW"])),
        one("submit_type", st.sampled_from(["auto", "book", "donate", "pay"])),
        one("billing_address_collection", st.sampled_from(["auto", "required"])),
        one(
            "shipping_address_collection",
            st.lists(st.sampled_from(["US", "CA", "FR", "JP"]), min_size=1, unique=True),
        ),
        one("phone_number_collection", st.booleans()),
        one("allow_promotion_codes", st.booleans()),
        one("expires_in", st.integers(35, 23 * 60).map(lambda m: timedelta(minutes=m))),
        one("customer_creation", st.sampled_from(["always", "if_required"])),
        kw(
            "payment_intent_data",
            capture_method=st.sampled_from(["automatic", "automatic_async", "manual"]),
            setup_future_usage=st.sampled_from(["on_session", "off_session"]),
            metadata=metadata,
        ),
        kw("custom_text", submit=short_text),
        st.just(lambda b: b.success_url("https://shop.example/ok?order=1", with_session_id=True)),
    )


@st.composite
def payment_builders(draw: st.DrawFn) -> SessionBuilder:
    """A hosted payment-mode builder with 1-5 items in one currency and some optional settings."""
    currency = draw(st.sampled_from(["usd", "eur", "jpy", "gbp", "kwd", "krw"]))
    items = draw(
        st.lists(st.one_of(price_data_items(currency), price_items()), min_size=1, max_size=5)
    )
    steps = draw(st.lists(optional_steps(), max_size=6))
    builder = SessionBuilder.payment().success_url("https://shop.example/ok")
    for step in [*items, *steps]:
        builder = step(builder)
    return builder


@st.composite
def subscription_builders(draw: st.DrawFn) -> SessionBuilder:
    """A subscription builder: a recurring inline price, maybe Price IDs, trial and metadata."""
    currency = draw(st.sampled_from(["usd", "eur", "jpy"]))
    interval, most = draw(
        st.sampled_from([("day", 1095), ("week", 156), ("month", 36), ("year", 3)])
    )
    count = draw(st.none() | st.integers(1, most))
    minor = draw(st.integers(100, 10**6))
    builder = (
        SessionBuilder.subscription()
        .add_price_data(
            name=draw(short_text),
            unit_amount=minor,
            currency=currency,
            recurring=interval,
            interval_count=count,
            quantity=draw(st.integers(1, 10)),
        )
        .success_url("https://shop.example/ok", with_session_id=True)
    )
    for price in draw(st.lists(price_ids, max_size=3)):
        builder = builder.add_price(price, 1)
    return builder.subscription_data(
        trial_period_days=draw(st.none() | st.integers(1, 730)),
        metadata=draw(st.none() | metadata),
        description=draw(st.none() | short_text),
    )


@st.composite
def setup_builders(draw: st.DrawFn) -> SessionBuilder:
    """A setup builder: a currency, a customer, maybe SetupIntent settings."""
    builder = SessionBuilder.setup(currency=draw(st.sampled_from(["usd", "EUR", "gbp"])))
    builder = builder.customer(draw(st.from_regex(r"cus_[A-Za-z0-9]{14}", fullmatch=True)))
    builder = builder.setup_intent_data(
        description=draw(st.none() | short_text), metadata=draw(st.none() | metadata)
    )
    if draw(st.booleans()):
        builder = builder.ui_mode("embedded_page").return_url(
            "https://shop.example/back", with_session_id=True
        )
    else:
        builder = builder.success_url("https://shop.example/ok")
    return builder


session_builders = st.one_of(payment_builders(), subscription_builders(), setup_builders())


@SETTINGS
@given(session_builders)
def test_what_the_fluent_api_builds_is_valid(builder: SessionBuilder) -> None:
    """A successful build returns JSON-like params that validate clean and build the same again."""
    problems = builder.problems(now=NOW)
    event("invalid" if problems else "valid")
    for problem in problems:
        event(f"problem: {problem.code}")
    if problems:
        with pytest.raises(InvalidSessionError) as caught:
            builder.build(now=NOW)
        assert caught.value.problems == problems
        return
    params = builder.build(now=NOW)
    assert validate_session_params(params, now=NOW) == ()
    assert json.loads(json.dumps(params)) == params
    assert builder.build(now=NOW) == params


@SETTINGS
@given(session_builders)
def test_from_params_round_trips_valid_params(builder: SessionBuilder) -> None:
    """``from_params(p).build() == p`` for every valid ``p`` the builder produces."""
    try:
        params = builder.build(now=NOW)
    except InvalidSessionError:
        return
    assert SessionBuilder.from_params(params).build(now=NOW) == params


def _build_or_report(builder: SessionBuilder) -> None:
    """Build succeeds, or raises InvalidSessionError with the same problems as ``problems()``."""
    problems = builder.problems(now=NOW)
    if problems:
        with pytest.raises(InvalidSessionError) as caught:
            builder.build(now=NOW)
        assert caught.value.problems == problems
    else:
        assert isinstance(builder.build(now=NOW), dict)


TOP_LEVEL_KEYS = [
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "return_url",
    "ui_mode",
    "customer",
    "customer_email",
    "metadata",
    "payment_intent_data",
    "subscription_data",
    "expires_at",
    "currency",
    "discounts",
    "allow_promotion_codes",
    "custom_fields",
    "shipping_options",
    "bogus",
]

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=10),
        st.decimals(allow_nan=True),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(TOP_LEVEL_KEYS), st.text(max_size=8)), children, max_size=4
        ),
    ),
    max_leaves=25,
)
params_like = st.one_of(
    json_values, st.dictionaries(st.sampled_from(TOP_LEVEL_KEYS), json_values, max_size=8)
)


@SETTINGS
@given(params_like)
def test_from_params_of_anything_raises_only_our_error(params: Any) -> None:
    """``from_params`` of arbitrary JSON-like input builds or raises InvalidSessionError only."""
    _build_or_report(SessionBuilder.from_params(params))


METHODS = [
    name
    for name, member in inspect.getmembers(SessionBuilder, inspect.isfunction)
    if not name.startswith("_")
    and name
    not in {"build", "problems", "get", "url_with_session_id", "param", "extra", "from_params"}
]


@st.composite
def arbitrary_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A builder method with arbitrary values for (some of) its parameters."""
    name = draw(st.sampled_from(METHODS))
    signature = inspect.signature(getattr(SessionBuilder, name))
    kwargs: dict[str, Any] = {}
    for parameter in list(signature.parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            continue
        required = parameter.default is inspect.Parameter.empty
        if required or draw(st.booleans()):
            kwargs[parameter.name] = draw(json_values)
    return name, kwargs


@SETTINGS
@given(
    st.lists(arbitrary_calls(), max_size=6), st.sampled_from(["payment", "subscription", "setup"])
)
def test_any_values_to_any_method_raise_only_our_error(
    calls: list[tuple[str, dict[str, Any]]], mode: str
) -> None:
    """Methods take values of any type; build then succeeds or raises InvalidSessionError."""
    builder = getattr(SessionBuilder, mode)()
    for name, kwargs in calls:
        method = getattr(builder, name)
        signature = inspect.signature(method)
        positional = [
            kwargs.pop(p.name)
            for p in signature.parameters.values()
            if p.kind is p.POSITIONAL_ONLY and p.name in kwargs
        ]
        builder = method(*positional, **kwargs)
    _build_or_report(builder)


@SETTINGS
@given(st.sampled_from(sorted(STRIPE_CURRENCIES)), st.integers(0, 10**12))
def test_major_units_convert_back_to_the_same_minor_units(currency: str, minor: int) -> None:
    """An amount given in major units (Decimal or str) becomes exactly the minor units it names."""
    major = from_minor_units(minor, currency)
    for amount in (major, str(major)):
        builder = SessionBuilder.payment().add_price_data(
            name="x", amount=amount, currency=currency.upper(), quantity=1
        )
        params, pending = builder._params(NOW.timestamp())
        if currency in {"isk", "ugx"} and minor % 100:
            assert [p.code for p in pending] == ["zero_decimal_currency_amounts"]
            continue
        assert pending == ()
        assert params["line_items"][0]["price_data"]["unit_amount"] == minor


def _containers(value: object) -> list[object]:
    """Every dict, list and tuple in ``value``, itself included."""
    found: list[object] = []
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            found.append(current)
            stack.extend(current.values())
        elif isinstance(current, (list, tuple)):
            found.append(current)
            stack.extend(current)
    return found


def _shares_a_container(one: object, other: object) -> bool:
    # Both values are alive while compared, so equal ids mean the same container.
    return bool({id(c) for c in _containers(one)} & {id(c) for c in _containers(other)})


@SETTINGS
@given(strategies.valid_sessions)
def test_built_params_equal_the_input_and_share_no_container(params: dict[str, Any]) -> None:
    """Each build is a fresh copy: equal to the params, sharing no container with them or
    with another build (tuples are rebuilt too, though immutable, as lists may sit in them)."""
    builder = SessionBuilder.from_params(params)
    first = builder.build(now=strategies.NOW)
    second = builder.build(now=strategies.NOW)
    assert first == second == params
    assert not _shares_a_container(first, params)
    assert not _shares_a_container(first, second)


@SETTINGS
@given(strategies.session_like)
def test_a_builder_holds_its_own_copy_of_anything(params: dict[str, Any]) -> None:
    """``from_params`` copies any JSON-like input; ``get`` hands out copies of what it holds."""
    builder = SessionBuilder.from_params(params)
    for key, value in params.items():
        held = builder.get(key)
        if key == "line_items" and type(value) is list:
            assert held is None  # line items are only in the built params
            continue
        assert repr(held) == repr(value)  # not ==: a NaN in the value is not equal to itself
        assert not _shares_a_container(held, value)
        assert not _shares_a_container(held, builder.get(key))
