"""The checkout flow: create a session for a request, and fulfil each paid session exactly once.

:class:`Checkout` is framework-neutral. The adapters in :mod:`checkoutkit.adapters` only turn a
framework's request into what it takes and its answers into the framework's response.
"""

from __future__ import annotations

import enum
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import attrs

from checkoutkit._callbacks import (
    call_async,
    call_sync,
    in_event_loop,
    is_coroutine_function,
    with_handle,
)
from checkoutkit._events import CheckoutSession, Event
from checkoutkit._once import describe, is_transactional, run_once, run_once_async
from checkoutkit._problems import Problem
from checkoutkit._rules import is_web_url
from checkoutkit.exceptions import (
    ConfigurationError,
    FulfilmentError,
    InvalidSessionError,
    RetryLater,
    StoreError,
    WebhookPayloadError,
)
from checkoutkit.stores import ClaimOutcome, EventStatus

if TYPE_CHECKING:
    from checkoutkit._builder import SessionBuilder
    from checkoutkit._events import PortalSession
    from checkoutkit._router import WebhookRouter
    from checkoutkit.stores import AsyncEventStore, EventRecord, EventStore

__all__ = [
    "ORIGIN_KEY",
    "Checkout",
    "CheckoutRequest",
    "FulfilOutcome",
    "check_session_id",
]

_log = logging.getLogger("checkoutkit.checkout")
_T = TypeVar("_T")

_SESSION_ID = re.compile(r"cs_(?:test|live)_[A-Za-z0-9]{1,240}")

#: The template Stripe replaces with the session id when it redirects to the success URL.
SESSION_ID_TEMPLATE = "{CHECKOUT_SESSION_ID}"

PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
FAILED_EVENT = "checkout.session.async_payment_failed"
EXPIRED_EVENT = "checkout.session.expired"


class FulfilOutcome(enum.Enum):
    """What one call to :meth:`Checkout.fulfil` did."""

    FULFILLED = "fulfilled"
    """This call ran the fulfil callback, and it returned."""
    ALREADY_FULFILLED = "already_fulfilled"
    """An earlier call fulfilled the session: nothing was done."""
    IN_PROGRESS = "in_progress"
    """Another call is fulfilling the session right now: nothing was done."""
    NOT_PAID = "not_paid"
    """The session is not paid (yet): a delayed payment may still succeed. Nothing was done."""
    FOREIGN = "foreign"
    """The session was not created through this ``Checkout`` (it lacks the origin marker in its
    metadata) and ``accept_session`` did not accept it: nothing was done."""
    NO_CALLBACK = "no_callback"
    """A completed setup-mode session, and no ``on_setup`` callback: nothing was done."""


@attrs.frozen
class CheckoutRequest:
    """What the create endpoint knows of an incoming request, whatever the framework.

    ``form`` holds the fields of a form-encoded or JSON object body, ``headers`` the request
    headers and ``native`` the framework's own request object (for the signed-in user, a cart
    in the session, …). ``success_url`` and ``cancel_url`` are the URLs :class:`Checkout` puts
    on the session when the builder has none.
    """

    form: Mapping[str, str]
    headers: Mapping[str, str]
    success_url: str
    cancel_url: str
    native: Any = None


class _Gateway(Protocol):
    def create(self, session: Any, *, idempotency_key: str | None = None) -> CheckoutSession: ...

    def retrieve(self, session: str) -> CheckoutSession: ...

    async def create_async(
        self, session: Any, *, idempotency_key: str | None = None
    ) -> CheckoutSession: ...

    async def retrieve_async(self, session: str) -> CheckoutSession: ...

    def create_portal_session(self, customer: str, return_url: str | None) -> PortalSession: ...

    async def create_portal_session_async(
        self, customer: str, return_url: str | None
    ) -> PortalSession: ...


BuildSession = Callable[[CheckoutRequest], "SessionBuilder | Mapping[str, Any]"]
SessionCallback = Callable[[CheckoutSession], "Awaitable[None] | None"]


def check_session_id(session_id: object) -> str:
    """Return ``session_id`` if it has the shape of a Checkout Session id, else raise.

    Raises :class:`~checkoutkit.InvalidSessionError` (a ``ValueError``) for anything that is
    not ``cs_test_``/``cs_live_`` followed by letters and digits, before any call to Stripe.
    """
    if isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id):
        return session_id
    raise InvalidSessionError(
        [
            Problem(
                "session_id",
                "session_id_format",
                "a Checkout Session id looks like cs_test_… or cs_live_… (letters and digits)",
            )
        ]
    )


def _base_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL without query, got {value!r}"
        )
    return value.rstrip("/")


@attrs.define(eq=False, repr=False)
class Checkout:
    """The Checkout flow of one application: create sessions, fulfil paid ones exactly once.

    ``build_session(request)`` returns the :class:`~checkoutkit.SessionBuilder` (or params) for a
    request to the create endpoint. ``fulfil(session)`` delivers the order; it runs once per
    session however many times and from wherever fulfilment is asked for — the success page,
    ``checkout.session.completed``, ``checkout.session.async_payment_succeeded``, duplicates and
    concurrent calls — guarded by a claim on ``fulfil:<session id>`` in ``store``. While it runs,
    the claim's lease is renewed; once it returned, recording that is retried through a store
    hiccup, so it does not run again. If it raises, the claim is released and the next attempt
    (Stripe's redelivery of the event) runs it again. ``on_payment_failed`` runs for
    ``checkout.session.async_payment_failed`` and ``on_expired`` for
    ``checkout.session.expired``; neither ever fulfils.

    Only sessions this ``Checkout`` created are fulfilled: their metadata carries
    ``checkoutkit_origin`` set to ``origin``. Sessions created elsewhere on the account (Payment
    Links, the Dashboard, another service) are left alone unless ``accept_session(session)``
    returns True for them. A completed ``mode=setup`` session runs ``on_setup`` (once, like
    ``fulfil``) and never ``fulfil``.

    Callbacks may be plain or ``async`` functions; plain ones also work on the async paths,
    where they run in a worker thread (``asyncio.to_thread``) so that a blocking callback never
    stalls the event loop. When every plain callback is quick and never blocks (no network, no
    disk, no locks held long), pass ``blocking_callbacks=False`` to call them on the event loop
    directly and save the thread hop per event; ``async`` callbacks never hop.

    Success and cancel URLs are built from ``base_url``, the public URL where the endpoints
    are mounted (``https://shop.example/checkout``). Without it, the request's own host is used
    only when it is one of ``allowed_hosts`` (``"shop.example"``, ``"127.0.0.1:4242"``: with the
    port when there is one); the Host header is never trusted otherwise.

    ``portal_customer(request)`` turns on the portal endpoint: it returns the Stripe customer
    (``cus_…``) of the signed-in user from the :class:`CheckoutRequest` (its ``native`` request:
    a session cookie, the application's login), or None when there is none. Never read it
    from a form field: the client controls those. ``portal_return_url`` is where the portal
    leads back to (the site's root by default).

    Creating the object registers handlers for the four ``checkout.session.*`` events on
    ``router``.
    """

    gateway: _Gateway
    router: WebhookRouter
    store: EventStore | AsyncEventStore
    build_session: BuildSession
    fulfil_callback: SessionCallback = attrs.field(alias="fulfil")
    on_payment_failed: SessionCallback | None = None
    on_expired: SessionCallback | None = None
    on_setup: SessionCallback | None = None
    accept_session: Callable[[CheckoutSession], bool] | None = None
    origin: str = "checkoutkit"
    base_url: str | None = attrs.field(default=None)
    allowed_hosts: Sequence[str] = attrs.field(default=(), converter=tuple)
    success_page: Callable[[CheckoutSession | None, FulfilOutcome | None], str] | None = None
    cancel_page: Callable[[], str] | None = None
    portal_customer: Callable[[CheckoutRequest], str | None] | None = None
    portal_return_url: str | None = attrs.field(default=None)
    lease: float = 60.0
    blocking_callbacks: bool = True
    _async_store: bool = attrs.field(init=False, default=False)
    _sync_transactions: bool = attrs.field(init=False, default=False)

    def __attrs_post_init__(self) -> None:
        if self.base_url is not None:
            self.base_url = _base_url(self.base_url)
        elif not self.allowed_hosts:
            raise ConfigurationError(
                "Checkout needs base_url (the public URL of its endpoints) or allowed_hosts"
            )
        if self.portal_return_url is not None and not is_web_url(self.portal_return_url):
            raise ConfigurationError("portal_return_url must be an absolute http(s) URL")
        if self.lease <= 0:
            raise ConfigurationError("lease must be positive")
        if not isinstance(self.blocking_callbacks, bool):
            raise ConfigurationError("blocking_callbacks must be True or False")
        if not isinstance(self.origin, str) or not 0 < len(self.origin) <= _MAX_METADATA_VALUE:
            raise ConfigurationError(
                f"origin must be a non-empty string of at most {_MAX_METADATA_VALUE} characters"
            )
        if self.accept_session is not None and not callable(self.accept_session):
            raise ConfigurationError("accept_session must be a function of the session")
        for name in ("claim", "complete", "release"):
            if not callable(getattr(self.store, name, None)):
                raise ConfigurationError(f"store must be an event store (it has no {name}())")
        self._async_store = inspect.iscoroutinefunction(self.store.claim)
        self._sync_transactions = is_transactional(self.store) and not self._async_store
        self._check_transactional_callbacks()
        self._register(self.router)

    def _check_transactional_callbacks(self) -> None:
        """A transactional store needs callbacks that can run in its transaction."""
        if not is_transactional(self.store):
            return
        for name, callback in (("fulfil", self.fulfil_callback), ("on_setup", self.on_setup)):
            if callback is None or is_coroutine_function(callback) == self._async_store:
                continue
            kind = "an async" if self._async_store else "a sync"
            wanted = "async def" if self._async_store else "plain (def)"
            raise ConfigurationError(
                f"{name} must be a {wanted} function: it runs in the transaction of {kind} "
                "transactional store"
            )

    def __repr__(self) -> str:
        return f"Checkout(base_url={self.base_url!r}, allowed_hosts={self.allowed_hosts!r})"

    # -- URLs ------------------------------------------------------------------------------

    def urls_for(self, request_root: str) -> tuple[str, str]:
        """The (success, cancel) URLs for a request whose endpoints live at ``request_root``.

        ``request_root`` (scheme, host and mount path, as the request arrived) is used only when
        no ``base_url`` is configured, and only if its host is in ``allowed_hosts``; otherwise
        :class:`~checkoutkit.ConfigurationError` is raised (the adapters answer 400).
        """
        root = self.base_url
        if root is None:
            from urllib.parse import urlsplit

            parts = urlsplit(request_root)
            if parts.scheme not in ("http", "https") or parts.netloc not in self.allowed_hosts:
                raise ConfigurationError(f"host {parts.netloc!r} is not in allowed_hosts")
            root = request_root.rstrip("/")
        return f"{root}/success?session_id={SESSION_ID_TEMPLATE}", f"{root}/cancel"

    # -- create ----------------------------------------------------------------------------

    def session_params(self, request: CheckoutRequest) -> dict[str, Any]:
        """The session parameters for ``request``, with the flow's URLs where the app set none.

        A hosted session without ``success_url`` gets ``request.success_url`` (and
        ``cancel_url`` unless it has one); an embedded one without ``return_url`` gets the
        success URL as its ``return_url``. The metadata gets ``checkoutkit_origin``, which
        tells this ``Checkout`` that it created the session. A builder's params are validated
        (:class:`~checkoutkit.InvalidSessionError`); a dict is returned as it is.
        """
        session = self._session_for(request)
        return dict(session) if isinstance(session, Mapping) else dict(session.build())

    def _session_for(self, request: CheckoutRequest) -> SessionBuilder | dict[str, Any]:
        """What the gateway creates for ``request``: it validates it, once."""
        from checkoutkit._builder import SessionBuilder

        built: object = self.build_session(request)
        if not isinstance(built, (SessionBuilder, Mapping)):
            build = getattr(built, "build", None)
            if not callable(build):
                raise ConfigurationError(
                    "build_session must return a SessionBuilder or a dict of params, "
                    f"not {type(built).__name__}"
                )
            built = build()  # another builder: its params, validated by the gateway too
        if isinstance(built, Mapping):
            params = dict(built)
            _complete_urls(params.get, params.__setitem__, request)
            metadata = params.get("metadata")
            params["metadata"] = {
                **(metadata if isinstance(metadata, Mapping) else {}),
                ORIGIN_KEY: self.origin,
            }
            return params
        builder: SessionBuilder = built  # type: ignore[assignment]

        def set_url(name: str, url: str) -> None:
            nonlocal builder
            builder = getattr(builder, name)(url)  # success_url(), cancel_url(), return_url()

        _complete_urls(builder.get, set_url, request)
        return builder.metadata({ORIGIN_KEY: self.origin})

    def create(self, request: CheckoutRequest, *, idempotency_key: str) -> CheckoutSession:
        """Create the Checkout Session for ``request`` through the gateway."""
        return self.gateway.create(self._session_for(request), idempotency_key=idempotency_key)

    async def create_async(
        self, request: CheckoutRequest, *, idempotency_key: str
    ) -> CheckoutSession:
        """Async twin of :meth:`create`."""
        session = self._session_for(request)
        return await self.gateway.create_async(session, idempotency_key=idempotency_key)

    # -- fulfil once -----------------------------------------------------------------------

    def created_here(self, session: CheckoutSession) -> bool:
        """True for a session this ``Checkout`` created, or one ``accept_session`` accepts."""
        if session.metadata.get(ORIGIN_KEY) == self.origin:
            return True
        return self.accept_session is not None and bool(self.accept_session(session))

    def fulfil(self, session_id: str) -> FulfilOutcome:
        """Retrieve the session and fulfil it if it is paid, exactly once per session.

        Checks the id's shape first (:class:`~checkoutkit.InvalidSessionError`), then retrieves
        the session through the gateway. Raises :class:`~checkoutkit.FulfilmentError` when the
        callback raised (the claim is released, so a later call runs it again), and
        :class:`~checkoutkit.StoreError` when the event store cannot be reached.
        """
        session = self.gateway.retrieve(check_session_id(session_id))
        return self.fulfil_session(session)

    async def fulfil_async(self, session_id: str) -> FulfilOutcome:
        """Async twin of :meth:`fulfil`."""
        session = await self.gateway.retrieve_async(check_session_id(session_id))
        return await self.fulfil_session_async(session)

    def fulfil_session(self, session: CheckoutSession) -> FulfilOutcome:
        """Fulfil an already retrieved (or signed, from a webhook) session exactly once."""
        callback = self._callback_for(session)
        if isinstance(callback, FulfilOutcome):
            return callback
        if self._async_store:
            raise ConfigurationError("an async store needs fulfil_async() / the async adapter")
        call = with_handle(callback)
        try:
            outcome, _ = run_once(
                self.store,
                _key(session.id),
                type=_TYPE,
                lease=self.lease,
                work=lambda handle: call_sync(call, session, handle),
                transactional=True,
            )
        except StoreError:
            raise
        except Exception as exc:
            raise FulfilmentError(f"fulfilling {session.id} failed: {describe(exc)}") from exc
        return _OUTCOMES[outcome]

    async def fulfil_session_async(self, session: CheckoutSession) -> FulfilOutcome:
        """Async twin of :meth:`fulfil_session`.

        Cancelling it while a plain callback runs in its worker thread keeps the claim until
        the callback has ended and its outcome is recorded; ``CancelledError`` propagates.
        """
        callback = self._callback_for(session)
        if isinstance(callback, FulfilOutcome):
            return callback
        call = with_handle(callback)
        plain = not is_coroutine_function(callback)
        # A sync transactional store's transaction lives in one thread: the callback's.
        in_thread = plain and (self.blocking_callbacks or self._sync_transactions)

        async def work(handle: object) -> None:
            result = call(session, handle)
            if inspect.isawaitable(result):
                await result

        def blocking(handle: object) -> None:
            call(session, handle)

        try:
            outcome, _ = await run_once_async(
                self.store,
                _key(session.id),
                type=_TYPE,
                lease=self.lease,
                work=None if in_thread else work,
                blocking=blocking if in_thread else None,
                transactional=True,
            )
        except StoreError:
            raise
        except Exception as exc:
            raise FulfilmentError(f"fulfilling {session.id} failed: {describe(exc)}") from exc
        return _OUTCOMES[outcome]

    def fulfilment_status(self, session_id: str) -> EventStatus | None:
        """Where fulfilment of ``session_id`` stands in the store (None: never attempted)."""
        if self._async_store:
            raise ConfigurationError("an async store needs the async API")
        store = cast("EventStore", self.store)  # not async: checked just above
        record: EventRecord | None = store.get(_key(check_session_id(session_id)))
        return None if record is None else record.status

    def _callback_for(self, session: CheckoutSession) -> SessionCallback | FulfilOutcome:
        """The callback to run once for ``session``, or why there is none."""
        if not self.created_here(session):
            return FulfilOutcome.FOREIGN
        if session.mode == "setup":
            if session.status != "complete":
                return FulfilOutcome.NOT_PAID
            return self.on_setup if self.on_setup is not None else FulfilOutcome.NO_CALLBACK
        if not session.is_paid:
            return FulfilOutcome.NOT_PAID
        return self.fulfil_callback

    # -- events ----------------------------------------------------------------------------

    def _register(self, router: WebhookRouter) -> None:
        on = getattr(router, "on", None)
        if not callable(on):
            raise ConfigurationError("router must be a checkoutkit.WebhookRouter")
        # Plain functions that return a coroutine when an event loop is running: the router's
        # handle() runs them synchronously, its handle_async() awaits what they return.
        # The paid events' handler claims fulfil:<session id> itself, so the router need not
        # claim the event as well (when it has no other handler for it).
        on(*PAID_EVENTS, deduplicates=True)(_dual(self._on_paid, self._on_paid_async))
        on(FAILED_EVENT)(_dual(self._on_failed, self._on_failed_async))
        on(EXPIRED_EVENT)(_dual(self._on_expired, self._on_expired_async))

    def _on_paid(self, event: Event) -> ClaimOutcome | None:
        session = _session_of(event)
        return self._paid_outcome(event, session, self.fulfil_session(session))

    async def _on_paid_async(self, event: Event) -> ClaimOutcome | None:
        session = _session_of(event)
        return self._paid_outcome(event, session, await self.fulfil_session_async(session))

    def _paid_outcome(
        self, event: Event, session: CheckoutSession, outcome: FulfilOutcome
    ) -> ClaimOutcome | None:
        """Log the outcome; ``DONE`` tells the router the delivery was a duplicate."""
        if outcome is FulfilOutcome.IN_PROGRESS:
            # A non-2xx makes Stripe deliver again later, when the other attempt has ended.
            raise RetryLater(f"fulfilment of {session.id} is in progress elsewhere")
        if outcome is FulfilOutcome.FOREIGN:
            _log.info(
                "%s for %s: not created through this Checkout (no %s=%s in its metadata); "
                "left alone",
                event.type,
                session.id,
                ORIGIN_KEY,
                self.origin,
            )
            return None
        _log.info("%s for %s: %s", event.type, session.id, outcome.value)
        return ClaimOutcome.DONE if outcome is FulfilOutcome.ALREADY_FULFILLED else None

    def _on_failed(self, event: Event) -> None:
        session = self._own_session(event, "delayed payment failed")
        if session is not None and self.on_payment_failed is not None:
            call_sync(self.on_payment_failed, session)

    async def _on_failed_async(self, event: Event) -> None:
        session = self._own_session(event, "delayed payment failed")
        if session is not None and self.on_payment_failed is not None:
            await call_async(self.on_payment_failed, session, blocking=self.blocking_callbacks)

    def _on_expired(self, event: Event) -> None:
        session = self._own_session(event, "checkout session expired")
        if session is not None and self.on_expired is not None:
            call_sync(self.on_expired, session)

    async def _on_expired_async(self, event: Event) -> None:
        session = self._own_session(event, "checkout session expired")
        if session is not None and self.on_expired is not None:
            await call_async(self.on_expired, session, blocking=self.blocking_callbacks)

    def _own_session(self, event: Event, what: str) -> CheckoutSession | None:
        """The event's session when this Checkout created it (else None, logged)."""
        session = _session_of(event)
        if not self.created_here(session):
            _log.info("%s for %s: not created through this Checkout; left alone", what, session.id)
            return None
        _log.info("%s for %s", what, session.id)
        return session


#: The metadata key whose value tells a ``Checkout`` that it created a session.
ORIGIN_KEY = "checkoutkit_origin"
_MAX_METADATA_VALUE = 500  # Stripe's limit on a metadata value
_TYPE = "fulfil"
_OUTCOMES = {
    ClaimOutcome.CLAIMED: FulfilOutcome.FULFILLED,
    ClaimOutcome.DONE: FulfilOutcome.ALREADY_FULFILLED,
    ClaimOutcome.BUSY: FulfilOutcome.IN_PROGRESS,
}


def _key(session_id: str) -> str:
    return f"fulfil:{session_id}"


def _session_of(event: Event) -> CheckoutSession:
    """The event's typed session; a malformed one raises :class:`WebhookPayloadError` (400)."""
    session = event.session
    if session is None:  # pragma: no cover - the router only routes checkout.session.* here
        raise WebhookPayloadError(f"event {event.id} carries no Checkout Session")
    return session


def _complete_urls(
    get: Callable[[str], Any], set_url: Callable[[str, str], object], request: CheckoutRequest
) -> None:
    """Give a session the flow's URLs where it has none of its own."""
    ui_mode = get("ui_mode") or "hosted_page"
    if ui_mode == "hosted_page":
        if get("success_url") is None:
            set_url("success_url", request.success_url)
        if get("cancel_url") is None:
            set_url("cancel_url", request.cancel_url)
    elif ui_mode == "embedded_page" and get("return_url") is None:
        set_url("return_url", request.success_url)


def _dual(
    sync: Callable[[Event], _T], async_: Callable[[Event], Awaitable[_T]]
) -> Callable[[Event], Awaitable[_T] | _T]:
    def handler(event: Event) -> Awaitable[_T] | _T:
        if in_event_loop():
            return async_(event)
        return sync(event)

    handler.__name__ = handler.__qualname__ = sync.__name__.lstrip("_")
    return handler
