"""The Gateway's construction, key derivation and error translation (no server needed)."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit import CheckoutGateway, ConfigurationError, InvalidSessionError
from checkoutkit._gateway import derive_idempotency_key
from checkoutkit._stripe_errors import wrap_stripe_error
from checkoutkit.exceptions import (
    StripeAuthenticationError,
    StripeCardError,
    StripeConnectionError,
    StripeError,
    StripeIdempotencyError,
    StripeInvalidRequestError,
    StripeNotFoundError,
    StripeRateLimitError,
)

SECRET = "sk_test_51Secret0123456789abcdefSECRET"

_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_params = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.recursive(
        _json_scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=6,
)


def test_from_env_without_a_key_is_a_configuration_error() -> None:
    """A missing or blank STRIPE_SECRET_KEY fails at construction, naming the variable."""
    for env in ({}, {"STRIPE_SECRET_KEY": "  "}):
        with pytest.raises(ConfigurationError, match="STRIPE_SECRET_KEY"):
            CheckoutGateway.from_env(env)


def test_from_env_refuses_a_publishable_key_without_echoing_it() -> None:
    """A pk_ key is refused, and the error message does not contain the key."""
    key = "pk_test_abcdefghijklmnop1234"
    with pytest.raises(ConfigurationError) as info:
        CheckoutGateway.from_env({"STRIPE_SECRET_KEY": key})
    assert key not in str(info.value)
    assert "abcdefghijklmnop" not in str(info.value)


def test_from_env_refuses_an_api_base_that_is_not_a_url() -> None:
    """STRIPE_API_BASE must be an http(s) URL."""
    with pytest.raises(ConfigurationError, match="STRIPE_API_BASE"):
        CheckoutGateway.from_env({"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": "localhost:1"})


def test_from_env_uses_the_api_base_and_hides_the_key_in_repr() -> None:
    """The gateway's repr names the API base and mode, never the key."""
    gateway = CheckoutGateway.from_env(
        {"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": "http://127.0.0.1:9/"}
    )
    text = repr(gateway)
    assert "http://127.0.0.1:9" in text
    assert "'test'" in text
    assert SECRET not in text
    assert SECRET not in repr(gateway.client)


def test_for_sandbox_needs_a_url() -> None:
    """for_sandbox() refuses an object that is not a running sandbox."""
    with pytest.raises(ConfigurationError):
        CheckoutGateway.for_sandbox(object())


@settings(max_examples=examples(60))
@given(_params)
def test_derived_key_ignores_key_order(params: dict[str, object]) -> None:
    """The derived idempotency key is the same whatever the order of the parameters."""
    reordered = dict(reversed(list(params.items())))
    key = derive_idempotency_key(params)
    assert key == derive_idempotency_key(reordered)
    assert len(key) <= 255


@settings(max_examples=examples(60))
@given(_params, st.text(min_size=1, max_size=10))
def test_derived_key_changes_with_the_scope(params: dict[str, object], scope: str) -> None:
    """A caller-supplied scope gives another key for the same parameters."""
    assert derive_idempotency_key(params) != derive_idempotency_key(params, scope=scope)


def test_derived_key_changes_with_any_value() -> None:
    """Changing one nested value changes the key."""
    base = {"mode": "payment", "line_items": [{"price": "price_1", "quantity": 1}]}
    other = {"mode": "payment", "line_items": [{"price": "price_1", "quantity": 2}]}
    assert derive_idempotency_key(base) != derive_idempotency_key(other)


def test_key_and_scope_together_are_refused() -> None:
    """Passing both an explicit key and a scope is a configuration error, before any request."""
    gateway = CheckoutGateway.from_env({"STRIPE_SECRET_KEY": SECRET})
    with pytest.raises(ConfigurationError):
        gateway.create({"mode": "payment"}, idempotency_key="k", idempotency_scope="s")


def test_create_refuses_an_object_that_is_not_params() -> None:
    """Something that is neither a mapping nor a builder is an InvalidSessionError."""
    gateway = CheckoutGateway.from_env({"STRIPE_SECRET_KEY": SECRET})
    with pytest.raises(InvalidSessionError):
        gateway.create(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "  ", "cs_test/../../v1/customers"])
def test_retrieve_refuses_a_bad_id_before_any_request(bad: str) -> None:
    """An empty id or one with a slash is refused locally with param ``id``."""
    gateway = CheckoutGateway.from_env(
        {"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": "http://127.0.0.1:9"}
    )
    with pytest.raises(StripeInvalidRequestError) as info:
        gateway.retrieve(bad)
    assert info.value.param == "id"
    assert info.value.http_status is None


def _headers() -> dict[str, str]:
    return {"request-id": "req_123"}


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            stripe.CardError("Your card was declined.", "card", "card_declined", http_status=402),
            StripeCardError,
        ),
        (stripe.IdempotencyError("Keys reused", http_status=400), StripeIdempotencyError),
        (
            stripe.InvalidRequestError("No such price", "line_items[0][price]", "resource_missing"),
            StripeNotFoundError,
        ),
        (
            stripe.InvalidRequestError("Bad", "mode", "parameter_invalid_string", http_status=400),
            StripeInvalidRequestError,
        ),
        (stripe.AuthenticationError("Invalid API key", http_status=401), StripeAuthenticationError),
        (stripe.PermissionError("Not allowed", http_status=403), StripeAuthenticationError),
        (stripe.RateLimitError("Slow down", http_status=429), StripeRateLimitError),
        (stripe.APIConnectionError("Could not connect"), StripeConnectionError),
        (stripe.APIError("Server error", http_status=500), StripeError),
    ],
)
def test_stripe_errors_map_onto_the_tree(error: stripe.StripeError, kind: type) -> None:
    """Each SDK error class becomes the matching checkoutkit class, keeping code and param."""
    error.headers = _headers()
    error.request_id = "req_123"
    wrapped = wrap_stripe_error(error)
    assert type(wrapped) is kind
    # A network error has no code from Stripe; the code names its cause instead.
    assert wrapped.code == ("network_error" if kind is StripeConnectionError else error.code)
    assert wrapped.param == getattr(error, "param", None)
    assert wrapped.http_status == error.http_status
    assert wrapped.request_id == "req_123"


def test_decline_code_is_kept() -> None:
    """A card error's decline_code survives the translation."""
    body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        }
    }
    error = stripe.CardError(
        "Your card has insufficient funds.", None, "card_declined", json_body=body
    )
    assert wrap_stripe_error(error).decline_code == "insufficient_funds"


def test_the_api_key_is_redacted_from_wrapped_messages() -> None:
    """A message that quotes the key (or any sk_ key) is redacted in the wrapped error."""
    error = stripe.AuthenticationError(f"Invalid API Key provided: {SECRET}; also sk_live_abc123")
    wrapped = wrap_stripe_error(error, SECRET)
    assert SECRET not in str(wrapped)
    assert "sk_live_abc123" not in str(wrapped)
    assert "sk_test_****" in str(wrapped)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_api_is_a_connection_error_without_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listening → StripeConnectionError; key absent from message, traceback and logs."""
    caplog.set_level(logging.DEBUG)
    gateway = CheckoutGateway.from_env(
        {"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": f"http://127.0.0.1:{_closed_port()}"},
        max_network_retries=0,
    )
    with pytest.raises(StripeConnectionError) as info:
        gateway.retrieve("cs_test_123")
    text = "".join(traceback.format_exception(info.value))
    assert SECRET not in text
    assert SECRET not in repr(info.value)
    assert all(SECRET not in record.getMessage() for record in caplog.records)


def test_a_gateway_over_a_callers_client_knows_its_key_and_base() -> None:
    """Given a configured StripeClient, repr shows the base and mode, and never the key."""
    client = stripe.StripeClient(SECRET, base_addresses={"api": "http://127.0.0.1:9"})
    gateway = CheckoutGateway(client)
    assert gateway.client is client
    assert repr(gateway) == "CheckoutGateway(api_base='http://127.0.0.1:9', mode='test')"
    gateway.close()  # a caller's client is left open: closing is a no-op, not an error
