"""How long a gateway that builds its own stripe client waits on the network, and retries."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from checkoutkit.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_NETWORK_RETRIES",
    "DEFAULT_READ_TIMEOUT",
    "ENV_MAX_NETWORK_RETRIES",
    "Network",
    "async_http_client",
    "env_retries",
    "env_seconds",
    "network_settings",
]

DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_MAX_NETWORK_RETRIES = 1
ENV_MAX_NETWORK_RETRIES = "STRIPE_MAX_NETWORK_RETRIES"


@attrs.frozen
class Network:
    """How long a gateway that built its client waits on the network, and how often it retries."""

    connect: float
    read: float
    retries: int

    @property
    def max_wait(self) -> float:
        """The longest one call can take: each attempt's connect and read, and the backoff."""
        from stripe import HTTPClient

        first, most = float(HTTPClient.INITIAL_DELAY), float(HTTPClient.MAX_DELAY)
        # The SDK sleeps a jittered min(first * 2 ** (n - 1), most), never less than first.
        backoff = sum(
            max(first, min(first * 2.0 ** (n - 1), most)) for n in range(1, self.retries + 1)
        )
        return (self.retries + 1) * (self.connect + self.read) + backoff

    def describe(self) -> str:
        retries = "1 retry" if self.retries == 1 else f"{self.retries} retries"
        return f"connect timeout {self.connect:g} s, read timeout {self.read:g} s, {retries}"


def network_settings(connect: object, read: object, retries: object) -> Network:
    return Network(
        DEFAULT_CONNECT_TIMEOUT if connect is None else _seconds("connect_timeout", connect),
        DEFAULT_READ_TIMEOUT if read is None else _seconds("read_timeout", read),
        DEFAULT_MAX_NETWORK_RETRIES
        if retries is None
        else _retries("max_network_retries", retries),
    )


_MAX_SECONDS = 3600.0
_MAX_RETRIES = 10


def _seconds(name: str, value: object) -> float:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or not 0 < number <= _MAX_SECONDS:
        raise ConfigurationError(
            f"{name} must be a number of seconds above 0 and at most {_MAX_SECONDS:g}, "
            f"got {value!r}"
        )
    return float(number)


def _retries(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_RETRIES:
        raise ConfigurationError(
            f"{name} must be a whole number from 0 to {_MAX_RETRIES}, got {value!r}"
        )
    return value


def env_seconds(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value: object = float(raw)
    except ValueError:
        value = raw
    return _seconds(name, value)


def env_retries(env: Mapping[str, str]) -> int | None:
    raw = env.get(ENV_MAX_NETWORK_RETRIES, "").strip()
    if not raw:
        return None
    try:
        value: object = int(raw)
    except ValueError:
        value = raw
    return _retries(ENV_MAX_NETWORK_RETRIES, value)


def async_http_client(network: Network) -> Any:
    """The SDK's async client (httpx) with the same timeouts, or its "install httpx" stand-in."""
    try:
        import anyio  # noqa: F401  (the SDK's httpx client needs it too)
        import httpx
    except ImportError:
        from stripe._http_client import NoImportFoundAsyncClient

        stand_in: Callable[[], Any] = NoImportFoundAsyncClient  # raises ImportError when used
        return stand_in()
    from stripe import HTTPXClient

    return HTTPXClient(timeout=httpx.Timeout(network.read, connect=network.connect))
