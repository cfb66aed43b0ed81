"""A slow or unreachable Stripe: the gateway gives up within its budget, sync and async.

The gateway talks through the stripe SDK's own HTTP clients to real loopback sockets that
never answer, refuse, close, or let no connection complete (see ``listeners.py``). Most tests
use a short budget; one checks the defaults against a server that never answers.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from listeners import (
    UNRESOLVABLE_URL,
    BlackholeListener,
    ClosingListener,
    RefusingPort,
    SilentListener,
    finishes_within,
)

from budget import examples
from checkoutkit import CheckoutGateway, ConfigurationError
from checkoutkit.exceptions import StripeConnectionError

SECRET = "sk_test_network_4eC39HqLyjWDarjtT1zdp7dc"
SHORT = {"connect_timeout": 0.3, "read_timeout": 0.4, "max_network_retries": 1}
MARGIN = 10.0  # seconds past the computed budget before a test calls it a hang


def gateway_for(url: str, **network: Any) -> CheckoutGateway:
    env = {"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": url}
    return CheckoutGateway.from_env(env, **{**SHORT, **network})


def call(gateway: CheckoutGateway, mode: str, margin: float = MARGIN) -> BaseException | object:
    """``retrieve`` through the sync method or its async twin, within the budget plus a margin."""
    budget = gateway.max_wait
    assert budget is not None

    async def run_async() -> object:
        async with gateway:
            return await asyncio.wait_for(gateway.retrieve_async("cs_test_123"), budget + margin)

    def run_sync() -> object:
        with gateway:
            return gateway.retrieve("cs_test_123")

    if mode == "async":
        return finishes_within(budget + 2 * margin, lambda: asyncio.run(run_async()))
    return finishes_within(budget + margin, run_sync)


def connection_error(outcome: object) -> StripeConnectionError:
    assert isinstance(outcome, StripeConnectionError), repr(outcome)
    assert SECRET not in str(outcome)
    assert SECRET not in repr(outcome)
    return outcome


# -- settings ------------------------------------------------------------------------------


def test_defaults_answer_within_fifteen_seconds() -> None:
    """Without settings: 2 s to connect, 5 s to answer, one retry: at most 14.5 s a call."""
    gateway = CheckoutGateway.from_env({"STRIPE_SECRET_KEY": SECRET})
    assert (gateway.connect_timeout, gateway.read_timeout) == (2.0, 5.0)
    assert gateway.max_network_retries == 1
    assert gateway.max_wait == 2 * (2.0 + 5.0) + 0.5
    assert gateway.max_wait <= 15


def test_max_wait_counts_every_attempt_and_the_sdks_backoff() -> None:
    """Each retry adds an attempt and the SDK's longest sleep before it (0.5, 1, 2, 4, 5, 5 s)."""
    sleeps = [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    for retries in range(len(sleeps) + 1):
        gateway = gateway_for("http://127.0.0.1:1", max_network_retries=retries)
        expected = (retries + 1) * (0.3 + 0.4) + sum(sleeps[:retries])
        assert gateway.max_wait == pytest.approx(expected)


def test_the_environment_sets_the_network_settings_and_arguments_win() -> None:
    """STRIPE_CONNECT_TIMEOUT, STRIPE_READ_TIMEOUT, STRIPE_MAX_NETWORK_RETRIES; then arguments."""
    env = {
        "STRIPE_SECRET_KEY": SECRET,
        "STRIPE_CONNECT_TIMEOUT": " 0.75 ",
        "STRIPE_READ_TIMEOUT": "12",
        "STRIPE_MAX_NETWORK_RETRIES": "0",
    }
    gateway = CheckoutGateway.from_env(env)
    assert (gateway.connect_timeout, gateway.read_timeout, gateway.max_network_retries) == (
        0.75,
        12.0,
        0,
    )
    assert gateway.max_wait == 12.75
    chosen = CheckoutGateway.from_env(env, read_timeout=3, max_network_retries=2)
    assert (chosen.connect_timeout, chosen.read_timeout, chosen.max_network_retries) == (
        0.75,
        3.0,
        2,
    )


def test_for_sandbox_takes_the_same_settings(sandbox: Any) -> None:
    """``for_sandbox`` has the same defaults and arguments (it does not read the environment)."""
    default = CheckoutGateway.for_sandbox(sandbox)
    assert default.max_wait == CheckoutGateway.from_env({"STRIPE_SECRET_KEY": SECRET}).max_wait
    tuned = CheckoutGateway.for_sandbox(sandbox, connect_timeout=1, read_timeout=20)
    assert (tuned.connect_timeout, tuned.read_timeout, tuned.max_network_retries) == (1, 20, 1)
    assert tuned.retrieve(tuned.create(_session()).id).status == "open"
    default.close()
    tuned.close()


BAD_ENV = [
    ("STRIPE_CONNECT_TIMEOUT", "-1"),
    ("STRIPE_CONNECT_TIMEOUT", "0"),
    ("STRIPE_CONNECT_TIMEOUT", "nan"),
    ("STRIPE_READ_TIMEOUT", "inf"),
    ("STRIPE_READ_TIMEOUT", "five"),
    ("STRIPE_READ_TIMEOUT", "5s"),
    ("STRIPE_READ_TIMEOUT", "86400"),
    ("STRIPE_MAX_NETWORK_RETRIES", "-1"),
    ("STRIPE_MAX_NETWORK_RETRIES", "1.5"),
    ("STRIPE_MAX_NETWORK_RETRIES", "many"),
    ("STRIPE_MAX_NETWORK_RETRIES", "11"),
]


@pytest.mark.parametrize(("name", "raw"), BAD_ENV)
def test_a_bad_environment_value_is_a_configuration_error(name: str, raw: str) -> None:
    """The message names the variable and repeats the value; nothing is built."""
    with pytest.raises(ConfigurationError, match=name) as info:
        CheckoutGateway.from_env({"STRIPE_SECRET_KEY": SECRET, name: raw})
    assert repr(raw) in str(info.value) or raw in str(info.value)


BAD_ARGS = [
    ("connect_timeout", -0.5),
    ("connect_timeout", math.nan),
    ("connect_timeout", 0),
    ("read_timeout", math.inf),
    ("read_timeout", True),
    ("read_timeout", "5"),
    ("max_network_retries", -1),
    ("max_network_retries", 1.0),
    ("max_network_retries", False),
    ("max_network_retries", 1000),
]


@pytest.mark.parametrize(("name", "value"), BAD_ARGS)
def test_a_bad_argument_is_a_configuration_error(name: str, value: object, sandbox: Any) -> None:
    """Negative, zero, NaN, infinite, boolean or mistyped values are refused by both builders."""
    with pytest.raises(ConfigurationError, match=name):
        CheckoutGateway.from_env({"STRIPE_SECRET_KEY": SECRET}, **{name: value})
    with pytest.raises(ConfigurationError, match=name):
        CheckoutGateway.for_sandbox(sandbox, **{name: value})


@settings(max_examples=examples(300))
@given(
    st.sampled_from(["STRIPE_CONNECT_TIMEOUT", "STRIPE_READ_TIMEOUT"]),
    st.one_of(st.text(max_size=12), st.floats().map(repr), st.integers().map(str)),
)
def test_any_timeout_text_is_used_or_refused_clearly(name: str, raw: str) -> None:
    """A value is used as the float it spells when positive, finite, ≤ 3600; else refused."""
    connect = name == "STRIPE_CONNECT_TIMEOUT"
    try:
        expected = float(raw) if raw.strip() else (2.0 if connect else 5.0)
    except ValueError:
        expected = math.nan
    env = {"STRIPE_SECRET_KEY": SECRET, name: raw}
    if not 0 < expected <= 3600:  # also NaN
        with pytest.raises(ConfigurationError, match=name):
            CheckoutGateway.from_env(env)
        return
    gateway = CheckoutGateway.from_env(env)
    assert (gateway.connect_timeout if connect else gateway.read_timeout) == expected


# -- faults, short budget ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_server_that_never_answers_is_a_read_timeout(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Connected, no answer: each attempt waits the read timeout, then the retry, then an error."""
    caplog.set_level(logging.DEBUG)
    with SilentListener() as server:
        error = connection_error(call(gateway_for(server.url), mode))
        assert server.connections == 2  # the first attempt and one retry
    assert error.code == "read_timeout"
    host = server.url.removeprefix("http://")
    assert str(error) == (
        f"no answer from Stripe at {host}: it accepted the connection but did not answer in time "
        "(connect timeout 0.3 s, read timeout 0.4 s, 1 retry)"
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "checkoutkit.gateway"]
    assert lines == [f"{error} [read_timeout]"]
    assert all(SECRET not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_connection_that_never_completes_is_a_connect_timeout(mode: str) -> None:
    """SYNs dropped (a firewall, a dead host): each attempt waits the connect timeout."""
    with BlackholeListener() as server:
        error = connection_error(call(gateway_for(server.url), mode))
    assert error.code == "connect_timeout"
    assert "connecting timed out" in str(error)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_refused_connection_is_named(mode: str) -> None:
    """Nothing listening: refused at once, retried once, then the error."""
    with RefusingPort() as port:
        error = connection_error(call(gateway_for(port.url), mode))
    assert error.code == "connection_refused"
    assert f"at {port.url.removeprefix('http://')}: the connection was refused" in str(error)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_server_that_closes_without_answering_is_named(mode: str) -> None:
    """The server hangs up after reading the request: both attempts, then the error."""
    with ClosingListener() as server:
        error = connection_error(call(gateway_for(server.url), mode))
        assert server.connections == 2
    assert error.code == "connection_closed"
    assert "it closed the connection without answering" in str(error)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_host_name_that_does_not_resolve_is_named(mode: str) -> None:
    """DNS failure: the message names the host and says so.

    The lookup is bounded by the system's resolver, not the gateway: a generous margin.
    """
    gateway = gateway_for(UNRESOLVABLE_URL, max_network_retries=0)
    error = connection_error(call(gateway, mode, margin=60))
    assert error.code == "dns_failure"
    assert str(error).startswith("no answer from Stripe at stripe-down.invalid: ")
    assert "did not resolve (DNS)" in str(error)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_create_gives_up_too_and_every_method_is_bounded(mode: str) -> None:
    """``create`` (whose retries reuse the idempotency key) is bounded like any call."""
    with SilentListener() as server:
        gateway = gateway_for(server.url, max_network_retries=0)

        async def create_async() -> object:
            async with gateway:
                return await gateway.create_async(_session())

        def create() -> object:
            with gateway:
                return gateway.create(_session())

        run = create if mode == "sync" else (lambda: asyncio.run(create_async()))
        error = connection_error(finishes_within(MARGIN, run))
        assert server.connections == 1
    assert error.code == "read_timeout"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_callers_client_keeps_its_own_settings(mode: str) -> None:
    """A StripeClient passed in is used as configured: its timeout, its retries (none here)."""
    with SilentListener() as server:
        http = stripe.RequestsClient(
            timeout=0.3, async_fallback_client=stripe.HTTPXClient(timeout=0.3)
        )
        client = stripe.StripeClient(
            SECRET,
            base_addresses={"api": server.url},
            max_network_retries=0,
            http_client=http,
        )
        gateway = CheckoutGateway(client)
        assert gateway.max_wait is None
        assert gateway.connect_timeout is None
        assert gateway.read_timeout is None
        assert gateway.max_network_retries is None

        async def run_async() -> object:
            return await gateway.retrieve_async("cs_test_123")

        run = (
            (lambda: gateway.retrieve("cs_test_123"))
            if mode == "sync"
            else (lambda: asyncio.run(run_async()))
        )
        error = connection_error(finishes_within(MARGIN, run))
        assert server.connections == 1  # the gateway's default budget would have retried once
        http.close()
    assert error.code == "read_timeout"
    assert str(error).endswith("did not answer in time")  # no settings known to quote


# -- the defaults, once --------------------------------------------------------------------


@pytest.mark.slow
def test_the_default_budget_gives_up_on_a_silent_server() -> None:
    """With no settings at all, a server that never answers costs two 5 s reads and a retry."""
    with SilentListener() as server:
        gateway = CheckoutGateway.from_env(
            {"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": server.url}
        )
        with gateway:
            error = connection_error(finishes_within(20.0, lambda: gateway.retrieve("cs_test_1")))
        assert server.connections == 2
    assert error.code == "read_timeout"
    assert "(connect timeout 2 s, read timeout 5 s, 1 retry)" in str(error)


def _session() -> dict[str, Any]:
    return {
        "mode": "payment",
        "success_url": "https://shop.example/thanks",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 500,
                    "product_data": {"name": "Sticker"},
                },
                "quantity": 1,
            }
        ],
    }
