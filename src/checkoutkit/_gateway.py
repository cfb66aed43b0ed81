"""The Gateway: Checkout Sessions through the official stripe SDK, validated before they leave.

``CheckoutGateway`` wraps a :class:`stripe.StripeClient`. It validates session parameters in
process, sends a deterministic idempotency key, returns typed :class:`CheckoutSession` views and
turns the SDK's errors into checkoutkit's exception tree without ever showing the API key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from checkoutkit._events import CheckoutSession, PortalSession
from checkoutkit._network import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_NETWORK_RETRIES,
    DEFAULT_READ_TIMEOUT,
    Network,
    async_http_client,
    env_retries,
    env_seconds,
    network_settings,
)
from checkoutkit._portal import portal_params
from checkoutkit._problems import Problem
from checkoutkit._stripe_errors import full_text, redact, wrap_stripe_error
from checkoutkit.exceptions import (
    ConfigurationError,
    InvalidSessionError,
    MissingDependencyError,
    StripeConnectionError,
    StripeInvalidRequestError,
)

if TYPE_CHECKING:
    import stripe
    from stripe._base_address import BaseAddresses
    from stripe.params.billing_portal import SessionCreateParams as PortalParams
    from stripe.params.checkout import SessionCreateParams

    from checkoutkit._builder import SessionBuilder
    from checkoutkit.sandbox import Sandbox

__all__ = ["CheckoutGateway"]

_log = logging.getLogger("checkoutkit.gateway")

_T = TypeVar("_T")

#: Environment variables read by :meth:`CheckoutGateway.from_env`.
ENV_SECRET_KEY = "STRIPE_SECRET_KEY"  # noqa: S105 (the variable's name, not a secret)
ENV_API_BASE = "STRIPE_API_BASE"
ENV_CONNECT_TIMEOUT = "STRIPE_CONNECT_TIMEOUT"
ENV_READ_TIMEOUT = "STRIPE_READ_TIMEOUT"

#: The key the sandbox accepts; any ``sk_test_`` key works there.
SANDBOX_API_KEY = "sk_test_checkoutkit_sandbox"

_KEY_VERSION = b"checkoutkit:checkout.session:v1"


class CheckoutGateway:
    """Creates and manages Checkout Sessions through a :class:`stripe.StripeClient`.

    Every method has an ``_async`` twin that uses the SDK's async HTTP client (``httpx``,
    installed with the ``checkoutkit[async]`` extra). Errors from Stripe (or the sandbox) are
    raised as :class:`checkoutkit.exceptions.StripeError` subclasses that keep ``code``,
    ``param``, ``http_status`` and ``request_id``; the API key never appears in a message, a
    ``repr`` or a log line.

    Build one with :meth:`from_env` in an application, :meth:`for_sandbox` in tests, or pass a
    client you configured yourself. The first two bound every call in time (connect and read
    timeouts, a retry budget; see :attr:`max_wait`); a client you pass keeps its own settings.
    """

    #: Seconds to wait for a connection to Stripe (TCP and TLS), per attempt.
    DEFAULT_CONNECT_TIMEOUT: float = DEFAULT_CONNECT_TIMEOUT
    #: Seconds to wait for Stripe's answer once connected (between bytes), per attempt.
    DEFAULT_READ_TIMEOUT: float = DEFAULT_READ_TIMEOUT
    #: Retries after a network error, a 409 or a 5xx (each reuses the idempotency key).
    DEFAULT_MAX_NETWORK_RETRIES: int = DEFAULT_MAX_NETWORK_RETRIES

    __slots__ = ("_api_base", "_client", "_http", "_key", "_network")

    def __init__(self, client: stripe.StripeClient) -> None:
        self._client = client
        self._http: Any = None  # stripe HTTPClient, set when this gateway built the client
        self._network: Network | None = None  # set when this gateway built the client
        requestor = getattr(client, "_requestor", None)
        key = getattr(requestor, "api_key", None)
        self._key: str | None = key if isinstance(key, str) and key else None
        options = getattr(requestor, "_options", None)
        bases = getattr(options, "base_addresses", None)
        api = bases.get("api") if isinstance(bases, Mapping) else None
        self._api_base: str | None = api if isinstance(api, str) else None

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_network_retries: int | None = None,
    ) -> CheckoutGateway:
        """Build a gateway from ``STRIPE_SECRET_KEY`` (and ``STRIPE_API_BASE``, if set).

        ``STRIPE_API_BASE`` points the client somewhere other than Stripe, such as a sandbox
        started with ``checkoutkit sandbox``. Raises :class:`ConfigurationError` when the key is
        missing or is not a secret (``sk_``) or restricted (``rk_``) key.

        The network settings come from the arguments, else from ``STRIPE_CONNECT_TIMEOUT``,
        ``STRIPE_READ_TIMEOUT`` (seconds) and ``STRIPE_MAX_NETWORK_RETRIES``, else from the
        defaults (2 s, 5 s, 1 retry: at most 14.5 s per call). A timeout that is not a number
        of seconds above 0 and at most 3600, or a retry count that is not a whole number from 0
        to 10, raises :class:`ConfigurationError`.
        """
        env = os.environ if environ is None else environ
        key = env.get(ENV_SECRET_KEY, "").strip()
        if not key:
            raise ConfigurationError(
                f"{ENV_SECRET_KEY} is not set: set it to your Stripe secret key (sk_test_…)"
            )
        if not key.startswith(("sk_", "rk_")):
            raise ConfigurationError(
                f"{ENV_SECRET_KEY} must be a secret (sk_…) or restricted (rk_…) key; "
                f"it starts with {redact(key, key)[:8]!r}"
            )
        base = env.get(ENV_API_BASE, "").strip() or None
        if base is not None and not base.startswith(("http://", "https://")):
            raise ConfigurationError(f"{ENV_API_BASE} must be an http(s) URL, got {base!r}")
        network = network_settings(
            env_seconds(env, ENV_CONNECT_TIMEOUT) if connect_timeout is None else connect_timeout,
            env_seconds(env, ENV_READ_TIMEOUT) if read_timeout is None else read_timeout,
            env_retries(env) if max_network_retries is None else max_network_retries,
        )
        return cls._built(key, base, network)

    @classmethod
    def for_sandbox(
        cls,
        sandbox: Sandbox,
        *,
        api_key: str = SANDBOX_API_KEY,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_network_retries: int | None = None,
    ) -> CheckoutGateway:
        """Build a gateway talking to a running :class:`checkoutkit.sandbox.Sandbox`.

        ``api_key`` may be any ``sk_test_`` key (the sandbox refuses live keys). The network
        settings default as for :meth:`from_env` (the environment is not read).
        """
        url: object = getattr(sandbox, "url", None)
        if not isinstance(url, str) or not url:
            raise ConfigurationError("for_sandbox() needs a running sandbox (with a .url)")
        network = network_settings(connect_timeout, read_timeout, max_network_retries)
        return cls._built(api_key, url, network)

    @classmethod
    def _built(cls, key: str, api_base: str | None, network: Network) -> CheckoutGateway:
        from stripe import RequestsClient, StripeClient

        timeouts = (network.connect, network.read)
        http = RequestsClient(timeout=timeouts, async_fallback_client=async_http_client(network))
        bases: BaseAddresses = {"api": api_base.rstrip("/")} if api_base else {}
        client = StripeClient(
            key, base_addresses=bases, max_network_retries=network.retries, http_client=http
        )
        gateway = cls(client)
        gateway._http = http
        gateway._network = network
        return gateway

    @property
    def connect_timeout(self) -> float | None:
        """Seconds each attempt waits to connect; ``None`` for a client passed in."""
        return None if self._network is None else self._network.connect

    @property
    def read_timeout(self) -> float | None:
        """Seconds each attempt waits for data once connected; ``None`` for a client passed in."""
        return None if self._network is None else self._network.read

    @property
    def max_network_retries(self) -> int | None:
        """Retries after the first attempt; ``None`` for a client passed in."""
        return None if self._network is None else self._network.retries

    @property
    def max_wait(self) -> float | None:
        """The longest one call waits on the network, in seconds; ``None`` for a client passed in.

        Every attempt's connect and read timeouts plus the SDK's backoff between attempts.
        A read timeout bounds each wait for data, so a server that trickles its answer a byte
        at a time, or a host name that resolves to several unreachable addresses (each tried
        in turn by the sync client), can take longer; DNS lookups are bounded by the system
        resolver, not by these settings.
        """
        return None if self._network is None else self._network.max_wait

    @property
    def client(self) -> stripe.StripeClient:
        """The underlying :class:`stripe.StripeClient`, for calls the gateway does not wrap."""
        return self._client

    def close(self) -> None:
        """Close the HTTP connections of a client this gateway created (else do nothing).

        A gateway built by :meth:`from_env` or :meth:`for_sandbox` owns its client; one given a
        client leaves closing it to the caller. The gateway is also a context manager.
        """
        if self._http is not None:
            self._http.close()

    async def aclose(self) -> None:
        """Close the sync and async HTTP connections of a client this gateway created.

        Call it on the event loop the async methods ran on, before that loop closes: the
        async HTTP client's connections belong to one event loop.
        """
        if self._http is not None:
            self._http.close()
            await self._http.close_async()

    def __enter__(self) -> CheckoutGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> CheckoutGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        mode = "unknown"
        if self._key is not None:
            mode = "live" if "_live_" in self._key else "test"
        return f"CheckoutGateway(api_base={self._api_base!r}, mode={mode!r})"

    # -- create ------------------------------------------------------------------------------

    def create(
        self,
        session: SessionBuilder | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        idempotency_scope: str | None = None,
    ) -> CheckoutSession:
        """Validate ``session`` (a builder or a params mapping), create it and return the view.

        Invalid parameters raise :class:`InvalidSessionError` before any request is made. The
        request carries ``idempotency_key`` or, by default, a key derived from the parameters
        (and ``idempotency_scope``, if given), so a retried call never creates a second
        session: identical parameters within Stripe's 24 hour key lifetime return the session
        created first. Pass a distinct ``idempotency_scope`` (an order or cart id) when two
        purchases may legitimately share identical parameters.
        """
        params, key = self._prepare(session, idempotency_key, idempotency_scope)
        with self._errors():
            obj = self._client.v1.checkout.sessions.create(
                params=cast("SessionCreateParams", params),
                options={"idempotency_key": key},
            )
        return self._created(obj, key)

    async def create_async(
        self,
        session: SessionBuilder | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        idempotency_scope: str | None = None,
    ) -> CheckoutSession:
        """Async twin of :meth:`create`."""
        params, key = self._prepare(session, idempotency_key, idempotency_scope)
        obj = await self._await(
            lambda: self._client.v1.checkout.sessions.create_async(
                params=cast("SessionCreateParams", params),
                options={"idempotency_key": key},
            )
        )
        return self._created(obj, key)

    # -- retrieve / expire -------------------------------------------------------------------

    def retrieve(self, session: str | CheckoutSession) -> CheckoutSession:
        """Fetch a Checkout Session by id (or refresh a view) and return the typed view."""
        session_id = _session_id(session)
        with self._errors():
            obj = self._client.v1.checkout.sessions.retrieve(session_id)
        return _view(obj)

    async def retrieve_async(self, session: str | CheckoutSession) -> CheckoutSession:
        """Async twin of :meth:`retrieve`."""
        session_id = _session_id(session)
        sessions = self._client.v1.checkout.sessions
        obj = await self._await(lambda: sessions.retrieve_async(session_id))
        return _view(obj)

    def expire(self, session: str | CheckoutSession) -> CheckoutSession:
        """Expire an open Checkout Session so it can no longer be paid; returns the new state.

        Stripe refuses to expire a session that is not ``open``
        (:class:`~checkoutkit.exceptions.StripeInvalidRequestError`).
        """
        session_id = _session_id(session)
        with self._errors():
            obj = self._client.v1.checkout.sessions.expire(session_id)
        _log.info("expired checkout session %s", session_id)
        return _view(obj)

    async def expire_async(self, session: str | CheckoutSession) -> CheckoutSession:
        """Async twin of :meth:`expire`."""
        session_id = _session_id(session)
        obj = await self._await(lambda: self._client.v1.checkout.sessions.expire_async(session_id))
        _log.info("expired checkout session %s", session_id)
        return _view(obj)

    # -- line items --------------------------------------------------------------------------

    def list_line_items(self, session: str | CheckoutSession) -> list[dict[str, Any]]:
        """Every line item of a session (all pages), as Stripe's ``item`` objects in dicts."""
        session_id = _session_id(session)
        with self._errors():
            page = self._client.v1.checkout.sessions.line_items.list(
                session_id, params={"limit": 100}
            )
            return [item.to_dict() for item in page.auto_paging_iter()]

    async def list_line_items_async(self, session: str | CheckoutSession) -> list[dict[str, Any]]:
        """Async twin of :meth:`list_line_items`."""
        session_id = _session_id(session)

        async def fetch() -> list[dict[str, Any]]:
            page = await self._client.v1.checkout.sessions.line_items.list_async(
                session_id, params={"limit": 100}
            )
            return [item.to_dict() async for item in page.auto_paging_iter()]

        return await self._await(fetch)

    # -- capture -----------------------------------------------------------------------------

    def capture(
        self,
        session: str | CheckoutSession,
        *,
        amount_to_capture: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Capture the held payment of a session created with ``capture_method=manual``.

        Looks up the session's PaymentIntent, captures it (all of it, or ``amount_to_capture``
        in the smallest currency unit) and returns the captured PaymentIntent as a dict. A
        session without a PaymentIntent (not paid yet, or not in payment mode) raises
        :class:`~checkoutkit.exceptions.StripeInvalidRequestError` without a capture request.
        """
        view = self.retrieve(session)
        intent = _intent_to_capture(view)
        params, options = _capture_args(intent, amount_to_capture, idempotency_key)
        with self._errors():
            obj = self._client.v1.payment_intents.capture(intent, params=params, options=options)
        _log.info("captured payment %s of checkout session %s", intent, view.id)
        return _plain(obj)

    async def capture_async(
        self,
        session: str | CheckoutSession,
        *,
        amount_to_capture: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Async twin of :meth:`capture`."""
        view = await self.retrieve_async(session)
        intent = _intent_to_capture(view)
        params, options = _capture_args(intent, amount_to_capture, idempotency_key)
        obj = await self._await(
            lambda: self._client.v1.payment_intents.capture_async(
                intent, params=params, options=options
            )
        )
        _log.info("captured payment %s of checkout session %s", intent, view.id)
        return _plain(obj)

    # -- customer portal ---------------------------------------------------------------------

    def create_portal_session(self, customer: str, return_url: str | None = None) -> PortalSession:
        """Open the customer portal for ``customer`` (``cus_…``): send them to the ``url``.

        ``return_url`` (absolute http(s)) is where the portal's "Return to …" link leads. A
        malformed id or URL raises :class:`~checkoutkit.exceptions.StripeInvalidRequestError`
        before any request; Stripe's own errors are mapped as for the other calls.
        """
        params = cast("PortalParams", portal_params(customer, return_url))
        with self._errors():
            obj = self._client.v1.billing_portal.sessions.create(params=params)
        return PortalSession.from_dict(_plain(obj))

    async def create_portal_session_async(
        self, customer: str, return_url: str | None = None
    ) -> PortalSession:
        """Async twin of :meth:`create_portal_session`."""
        params = cast("PortalParams", portal_params(customer, return_url))
        sessions = self._client.v1.billing_portal.sessions
        obj = await self._await(lambda: sessions.create_async(params=params))
        return PortalSession.from_dict(_plain(obj))

    # -- internals ---------------------------------------------------------------------------

    def _prepare(
        self,
        session: SessionBuilder | Mapping[str, Any],
        idempotency_key: str | None,
        idempotency_scope: str | None,
    ) -> tuple[dict[str, Any], str]:
        if idempotency_key is not None and idempotency_scope is not None:
            raise ConfigurationError("pass idempotency_key or idempotency_scope, not both")
        params = _validated_params(session)
        if idempotency_key is None:
            key = derive_idempotency_key(params, scope=idempotency_scope)
        else:
            if not 0 < len(idempotency_key) <= 255:
                raise ConfigurationError("idempotency_key must be 1 to 255 characters long")
            key = idempotency_key
        return params, key

    def _created(self, obj: Any, key: str) -> CheckoutSession:
        view = _view(obj)
        _log.info("created checkout session %s (idempotency key %s)", view.id, key)
        return view

    @contextmanager
    def _errors(self) -> Iterator[None]:
        import stripe

        try:
            yield
        except stripe.StripeError as exc:
            self._raise_wrapped(exc)

    async def _await(self, call: Callable[[], Awaitable[_T]]) -> _T:
        import stripe

        try:
            return await call()
        except stripe.StripeError as exc:
            self._raise_wrapped(exc)
        except ImportError as exc:
            raise MissingDependencyError(
                "async calls need an async HTTP client for the stripe SDK: "
                "pip install 'checkoutkit[async]'"
            ) from exc

    def _raise_wrapped(self, exc: Exception) -> NoReturn:
        settings = None if self._network is None else self._network.describe()
        wrapped = wrap_stripe_error(exc, self._key, api_base=self._api_base, settings=settings)
        if isinstance(wrapped, StripeConnectionError):
            _log.info("%s [%s]", wrapped, wrapped.code)
        else:
            _log.info(
                "stripe answered %s (http_status=%s, code=%s, param=%s, request_id=%s)",
                type(wrapped).__name__,
                wrapped.http_status,
                wrapped.code,
                wrapped.param,
                wrapped.request_id,
            )
        if self._key is not None and self._key in full_text(exc):
            raise wrapped from None
        raise wrapped from exc


def derive_idempotency_key(params: Mapping[str, Any], *, scope: str | None = None) -> str:
    """The idempotency key ``create`` sends by default: a hash of the canonical parameters.

    Key order does not matter; any change to a value (or to ``scope``) gives another key.
    """
    canonical = json.dumps(
        params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    digest = hashlib.sha256(_KEY_VERSION)
    digest.update(b"\0scope\0" + (scope or "").encode())
    digest.update(b"\0params\0" + canonical.encode())
    return "checkoutkit-" + digest.hexdigest()


def _validated_params(session: SessionBuilder | Mapping[str, Any]) -> dict[str, Any]:
    from checkoutkit._builder import SessionBuilder

    given: object = session  # typed callers pass one of the two; others get a clear error
    if isinstance(given, SessionBuilder):
        return dict(given.build())  # build() validates and raises InvalidSessionError
    if not isinstance(given, Mapping):
        message = f"expected a SessionBuilder or a params mapping, not {type(given).__name__}"
        raise InvalidSessionError([Problem("", "invalid_type", message)])
    from checkoutkit._rules import validate_session_params

    params = dict(given)
    problems = validate_session_params(params)
    if problems:
        raise InvalidSessionError(problems)
    return params


def _session_id(session: str | CheckoutSession) -> str:
    session_id = session.id if isinstance(session, CheckoutSession) else session
    if not isinstance(session_id, str) or not session_id.strip() or "/" in session_id:
        raise StripeInvalidRequestError(
            f"a Checkout Session id (cs_…) is required, got {session_id!r}", param="id"
        )
    return session_id


def _view(obj: Any) -> CheckoutSession:
    return CheckoutSession.from_dict(_plain(obj))


def _plain(obj: Any) -> dict[str, Any]:
    """The object as the JSON Stripe answered (already parsed by the SDK), else ``to_dict()``."""
    data = getattr(getattr(obj, "last_response", None), "data", None)
    if isinstance(data, dict) and data.get("id") == getattr(obj, "id", None):
        return data
    plain: dict[str, Any] = obj.to_dict()
    return plain


def _intent_to_capture(view: CheckoutSession) -> str:
    if view.payment_intent is None:
        raise StripeInvalidRequestError(
            f"Checkout Session {view.id} has no PaymentIntent to capture "
            f"(mode={view.mode}, status={view.status})",
            param="payment_intent",
        )
    return view.payment_intent


def _capture_args(intent: str, amount: int | None, idempotency_key: str | None) -> tuple[Any, Any]:
    params: dict[str, Any] = {}
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise StripeInvalidRequestError(
                f"amount_to_capture must be a positive integer, got {amount!r}",
                param="amount_to_capture",
            )
        params["amount_to_capture"] = amount
    options: dict[str, Any] = {}
    if idempotency_key is not None:
        options["idempotency_key"] = idempotency_key
    return params, options
