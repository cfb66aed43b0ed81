"""A framework-neutral webhook router: verify, parse, dedupe, dispatch, answer.

``WebhookRouter.handle(body, headers)`` takes the raw request body and headers and returns a
``WebhookResponse`` whose status tells Stripe whether to retry:

====================================================  ======  ==========================
situation                                             status  Stripe
====================================================  ======  ==========================
body larger than ``max_body_bytes`` (before any HMAC)   413   retries, then gives up
missing or bad signature (detail in the log only)       400   retries, then gives up
signed, but not JSON / not an event                     400   retries, then gives up
a handler raised ``WebhookPayloadError`` (malformed      400   retries, then gives up
``data.object``; recorded as failed)
no handler for the type (and no fallback)               200   done
handled                                                 200   done
a handler raised ``PermanentFailure`` (recorded)        200   done
already processed (handlers not run)                    200   done
another worker is processing it right now               409   retries later
a handler raised ``RetryLater`` (its work is busy)       409   retries later
a handler raised (claim released, not processed)        500   retries later
the event store failed                                  503   retries later
====================================================  ======  ==========================
"""

from __future__ import annotations

import fnmatch
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from checkoutkit._event_types import checked_pattern, pinned_api_version
from checkoutkit._events import Event
from checkoutkit._once import is_transactional, run_once, run_once_async
from checkoutkit._replies import (
    DUPLICATE,
    HANDLED,
    IGNORED,
    TOO_LARGE,
    Reply,
    WebhookResponse,
    answer,
    bad_payload,
    bad_signature,
    failed,
    logger,
)
from checkoutkit._signature import DEFAULT_TOLERANCE, SignatureVerifier, WebhookSecrets
from checkoutkit.exceptions import (
    ConfigurationError,
    SignatureVerificationError,
)
from checkoutkit.stores import AsyncEventStore, ClaimOutcome, EventStore

if TYPE_CHECKING:
    pass

__all__ = ["Handler", "Reply", "WebhookResponse", "WebhookRouter"]

Handler = Callable[[Event], Any]
"""A webhook handler: ``def handler(event: Event) -> None`` or ``async def``."""
H = TypeVar("H", bound=Handler)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_LEASE = 60.0
_SIGNATURE_HEADER = "stripe-signature"
_DONE = ClaimOutcome.DONE


class _Registration:
    __slots__ = ("deduplicates", "handler", "is_async", "pattern", "transactional")

    def __init__(
        self,
        pattern: str,
        handler: Handler,
        is_async: bool,
        *,
        deduplicates: bool = False,
        transactional: bool = False,
    ) -> None:
        self.pattern = pattern
        self.handler = handler
        self.is_async = is_async
        # The handler guards its own work against running twice (Checkout's paid-event handler
        # claims fulfil:<session id>) and returns ClaimOutcome.DONE when it found it done.
        self.deduplicates = deduplicates
        # The handler runs in the store's transaction and gets its handle as a second argument.
        self.transactional = transactional

    def call(self, event: Event, handle: object) -> Any:
        if self.transactional:
            return self.handler(event, handle)  # type: ignore[call-arg]
        return self.handler(event)


class WebhookRouter:
    """Receives Stripe webhooks: fail-closed signature check, exactly-once dispatch via a store.

    ``secrets`` is one ``whsec_…`` secret, several, or a mapping of name to secret (rotation,
    Connect and account endpoints). ``store`` is an :class:`~checkoutkit.stores.EventStore` or
    :class:`~checkoutkit.stores.AsyncEventStore` that makes each event run once; pass ``store=None``
    explicitly to run handlers on every delivery (they must then be idempotent themselves).
    ``lease`` is how long a worker may hold an event before another may take it over;
    ``store_payload`` keeps the raw body in the store for replay. ``clock`` returns Unix time
    (for the signature's tolerance); ``json_loads`` defaults to orjson when installed.
    """

    def __init__(
        self,
        *,
        secrets: WebhookSecrets,
        store: EventStore | AsyncEventStore | None,
        tolerance: float = DEFAULT_TOLERANCE,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        lease: float = DEFAULT_LEASE,
        store_payload: bool = False,
        clock: Callable[[], float] = time.time,
        json_loads: Callable[[bytes], Any] | None = None,
    ) -> None:
        self._verifier = SignatureVerifier(secrets, tolerance=tolerance, clock=clock)
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
            raise ConfigurationError("max_body_bytes must be an int")
        if max_body_bytes <= 0:
            raise ConfigurationError(f"max_body_bytes must be positive, not {max_body_bytes}")
        if (
            isinstance(lease, bool)
            or not isinstance(lease, (int, float))
            or not 0 < lease < float("inf")
        ):
            raise ConfigurationError(f"lease must be a positive number of seconds, not {lease!r}")
        if store is not None and not callable(getattr(store, "claim", None)):
            raise ConfigurationError(
                f"store must implement the EventStore protocol; {type(store).__name__} does not"
            )
        self._store = store
        self._async_store = store is not None and inspect.iscoroutinefunction(store.claim)
        self._max_body = max_body_bytes
        self._lease = float(lease)
        self._store_payload = bool(store_payload)
        self._loads = json_loads if json_loads is not None else _default_loads()
        self._registrations: list[_Registration] = []
        self._fallback: _Registration | None = None
        self._dispatch: dict[str, tuple[_Registration, ...]] = {}
        # Event types whose handlers all deduplicate their own work: no claim of the event
        # (two store writes fewer per event) unless payloads are kept for replay.
        self._unclaimed: set[str] = set()
        self._pinned_api_version = pinned_api_version()
        self._api_versions_seen: set[str] = {self._pinned_api_version}

    @property
    def verifier(self) -> SignatureVerifier:
        """The signature verifier (secrets and tolerance) this router uses."""
        return self._verifier

    @property
    def max_body_bytes(self) -> int:
        """The largest body accepted, in bytes; the adapters answer 413 to larger ones unread."""
        return self._max_body

    @property
    def store(self) -> EventStore | AsyncEventStore | None:
        """The event store, or None when every delivery runs the handlers."""
        return self._store

    # -- registration ------------------------------------------------------------------------

    def on(
        self, *event_types: str, deduplicates: bool = False, transactional: bool = False
    ) -> Callable[[H], H]:
        """Register the decorated function for one or more event types.

        A type may be exact (``checkout.session.completed``), a wildcard
        (``checkout.session.*``) or ``*``. Each is checked against the event types of the
        installed stripe SDK: a typo raises :class:`~checkoutkit.UnknownEventTypeError` here,
        with a suggestion, rather than never firing. Handlers may be sync or ``async``.

        ``deduplicates=True`` declares a handler that never does its work twice by itself: it
        claims a key of its own in the store (``Checkout`` claims ``fulfil:<session id>``,
        shared with the success page) and returns ``ClaimOutcome.DONE`` when it found the work
        already done. When every handler of an event type is one, the router takes no claim on
        the event (unless it keeps payloads for replay) and answers ``duplicate`` when they all
        found their work done.

        ``transactional=True`` (on a :class:`~checkoutkit.stores.TransactionalEventStore`)
        runs the handlers of the event inside the store's database transaction, which records
        the event as handled when it commits: ``handler(event, handle)`` gets the transaction's
        handle (a SQLAlchemy ``Session``; for Django, the database alias, whose ORM writes join
        the transaction by themselves), and its writes commit exactly when the event is
        recorded, or roll back with it. A transactional handler must match the store: plain on
        a sync store, ``async`` on an async one.
        """
        if not event_types:
            raise ConfigurationError("on() needs at least one event type")
        if not isinstance(deduplicates, bool):
            raise ConfigurationError("deduplicates must be True or False")
        if not isinstance(transactional, bool):
            raise ConfigurationError("transactional must be True or False")
        if transactional and not is_transactional(self._store):
            raise ConfigurationError(
                "transactional=True needs a transactional event store (DjangoStore, "
                "SqlAlchemyStore, AsyncSqlAlchemyStore)"
            )
        if transactional and deduplicates:
            raise ConfigurationError("a handler is either transactional or deduplicates itself")
        return self._on(event_types, deduplicates=deduplicates, transactional=transactional)

    def _on(
        self, event_types: tuple[str, ...], *, deduplicates: bool, transactional: bool = False
    ) -> Callable[[H], H]:
        patterns = [checked_pattern(t) for t in event_types]

        def register(handler: H) -> H:
            is_async = _is_async(handler)
            if transactional and is_async != self._async_store:
                kind = "async def" if self._async_store else "plain (def)"
                raise ConfigurationError(
                    f"a transactional handler on this store must be a {kind} function: it "
                    "runs in the store's transaction"
                )
            for pattern in patterns:
                self._registrations.append(
                    _Registration(
                        pattern,
                        handler,
                        is_async,
                        deduplicates=deduplicates,
                        transactional=transactional,
                    )
                )
            self._dispatch.clear()
            self._unclaimed.clear()
            return handler

        return register

    def fallback(self, handler: H) -> H:
        """Register the handler for events no other handler matches (default: answer 200)."""
        if not callable(handler):
            raise ConfigurationError("fallback() decorates a function")
        self._fallback = _Registration("", handler, _is_async(handler))
        self._dispatch.clear()
        self._unclaimed.clear()
        return handler

    def handlers_for(self, event_type: str) -> tuple[Handler, ...]:
        """The handlers that run for ``event_type``, in order."""
        return tuple(r.handler for r in self._registrations_for(event_type))

    def _registrations_for(self, event_type: str) -> tuple[_Registration, ...]:
        found = self._dispatch.get(event_type)
        if found is None:
            matching: dict[int, _Registration] = {}  # a handler runs once, however many match
            for r in self._registrations:
                if r.pattern == event_type or fnmatch.fnmatchcase(event_type, r.pattern):
                    matching.setdefault(id(r.handler), r)
            found = tuple(matching.values())
            if not found and self._fallback is not None:
                found = (self._fallback,)
            if found and not self._store_payload and all(r.deduplicates for r in found):
                self._unclaimed.add(event_type)
            self._dispatch[event_type] = found
        return found

    # -- handling ----------------------------------------------------------------------------

    def handle(self, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """Handle one webhook request: ``body`` is the raw request body, unparsed.

        Never raises for bad input: the status of the returned response says what happened.
        Async handlers (and an async store) run in a fresh event loop; in async code, use
        :meth:`handle_async`.
        """
        if self._async_store:
            response: WebhookResponse = _run(self.handle_async(body, headers))
            return response
        body = _as_body(body)
        prepared = self._prepare(body, headers)
        if isinstance(prepared, WebhookResponse):
            return prepared
        return self._process(body, *prepared)

    async def handle_async(self, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """The ``async`` twin of :meth:`handle`: awaits async handlers and an async store.

        Sync handlers and a sync store are called directly (keep them quick).
        """
        body = _as_body(body)
        prepared = self._prepare(body, headers)
        if isinstance(prepared, WebhookResponse):
            return prepared
        return await self._process_async(body, *prepared)

    def dispatch_payload(self, payload: bytes) -> WebhookResponse:
        """Run a **trusted** event body through the handlers, without checking a signature.

        For replaying payloads read back from this router's own event store (``checkoutkit
        replay``): the store's exactly-once rules apply as for a delivery, so an event that
        succeeded (or failed permanently) is answered ``duplicate`` and not run again. Never pass
        it a body received over the network: that is what :meth:`handle` is for.
        """
        if self._async_store:
            response: WebhookResponse = _run(self.dispatch_payload_async(payload))
            return response
        body = _as_body(payload)
        prepared = self._prepare(body, {}, verify=False)
        if isinstance(prepared, WebhookResponse):
            return prepared
        return self._process(body, *prepared)

    async def dispatch_payload_async(self, payload: bytes) -> WebhookResponse:
        """The ``async`` twin of :meth:`dispatch_payload` (trusted payloads only)."""
        body = _as_body(payload)
        prepared = self._prepare(body, {}, verify=False)
        if isinstance(prepared, WebhookResponse):
            return prepared
        return await self._process_async(body, *prepared)

    def _prepare(
        self, body: bytes, headers: Mapping[str, str], *, verify: bool = True
    ) -> WebhookResponse | tuple[Event, tuple[_Registration, ...]]:
        """Check size and signature, parse, and find the handlers (or answer right away)."""
        if len(body) > self._max_body:
            return self._too_large(body)
        if verify:
            try:
                self._verifier.verify(body, _signature_header(headers))
            except SignatureVerificationError as error:
                return bad_signature(error)
        try:
            event = Event.from_dict(self._loads(body))
        except (ValueError, TypeError, RecursionError) as error:
            return bad_payload(error)
        version = event.api_version
        if version is not None and version not in self._api_versions_seen:
            self._note_api_version(version)
        registrations = self._registrations_for(event.type)
        if not registrations:
            return IGNORED
        return event, registrations

    def _claims(self, event_type: str) -> bool:
        """True when the event itself is claimed in the store before its handlers run."""
        return self._store is not None and event_type not in self._unclaimed

    def _process(
        self, body: bytes, event: Event, registrations: tuple[_Registration, ...]
    ) -> WebhookResponse:
        """Claim (unless the handlers deduplicate themselves), run the handlers, record."""
        try:
            if self._claims(event.type):
                outcome, _ = run_once(
                    self._store,
                    event.id,
                    type=event.type,
                    lease=self._lease,
                    payload=body if self._store_payload else None,
                    work=lambda handle: _run_handlers(event, registrations, handle),
                    transactional=_transactional(registrations),
                )
                return answer(outcome)
            done = _run_handlers(event, registrations, None)
        except Exception as error:
            return failed(event, error)
        return self._answer_unclaimed(event, registrations, done)

    async def _process_async(
        self, body: bytes, event: Event, registrations: tuple[_Registration, ...]
    ) -> WebhookResponse:
        """The ``async`` twin of :meth:`_process`."""
        try:
            if self._claims(event.type):
                transactional = _transactional(registrations)
                # A sync store's transaction lives in one thread: the handlers run there.
                in_thread = transactional and not self._async_store
                outcome, _ = await run_once_async(
                    self._store,
                    event.id,
                    type=event.type,
                    lease=self._lease,
                    payload=body if self._store_payload else None,
                    work=None
                    if in_thread
                    else (lambda handle: _run_handlers_async(event, registrations, handle)),
                    blocking=(lambda handle: _run_handlers(event, registrations, handle))
                    if in_thread
                    else None,
                    transactional=transactional,
                )
                return answer(outcome)
            done = await _run_handlers_async(event, registrations, None)
        except Exception as error:
            return failed(event, error)
        return self._answer_unclaimed(event, registrations, done)

    def _answer_unclaimed(
        self, event: Event, registrations: tuple[_Registration, ...], done: int
    ) -> WebhookResponse:
        """``duplicate`` when every self-deduplicating handler found its work done."""
        if done == len(registrations) and event.type in self._unclaimed:
            return DUPLICATE
        return HANDLED

    def _too_large(self, body: bytes) -> WebhookResponse:
        logger().warning(
            "webhook refused: body of %d bytes exceeds max_body_bytes=%d",
            len(body),
            self._max_body,
        )
        return TOO_LARGE

    def _note_api_version(self, version: str) -> None:
        self._api_versions_seen.add(version)
        logger().warning(
            "webhook events arrive with API version %s but the stripe SDK is pinned to %s: "
            "fields may differ from the SDK's types; set the endpoint's API version to match "
            "(logged once per version)",
            version,
            self._pinned_api_version,
        )


def _transactional(registrations: tuple[_Registration, ...]) -> bool:
    """True when the event's handlers run in the store's transaction (one of them asked)."""
    return any(r.transactional for r in registrations)


def _run_handlers(
    event: Event, registrations: tuple[_Registration, ...], handle: object = None
) -> int:
    """Run the handlers in order; how many found their work already done."""
    done = 0
    for registration in registrations:
        if registration.is_async:
            result = _run(registration.call(event, handle))
        else:
            result = registration.call(event, handle)
            if inspect.isawaitable(result):
                _refuse_awaitable(result)
        if result is _DONE:
            done += 1
    return done


async def _run_handlers_async(
    event: Event, registrations: tuple[_Registration, ...], handle: object = None
) -> int:
    """The ``async`` twin of :func:`_run_handlers`."""
    done = 0
    for registration in registrations:
        result = registration.call(event, handle)
        if registration.is_async or inspect.isawaitable(result):
            result = await result
        if result is _DONE:
            done += 1
    return done


def _refuse_awaitable(result: object) -> None:
    """A plain handler returned something to await: handle() cannot, so the event fails."""
    _close_and_refuse(
        result,
        "a handler returned an awaitable (it was called inside a running event loop): "
        "use 'await router.handle_async(body, headers)' there",
    )


def _close_and_refuse(awaitable: object, message: str) -> None:
    """Close an awaitable the sync path cannot run (no 'never awaited' warning), then raise."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
    raise ConfigurationError(message)


def _as_body(body: object) -> bytes:
    if type(body) is bytes:
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError(f"body must be the raw request body (bytes), not {type(body).__name__}")


def _signature_header(headers: Mapping[str, str]) -> str | None:
    """The ``Stripe-Signature`` header, whatever its case (werkzeug, ASGI, plain dicts)."""
    value = headers.get("Stripe-Signature")
    if value is None:
        value = headers.get(_SIGNATURE_HEADER)
        if value is None:
            for key, candidate in headers.items():
                if isinstance(key, str) and key.lower() == _SIGNATURE_HEADER:
                    return candidate
    return value


def _is_async(handler: Callable[..., Any]) -> bool:
    if not callable(handler):
        raise ConfigurationError(f"a handler must be callable, not {type(handler).__name__}")
    call = getattr(handler, "__call__", None)  # noqa: B004 (an object with async __call__)
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)


def _run(awaitable: Awaitable[Any]) -> Any:
    """Run an async handler (or store call) to completion from sync code."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        _close_and_refuse(
            awaitable,
            "an async handler or store cannot run from the sync handle() inside a running "
            "event loop; use 'await router.handle_async(body, headers)'",
        )

    async def wait() -> Any:
        return await awaitable

    return asyncio.run(wait())


def _default_loads() -> Callable[[bytes], Any]:
    try:
        import orjson
    except ImportError:
        import json

        return json.loads
    loads: Callable[[bytes], Any] = orjson.loads
    return loads
