"""Stripe webhook signatures: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``.

The expected signature is the hex HMAC-SHA256 of ``b"<t>." + body`` keyed with the whole
``whsec_…`` string. Verification fails closed: secrets are checked when the verifier is created,
timestamps too old *or too far in the future* are refused, and replay protection cannot be
switched off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import attrs

from checkoutkit.exceptions import ConfigurationError, SignatureVerificationError

if TYPE_CHECKING:
    import hmac

__all__ = [
    "DEFAULT_TOLERANCE",
    "SignatureVerifier",
    "VerifiedSignature",
    "WebhookSecrets",
    "compute_signature",
    "signature_header",
    "verify_signature",
]

DEFAULT_TOLERANCE = 300
"""Seconds a signature's timestamp may differ from the clock (Stripe's own default)."""

WebhookSecrets: TypeAlias = "str | Sequence[str] | Mapping[str, str]"
"""One ``whsec_…`` secret, several (named by position), or a mapping of name to secret."""

_MAX_TIMESTAMP_DIGITS = 12  # Unix seconds stay below 10**12 for the next 30,000 years
_MISSING = "the Stripe-Signature header is missing or empty"


@attrs.frozen
class VerifiedSignature:
    """A signature that verified: the name of the secret that matched and the signed timestamp."""

    secret_name: str
    timestamp: int


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """Return Stripe's ``v1`` signature (hex HMAC-SHA256) of ``payload`` signed at ``timestamp``."""
    return _hex_signature(_keyed(secret), timestamp, payload)


def signature_header(payload: bytes, secrets: Sequence[str], timestamp: int) -> str:
    """Return a ``Stripe-Signature`` header value: ``t=<timestamp>`` and one ``v1`` per secret.

    Several secrets give several ``v1`` entries, as Stripe sends during a secret rotation.
    """
    signatures = ",".join(f"v1={compute_signature(payload, s, timestamp)}" for s in secrets)
    return f"t={timestamp},{signatures}"


class SignatureVerifier:
    """Verifies ``Stripe-Signature`` headers against one or more named secrets.

    Create it once (at start-up): the secrets are validated here, so a missing or mistyped secret
    fails the deployment rather than every webhook. ``clock`` returns the current Unix time.
    """

    __slots__ = ("_clock", "_compare", "_keys", "_names", "_tolerance")

    def __init__(
        self,
        secrets: WebhookSecrets,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        named = _named_secrets(secrets)
        self._tolerance = _checked_tolerance(tolerance)
        self._clock = clock
        from hmac import compare_digest  # hashlib loads OpenSSL: not at import time

        self._compare = compare_digest
        self._names: tuple[str, ...] = tuple(named)
        self._keys = tuple((name, _keyed(secret)) for name, secret in named.items())

    @property
    def tolerance(self) -> float:
        """Seconds a signature's timestamp may differ from the clock, either way."""
        return self._tolerance

    @property
    def secret_names(self) -> tuple[str, ...]:
        """The names of the configured secrets, in the order they are tried."""
        return self._names

    def __repr__(self) -> str:
        return f"SignatureVerifier(secret_names={self._names!r}, tolerance={self.tolerance!r})"

    def verify(
        self, payload: bytes | str, header: str | None, *, now: float | None = None
    ) -> VerifiedSignature:
        """Verify ``header`` for the raw request body ``payload``.

        Raises :class:`~checkoutkit.SignatureVerificationError` with a ``reason`` of
        ``missing_header``, ``malformed_header``, ``no_v1_signature``,
        ``timestamp_outside_tolerance`` or ``no_match``.
        """
        if not header:
            raise SignatureVerificationError("missing_header", _MISSING)
        if type(payload) is not bytes:
            payload = _as_bytes(payload)
        timestamp, signatures = _parse(header)
        compare = self._compare
        for name, keyed in self._keys:
            expected = _hex_signature(keyed, timestamp, payload)
            for candidate in signatures:
                if compare(expected, candidate):
                    skew = (self._clock() if now is None else now) - timestamp
                    if not -self._tolerance <= skew <= self._tolerance:
                        self._refuse_age(timestamp, skew)
                    return VerifiedSignature(name, timestamp)
        raise SignatureVerificationError(
            "no_match",
            f"no v1 signature matches the configured secret(s) {', '.join(self._names)}: check "
            "that the secret belongs to this endpoint (the Stripe CLI's `stripe listen` secret "
            "differs from the Dashboard's, and test mode from live mode) and that the body is the "
            "raw request bytes, not JSON parsed and re-encoded by the framework",
        )

    def _refuse_age(self, timestamp: int, skew: float) -> NoReturn:
        when = f"{skew:.0f} s old" if skew > 0 else f"{-skew:.0f} s in the future"
        raise SignatureVerificationError(
            "timestamp_outside_tolerance",
            f"the signature's timestamp {timestamp} is {when}; tolerance is {self.tolerance} s "
            "(a replayed request, or a clock that is off)",
        )


def verify_signature(
    payload: bytes | str,
    header: str | None,
    secrets: WebhookSecrets,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> VerifiedSignature:
    """Verify a ``Stripe-Signature`` header for the raw request body ``payload``.

    ``secrets`` is one ``whsec_…`` string, a sequence of them (named ``"0"``, ``"1"``, …) or a
    mapping of name to secret; the result names the one that matched. Timestamps older or newer
    than ``tolerance`` seconds (measured against ``now``, default the system clock) are refused.
    Raises :class:`~checkoutkit.ConfigurationError` for unusable secrets or tolerance, and
    :class:`~checkoutkit.SignatureVerificationError` when the header does not verify. To verify
    many requests, create a :class:`SignatureVerifier` once instead.
    """
    return SignatureVerifier(secrets, tolerance=tolerance).verify(payload, header, now=now)


def _named_secrets(secrets: Any) -> dict[str, str]:
    if isinstance(secrets, str):
        named = {"default": secrets}
    elif isinstance(secrets, Mapping):
        named = {str(name): secret for name, secret in secrets.items()}
    elif isinstance(secrets, Sequence) and not isinstance(secrets, (bytes, bytearray)):
        named = {str(i): secret for i, secret in enumerate(secrets)}
    else:
        raise ConfigurationError(
            "webhook secrets must be a 'whsec_…' string, a sequence of them or a mapping of "
            f"name to secret, not {type(secrets).__name__}"
        )
    if not named:
        raise ConfigurationError(
            "no webhook secret given; pass the endpoint's 'whsec_…' signing secret (webhooks are "
            "never accepted unverified)"
        )
    for name, secret in named.items():
        _check_secret(name, secret)
    return named


def _check_secret(name: str, secret: object) -> None:
    where = f"webhook secret {name!r}"
    if not isinstance(secret, str):
        raise ConfigurationError(f"{where} must be a str, not {type(secret).__name__}")
    if not secret:
        raise ConfigurationError(
            f"{where} is empty (is the environment variable set?); pass the endpoint's signing "
            "secret, which starts with 'whsec_'"
        )
    if secret != secret.strip():
        raise ConfigurationError(f"{where} has leading or trailing whitespace")
    if not secret.startswith("whsec_") or len(secret) == len("whsec_"):
        raise ConfigurationError(
            f"{where} is not a webhook signing secret: those start with 'whsec_' (an API key "
            "such as 'sk_…' or 'rk_…' cannot verify webhooks)"
        )


def _checked_tolerance(tolerance: object) -> float:
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not math.isfinite(tolerance)
        or tolerance <= 0
    ):
        raise ConfigurationError(
            f"tolerance must be a positive, finite number of seconds, not {tolerance!r}: "
            "replay protection cannot be switched off"
        )
    return tolerance


def _keyed(secret: str) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with ``secret``, fed nothing yet: copy it for each message."""
    import hashlib  # loads OpenSSL: not at import time
    import hmac

    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)


def _hex_signature(keyed: hmac.HMAC, timestamp: int, payload: bytes) -> str:
    """The ``v1`` signature of ``payload`` at ``timestamp``, from a copy of ``keyed``."""
    mac = keyed.copy()
    mac.update(b"%d." % timestamp)
    mac.update(payload)
    return mac.hexdigest()


def _as_bytes(payload: object) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    raise TypeError(f"payload must be the raw request body as bytes, not {type(payload).__name__}")


def _parse(header: str) -> tuple[int, Sequence[str]]:
    """Split the header into its timestamp and ``v1`` signatures (other schemes are ignored)."""
    if not isinstance(header, str):
        raise SignatureVerificationError(
            "malformed_header", f"the Stripe-Signature header must be a str, not {type(header)}"
        )
    stamp: str | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "v1":
            # compare_digest refuses non-ASCII str; such a value can never match anyway.
            signatures.append(value if value.isascii() else "")
        elif key == "t":
            if stamp is not None:
                raise SignatureVerificationError(
                    "malformed_header", "the Stripe-Signature header has more than one timestamp"
                )
            stamp = value
    if stamp is None:
        raise SignatureVerificationError(
            "malformed_header", "the Stripe-Signature header has no 't=' timestamp"
        )
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _MAX_TIMESTAMP_DIGITS):
        raise SignatureVerificationError(
            "malformed_header", "the Stripe-Signature header's timestamp is not a Unix time"
        )
    if not signatures:
        raise SignatureVerificationError(
            "no_v1_signature",
            "the Stripe-Signature header has no v1 signature (only v1 is accepted)",
        )
    return int(stamp), signatures
