"""Stripe-Signature verification: round trips, tampering, fail-closed configuration, interop."""

from __future__ import annotations

import hashlib
import hmac
import math
from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit import (
    ConfigurationError,
    SignatureVerificationError,
    SignatureVerifier,
    VerifiedSignature,
    verify_signature,
)
from checkoutkit._signature import compute_signature, signature_header
from checkoutkit.testing import TEST_SECRET, sign_payload

from . import strategies

NOW = 1_800_000_000
BODY = b'{"id": "evt_1", "object": "event"}'


def _reason(payload: bytes | str, header: str | None, secrets: Any = TEST_SECRET, **kw: Any) -> str:
    with pytest.raises(SignatureVerificationError) as info:
        verify_signature(payload, header, secrets, **kw)
    return info.value.reason


@settings(max_examples=examples(150))
@given(
    payload=strategies.payloads,
    secret=strategies.secrets,
    timestamp=strategies.timestamps,
    skew=st.integers(min_value=-300, max_value=300),
)
def test_sign_then_verify_round_trips(
    payload: bytes, secret: str, timestamp: int, skew: int
) -> None:
    """Any payload signed with any secret verifies at any clock within the tolerance."""
    header = sign_payload(payload, secret, timestamp)
    result = verify_signature(payload, header, secret, now=timestamp + skew)
    assert result == VerifiedSignature("default", timestamp)


@settings(max_examples=examples(150))
@given(payload=st.binary(min_size=1, max_size=512), data=st.data())
def test_flipping_any_payload_byte_fails(payload: bytes, data: st.DataObject) -> None:
    """Changing any single byte of the body makes verification fail with ``no_match``."""
    header = sign_payload(payload, TEST_SECRET, NOW)
    index = data.draw(st.integers(0, len(payload) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = bytearray(payload)
    tampered[index] ^= flip
    assert _reason(bytes(tampered), header, now=NOW) == "no_match"


@settings(max_examples=examples(150))
@given(data=st.data())
def test_flipping_any_signature_character_fails(data: st.DataObject) -> None:
    """Changing any single hex digit of the ``v1`` signature makes verification fail."""
    header = sign_payload(BODY, TEST_SECRET, NOW)
    prefix, signature = header.split("v1=")
    index = data.draw(st.integers(0, len(signature) - 1))
    other = data.draw(st.sampled_from([c for c in "0123456789abcdef" if c != signature[index]]))
    tampered = prefix + "v1=" + signature[:index] + other + signature[index + 1 :]
    assert _reason(BODY, tampered, now=NOW) == "no_match"


@settings(max_examples=examples(300))
@given(payload=strategies.payloads, header=strategies.signature_headers)
def test_random_headers_raise_only_our_error(payload: bytes, header: str) -> None:
    """Arbitrary header values either verify or raise SignatureVerificationError with a reason."""
    reasons = {
        "missing_header",
        "malformed_header",
        "no_v1_signature",
        "timestamp_outside_tolerance",
        "no_match",
    }
    reason = "verified"
    try:
        verify_signature(payload, header, TEST_SECRET, now=NOW)
    except SignatureVerificationError as error:
        reason = error.reason
    assert reason in reasons | {"verified"}


@settings(max_examples=examples(100))
@given(payload=st.text(max_size=2000), secret=strategies.secrets)
def test_our_headers_verify_with_stripe(payload: str, secret: str) -> None:
    """Headers from ``sign_payload`` pass ``stripe.WebhookSignature.verify_header``."""
    header = sign_payload(payload, secret)
    assert stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=300)


@settings(max_examples=examples(100))
@given(payload=st.text(max_size=2000), secret=strategies.secrets)
def test_stripe_headers_verify_with_ours(payload: str, secret: str) -> None:
    """Headers from stripe's ``generate_signature_header`` pass our verification."""
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    assert verify_signature(payload.encode(), header, secret).secret_name == "default"


@settings(max_examples=examples(100))
@given(
    payload=strategies.payloads, secret=st.text(min_size=1, max_size=200), t=strategies.timestamps
)
def test_compute_signature_is_hmac_sha256(payload: bytes, secret: str, t: int) -> None:
    """``compute_signature`` is HMAC-SHA256 of ``b"<t>." + payload``, even for long keys."""
    expected = hmac.new(secret.encode(), b"%d." % t + payload, hashlib.sha256).hexdigest()
    assert compute_signature(payload, secret, t) == expected


@settings(max_examples=examples(50))
@given(
    messages=st.lists(
        st.tuples(strategies.payloads, strategies.timestamps), min_size=2, max_size=6
    ),
    secret=strategies.secrets,
)
def test_one_verifier_checks_many_requests_independently(
    messages: list[tuple[bytes, int]], secret: str
) -> None:
    """The keyed HMAC is copied per request: earlier requests never leak into later ones."""
    verifier = SignatureVerifier(secret)
    for payload, t in messages:
        header = f"t={t},v1={hmac.new(secret.encode(), b'%d.' % t + payload, 'sha256').hexdigest()}"
        assert verifier.verify(payload, header, now=t).timestamp == t


@settings(max_examples=examples(50))
@given(payload=strategies.payloads, names=st.lists(strategies.secrets, min_size=1, max_size=3))
def test_signature_header_signs_with_every_secret(payload: bytes, names: list[str]) -> None:
    """One ``v1`` per secret, each verifying alone, in the order given."""
    header = signature_header(payload, names, NOW)
    stamp, *signatures = header.split(",")
    assert stamp == f"t={NOW}"
    assert signatures == [f"v1={compute_signature(payload, s, NOW)}" for s in names]
    for secret in names:
        assert verify_signature(payload, header, secret, now=NOW).timestamp == NOW


def test_timestamps_too_old_or_in_the_future_are_refused() -> None:
    """A signature 301 s old or 301 s ahead is refused; exactly at the tolerance it passes."""
    header = sign_payload(BODY, TEST_SECRET, NOW)
    assert _reason(BODY, header, now=NOW + 301) == "timestamp_outside_tolerance"
    assert _reason(BODY, header, now=NOW - 301) == "timestamp_outside_tolerance"
    assert verify_signature(BODY, header, TEST_SECRET, now=NOW + 300).timestamp == NOW
    assert verify_signature(BODY, header, TEST_SECRET, now=NOW - 300).timestamp == NOW


def test_tolerance_and_clock_are_configurable() -> None:
    """A verifier with tolerance 10 and an injected clock refuses an 11-second-old signature."""
    clock_now = [NOW + 11.0]
    verifier = SignatureVerifier(TEST_SECRET, tolerance=10, clock=lambda: clock_now[0])
    header = sign_payload(BODY, TEST_SECRET, NOW)
    with pytest.raises(SignatureVerificationError, match="11 s old"):
        verifier.verify(BODY, header)
    clock_now[0] = NOW + 10.0
    assert verifier.verify(BODY, header).timestamp == NOW


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_header"),
        ("", "missing_header"),
        ("v1=abc", "malformed_header"),
        ("t=,v1=abc", "malformed_header"),
        ("t=12x,v1=abc", "malformed_header"),
        ("t=-5,v1=abc", "malformed_header"),
        ("t=1,t=2,v1=abc", "malformed_header"),
        ("t=" + "9" * 40 + ",v1=abc", "malformed_header"),
        (f"t={NOW}", "no_v1_signature"),
        (f"t={NOW},v0=abc,v2=def", "no_v1_signature"),
        (f"t={NOW},v1=abc", "no_match"),
        (f"t={NOW},v1=é" + "a" * 63, "no_match"),
    ],
)
def test_each_failure_has_its_reason(header: str | None, reason: str) -> None:
    """Each way a header can be wrong is reported with its own ``reason`` code."""
    assert _reason(BODY, header, now=NOW) == reason


def test_v0_and_unknown_schemes_are_ignored_next_to_a_good_v1() -> None:
    """Extra ``v0``/unknown entries and spaces around items do not stop a valid ``v1``."""
    header = sign_payload(BODY, TEST_SECRET, NOW)
    t, v1 = header.split(",")
    for variant in (f"{t},v0=deadbeef,{v1}", f"{t}, x=1, {v1}", f"{v1},{t}"):
        assert verify_signature(BODY, variant, TEST_SECRET, now=NOW).timestamp == NOW


def test_messages_never_contain_a_secret_or_the_expected_signature() -> None:
    """No failure message includes the secret or the signature that would have matched."""
    other = "whsec_other_secret_value"
    expected = compute_signature(BODY, TEST_SECRET, NOW)
    headers = [
        None,
        "garbage",
        f"t={NOW}",
        sign_payload(BODY, other, NOW),
        sign_payload(BODY, TEST_SECRET, NOW - 1000),
    ]
    for header in headers:
        with pytest.raises(SignatureVerificationError) as info:
            verify_signature(BODY, header, {"main": TEST_SECRET}, now=NOW)
        text = str(info.value) + repr(info.value)
        assert TEST_SECRET not in text
        assert expected not in text


def test_named_secrets_report_which_one_matched() -> None:
    """With a mapping of secrets the result names the one that matched (Connect, rotation)."""
    secrets = {"account": "whsec_account_1", "connect": "whsec_connect_1"}
    header = sign_payload(BODY, "whsec_connect_1", NOW)
    assert verify_signature(BODY, header, secrets, now=NOW) == VerifiedSignature("connect", NOW)
    header = sign_payload(BODY, "whsec_account_1", NOW)
    assert verify_signature(BODY, header, secrets, now=NOW).secret_name == "account"


def test_a_sequence_of_secrets_is_named_by_position() -> None:
    """During a rotation both secrets verify; a list names them ``"0"`` and ``"1"``."""
    old, new = "whsec_old_secret", "whsec_new_secret"
    assert (
        verify_signature(BODY, sign_payload(BODY, new, NOW), [old, new], now=NOW).secret_name == "1"
    )
    both = sign_payload(BODY, [old, new], NOW)
    assert verify_signature(BODY, both, new, now=NOW).secret_name == "default"
    assert verify_signature(BODY, both, old, now=NOW).secret_name == "default"


def test_str_payload_is_utf8_encoded() -> None:
    """A str payload verifies like its UTF-8 bytes."""
    text = '{"name": "Jürgen ✓"}'
    header = sign_payload(text.encode(), TEST_SECRET, NOW)
    assert verify_signature(text, header, TEST_SECRET, now=NOW).timestamp == NOW


@pytest.mark.parametrize(
    "secrets",
    [
        [],
        {},
        (),
        "",
        [""],
        {"main": ""},
        "sk_test_123",
        "rk_live_123",
        "whsec_",
        " whsec_abc",
        "whsec_abc\n",
        ["whsec_ok", "not_a_secret"],
        [None],
        b"whsec_abc",
        None,
        42,
    ],
)
def test_unusable_secrets_are_refused_at_construction(secrets: Any) -> None:
    """Empty, missing, non-``whsec_`` or padded secrets raise ConfigurationError up front."""
    with pytest.raises(ConfigurationError):
        SignatureVerifier(secrets)
    with pytest.raises(ConfigurationError):
        verify_signature(BODY, "t=1,v1=a", secrets)


def test_refusal_messages_do_not_echo_the_secret() -> None:
    """A refused secret is named by its key, never printed."""
    with pytest.raises(ConfigurationError) as info:
        SignatureVerifier({"live": "sk_live_very_secret_key"})
    assert "sk_live_very_secret_key" not in str(info.value)
    assert "'live'" in str(info.value)


@pytest.mark.parametrize("tolerance", [0, -1, 0.0, math.nan, math.inf, True, "300", None])
def test_tolerance_must_be_positive_and_finite(tolerance: Any) -> None:
    """Replay protection cannot be switched off: tolerance 0, negative, inf or non-numbers fail."""
    with pytest.raises(ConfigurationError):
        SignatureVerifier(TEST_SECRET, tolerance=tolerance)


def test_verifier_repr_hides_secrets() -> None:
    """The verifier's repr lists secret names and tolerance, not secrets."""
    verifier = SignatureVerifier({"a": TEST_SECRET})
    assert TEST_SECRET not in repr(verifier)
    assert verifier.secret_names == ("a",)


def test_sign_payload_defaults_to_now() -> None:
    """Without a timestamp, ``sign_payload`` signs with the current time and verifies now."""
    header = sign_payload(BODY, TEST_SECRET)
    assert verify_signature(BODY, header, TEST_SECRET).secret_name == "default"


def test_non_bytes_payload_is_a_type_error() -> None:
    """A payload that is neither bytes nor str raises TypeError (a programming error)."""
    with pytest.raises(TypeError):
        verify_signature(123, sign_payload(BODY, TEST_SECRET), TEST_SECRET)  # type: ignore[arg-type]


def test_tolerance_cannot_be_changed_after_creation() -> None:
    """A verifier's tolerance is read-only, so replay protection cannot be widened later."""
    verifier = SignatureVerifier(TEST_SECRET, tolerance=60)
    assert verifier.tolerance == 60
    with pytest.raises(AttributeError):
        verifier.tolerance = math.inf  # type: ignore[misc]
