"""The adapter contract: the four checkout endpoints, framework-neutral.

An adapter (``checkoutkit.adapters.flask``, ``.fastapi``, ``.django``, ``.litestar``, or one
of your own) mounts the routes of :data:`ROUTES` under a prefix, hands each endpoint the parts
of the request it names, and turns the :class:`Reply` it gets back into its framework's
response, copying status, body and headers and adding nothing. Status codes, headers, pages
and short error messages are all decided here, so every framework answers alike.

What the endpoints take:

- ``headers``: every request header, as a mapping whose lookups ignore case: the framework's
  own header object where it is a ``Mapping`` (Starlette's, Django's ``request.headers``,
  Litestar's), else a :class:`Headers` built from its pairs (werkzeug's). A plain ``dict``
  works too: a header the mapping does not find under its lower-case name is looked for
  among the keys, whatever their case. The same mapping reaches the application's
  ``build_session`` as :attr:`CheckoutRequest.headers <checkoutkit.CheckoutRequest.headers>`.
- ``length`` and ``chunks``: the ``Content-Length`` header (None when absent) and the request
  body as the server streams it, read lazily and bounded by :func:`read_body` (or
  :func:`read_body_async`): a declared length past the router's ``max_body_bytes`` is a 413
  before anything is read. Never read the body whole first.
- ``create_url``: the create endpoint's own absolute URL, without the query; the mounting
  prefix is taken from it when :class:`~checkoutkit.Checkout` has no ``base_url``.
- ``native``: the framework's request object, handed to the application's ``build_session``
  as :attr:`CheckoutRequest.native <checkoutkit.CheckoutRequest.native>`.

Every name here is public and stable; see the "Write an adapter" page of the documentation.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import AsyncIterable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

import attrs

from checkoutkit._checkout import CheckoutRequest, FulfilOutcome, check_session_id
from checkoutkit._portal import shop_root
from checkoutkit._replies import LOGGER_NAME as _WEBHOOK_LOGGER
from checkoutkit._replies import TOO_LARGE, Reply
from checkoutkit.adapters import _pages
from checkoutkit.adapters._body import (
    READ_CHUNK,
    BodyRefused,
    declared_length,
    read_body,
    read_body_async,
    server_reads_refused_bodies,
)
from checkoutkit.adapters._pages import default_cancel_page, default_success_page
from checkoutkit.adapters._requests import Headers, read_form, wants_json
from checkoutkit.adapters._requests import header as _header
from checkoutkit.exceptions import (
    ConfigurationError,
    FulfilmentError,
    InvalidSessionError,
    StoreError,
    StripeConnectionError,
    StripeError,
    StripeNotFoundError,
)

if TYPE_CHECKING:
    from checkoutkit._checkout import Checkout
    from checkoutkit._events import CheckoutSession

__all__ = [
    "CANCEL_PATH",
    "CONFIRM_RETRY_AFTER",
    "CREATE_PATH",
    "PORTAL_PATH",
    "READ_CHUNK",
    "ROUTES",
    "SUCCESS_PATH",
    "WEBHOOK_PATH",
    "BodyRefused",
    "Headers",
    "Reply",
    "Route",
    "cancel",
    "confirming_page",
    "create",
    "create_async",
    "declared_length",
    "default_cancel_page",
    "default_success_page",
    "mount_root",
    "portal",
    "portal_async",
    "read_body",
    "read_body_async",
    "read_form",
    "receive_webhook",
    "receive_webhook_async",
    "server_reads_refused_bodies",
    "success",
    "success_async",
    "wants_json",
    "webhook",
    "webhook_async",
]

_log = logging.getLogger("checkoutkit.checkout")
_webhook_log = logging.getLogger(_WEBHOOK_LOGGER)

CREATE_PATH = "create-checkout-session"
"""The create endpoint's path segment, under the adapter's mounting prefix."""
SUCCESS_PATH = "success"
"""The success page's path segment (``Checkout`` points Stripe's ``success_url`` here)."""
CANCEL_PATH = "cancel"
"""The cancel page's path segment (``Checkout`` points Stripe's ``cancel_url`` here)."""
WEBHOOK_PATH = "webhook"
"""The webhook endpoint's path segment: the URL to give Stripe is the prefix plus this."""
PORTAL_PATH = "create-portal-session"
"""The customer portal endpoint's path segment (``POST``: 303 to the portal)."""


@attrs.frozen
class Route:
    """One route an adapter mounts: the endpoint's ``name``, its HTTP ``method`` and ``path``.

    ``path`` is a segment under the mounting prefix, without slashes; serve it with and
    without a trailing slash, both as the endpoint itself (a redirect would drop a POST).
    """

    name: Literal["webhook", "create", "success", "cancel", "portal"]
    method: Literal["GET", "POST"]
    path: str


ROUTES: tuple[Route, ...] = (
    Route("webhook", "POST", WEBHOOK_PATH),
    Route("create", "POST", CREATE_PATH),
    Route("success", "GET", SUCCESS_PATH),
    Route("cancel", "GET", CANCEL_PATH),
    Route("portal", "POST", PORTAL_PATH),
)
"""The route table, busiest first: every adapter serves these five and nothing else.

``webhook`` → :func:`receive_webhook` (or its async twin), ``create`` → :func:`create`,
``success`` → :func:`success` with the ``session_id`` query parameter, ``cancel`` →
:func:`cancel`, ``portal`` → :func:`portal`. Other methods on these paths answer 405 (the
framework's own).
"""


_TEXT = "text/plain; charset=utf-8"
_HTML = "text/html; charset=utf-8"
_JSON = "application/json"
_MOUNT = re.compile(r"/create-(?:checkout|portal)-session/?$")


def _headers(content_type: str, *extra: tuple[str, str]) -> Mapping[str, str]:
    return MappingProxyType(
        {"content-type": content_type, "cache-control": "no-store", **dict(extra)}
    )


_TEXT_HEADERS = _headers(_TEXT)
_HTML_HEADERS = _headers(_HTML)
_JSON_HEADERS = _headers(_JSON)


def _text(status: int, message: str) -> Reply:
    return Reply(status, message.encode() + b"\n", _TEXT_HEADERS)


def _refused_create(refused: BodyRefused) -> Reply:
    _log.info("refused a checkout request: %s", refused.reason)
    if refused.status == 413:
        return _text(413, "request body too large")
    return _text(400, "unreadable request body")


def _refused_webhook(refused: BodyRefused) -> Reply:
    _webhook_log.warning("webhook refused: %s", refused.reason)
    if refused.status == 413:
        return TOO_LARGE
    return _UNREADABLE_WEBHOOK


def mount_root(create_url: str) -> str:
    """The URL where the endpoints are mounted, from the create (or portal) endpoint's URL."""
    return _MOUNT.sub("", create_url)


def _request(
    checkout: Checkout, body: bytes, headers: Mapping[str, str], create_url: str, native: Any
) -> CheckoutRequest | Reply:
    try:
        success_url, cancel_url = checkout.urls_for(mount_root(create_url))
    except ConfigurationError:
        return _text(400, "host not allowed")
    try:
        form = read_form(body, _header(headers, "content-type"))
    except ValueError:
        return _text(400, "malformed request body")
    return CheckoutRequest(form, headers, success_url, cancel_url, native)


def _created(session: CheckoutSession, headers: Mapping[str, str]) -> Reply:
    if session.url and not wants_json(_header(headers, "accept")):
        return Reply(303, b"", _headers(_TEXT, ("location", session.url)))
    payload = {"id": session.id, "url": session.url, "client_secret": session.client_secret}
    return Reply(200, json.dumps(payload).encode(), _JSON_HEADERS)


def _create_failed(exc: Exception, request: CheckoutRequest) -> Reply:
    if isinstance(exc, StripeError):
        # Stripe slow, down or refusing: a short page that leads back to the shop (a script
        # asking for JSON gets a line of text), the cause in the log.
        reachable = not isinstance(exc, StripeConnectionError)
        status = 502 if reachable else 503
        _log.warning("creating a checkout session failed, answering %d: %s", status, exc)
        if wants_json(_header(request.headers, "accept")):
            if reachable:
                return _text(502, "the payment provider refused or could not be reached")
            return _text(503, "the payment provider could not be reached; try again shortly")
        page = _pages.checkout_unavailable_page(request.cancel_url, reachable=reachable)
        return Reply(status, page.encode(), _HTML_HEADERS)
    if isinstance(exc, PermissionError):
        _log.info("refused a checkout request: %s", exc)
        return _text(403, "not allowed to check out")
    _log.info("refused a checkout request: %s", exc)
    return _text(400, "invalid checkout request")


def create(
    checkout: Checkout,
    *,
    length: str | None,
    chunks: Iterable[bytes],
    headers: Mapping[str, str],
    create_url: str,
    native: Any = None,
    discard_refused: bool = False,
) -> Reply:
    """``POST …/create-checkout-session``: 303 to the session's page, or JSON when asked.

    ``headers`` are all request headers (``Content-Type`` says how to read the form,
    ``Accept`` whether to answer JSON); ``create_url`` is this endpoint's absolute URL and
    ``native`` the framework's request (see the module's introduction). The body (``length``
    its ``Content-Length``, ``chunks`` its stream) is read up to the router's
    ``max_body_bytes``; a longer one is a 413 (see :func:`read_body` for ``discard_refused``).
    ``build_session`` may raise ``ValueError`` (400) or ``PermissionError`` (403) to refuse a
    request; Stripe out of reach is a 503 page leading back to the shop, another Stripe error
    a 502.
    """
    try:
        body = read_body(
            length, chunks, checkout.router.max_body_bytes, discard_refused=discard_refused
        )
    except BodyRefused as refused:
        return _refused_create(refused)
    request = _request(checkout, body, headers, create_url, native)
    if isinstance(request, Reply):
        return request
    try:
        session = checkout.create(request, idempotency_key=_idempotency_key())
    except (StripeError, ValueError, PermissionError) as exc:
        return _create_failed(exc, request)
    return _created(session, headers)


async def create_async(
    checkout: Checkout,
    *,
    length: str | None,
    chunks: AsyncIterable[bytes],
    headers: Mapping[str, str],
    create_url: str,
    native: Any = None,
) -> Reply:
    """Async twin of :func:`create`."""
    try:
        body = await read_body_async(length, chunks, checkout.router.max_body_bytes)
    except BodyRefused as refused:
        return _refused_create(refused)
    request = _request(checkout, body, headers, create_url, native)
    if isinstance(request, Reply):
        return request
    try:
        session = await checkout.create_async(request, idempotency_key=_idempotency_key())
    except (StripeError, ValueError, PermissionError) as exc:
        return _create_failed(exc, request)
    return _created(session, headers)


def portal(
    checkout: Checkout,
    *,
    length: str | None,
    chunks: Iterable[bytes],
    headers: Mapping[str, str],
    create_url: str,
    native: Any = None,
    discard_refused: bool = False,
) -> Reply:
    """``POST …/create-portal-session``: 303 to the customer portal, or ``{"url"}`` as JSON.

    Takes what :func:`create` takes (``create_url`` is this endpoint's own URL). The customer
    is the one the application's ``portal_customer(request)`` names, never one from the form:
    404 when the application set no ``portal_customer``, 403 when it returns None or raises
    ``PermissionError``, 400 for ``ValueError``; Stripe out of reach is a 503, another Stripe
    error a 502, as for :func:`create`.
    """
    try:
        body = read_body(
            length, chunks, checkout.router.max_body_bytes, discard_refused=discard_refused
        )
    except BodyRefused as refused:
        return _refused_create(refused)
    found = _portal_customer(checkout, body, headers, create_url, native)
    if isinstance(found, Reply):
        return found
    request, customer, return_url = found
    try:
        session = checkout.gateway.create_portal_session(customer, return_url)
    except StripeError as exc:
        return _create_failed(exc, attrs.evolve(request, cancel_url=return_url))
    return _portal_opened(session.url, headers)


async def portal_async(
    checkout: Checkout,
    *,
    length: str | None,
    chunks: AsyncIterable[bytes],
    headers: Mapping[str, str],
    create_url: str,
    native: Any = None,
) -> Reply:
    """Async twin of :func:`portal` (``portal_customer`` stays a plain function)."""
    try:
        body = await read_body_async(length, chunks, checkout.router.max_body_bytes)
    except BodyRefused as refused:
        return _refused_create(refused)
    found = _portal_customer(checkout, body, headers, create_url, native)
    if isinstance(found, Reply):
        return found
    request, customer, return_url = found
    try:
        session = await checkout.gateway.create_portal_session_async(customer, return_url)
    except StripeError as exc:
        return _create_failed(exc, attrs.evolve(request, cancel_url=return_url))
    return _portal_opened(session.url, headers)


def _portal_customer(
    checkout: Checkout, body: bytes, headers: Mapping[str, str], url: str, native: Any
) -> tuple[CheckoutRequest, str, str] | Reply:
    """The request, the application's customer and the return URL, or the refusal."""
    if checkout.portal_customer is None:
        return _text(404, "the customer portal is not enabled")
    request = _request(checkout, body, headers, url, native)
    if isinstance(request, Reply):
        return request
    try:
        customer = checkout.portal_customer(request)
    except PermissionError as exc:
        _log.info("refused a portal request: %s", exc)
        customer = None
    except ValueError as exc:
        _log.info("refused a portal request: %s", exc)
        return _text(400, "invalid portal request")
    if customer is None:
        return _text(403, "no billing account for this request")
    return request, customer, checkout.portal_return_url or shop_root(request.cancel_url)


def _portal_opened(url: str, headers: Mapping[str, str]) -> Reply:
    if wants_json(_header(headers, "accept")):
        return Reply(200, json.dumps({"url": url}).encode(), _JSON_HEADERS)
    return Reply(303, b"", _headers(_TEXT, ("location", url)))


def _idempotency_key() -> str:
    # One key per incoming request: the SDK's own retries reuse it, two shoppers never share it.
    return f"checkoutkit-create-{secrets.token_hex(16)}"


def _session_id_or_reply(session_id: str | None) -> str | Reply:
    try:
        return check_session_id(session_id)
    except InvalidSessionError:
        return _text(400, "missing or malformed session_id")


def _retrieve_failed(exc: StripeError, session_id: str) -> Reply:
    if isinstance(exc, StripeNotFoundError):
        return _text(404, "unknown checkout session")
    _log.warning("retrieving a checkout session failed: %s", exc)
    # Relative to this page (…/success), so it works under any mounting prefix.
    retry = f"{SUCCESS_PATH}?{urlencode({'session_id': session_id})}"
    status = 503 if isinstance(exc, StripeConnectionError) else 502
    page = _pages.order_unconfirmed_page(retry)
    return Reply(status, page.encode(), _CONFIRMING_HEADERS if status == 503 else _HTML_HEADERS)


def _success_page(
    checkout: Checkout, session: CheckoutSession, outcome: FulfilOutcome | None
) -> Reply:
    if outcome is FulfilOutcome.FOREIGN:
        _log.info("success page for %s: not created through this Checkout", session.id)
        return _text(404, "unknown checkout session")
    render = checkout.success_page or default_success_page
    return Reply(200, render(session, outcome).encode(), _HTML_HEADERS)


CONFIRM_RETRY_AFTER = 10
"""Seconds the 503 "confirming your order" page asks the browser to wait before reloading."""
_CONFIRMING_HEADERS = _headers(_HTML, ("retry-after", str(CONFIRM_RETRY_AFTER)))


def _confirming(session: CheckoutSession, exc: StoreError) -> Reply:
    """503: paid, but the store could not record it yet; the webhook and a reload will."""
    _log.warning(
        "the success page could not confirm %s: the event store failed (%s: %s)",
        session.id,
        type(exc).__name__,
        exc,
    )
    return Reply(503, confirming_page().encode(), _CONFIRMING_HEADERS)


def success(checkout: Checkout, session_id: str | None) -> Reply:
    """``GET …/success?session_id=…``: fulfil once (if paid), then the success page."""
    checked = _session_id_or_reply(session_id)
    if isinstance(checked, Reply):
        return checked
    try:
        session = checkout.gateway.retrieve(checked)
    except StripeError as exc:
        return _retrieve_failed(exc, checked)
    outcome: FulfilOutcome | None
    try:
        outcome = checkout.fulfil_session(session)
    except FulfilmentError:
        _log.exception("fulfilment from the success page failed; the webhook will retry")
        outcome = None
    except StoreError as exc:
        return _confirming(session, exc)
    return _success_page(checkout, session, outcome)


async def success_async(checkout: Checkout, session_id: str | None) -> Reply:
    """Async twin of :func:`success`."""
    checked = _session_id_or_reply(session_id)
    if isinstance(checked, Reply):
        return checked
    try:
        session = await checkout.gateway.retrieve_async(checked)
    except StripeError as exc:
        return _retrieve_failed(exc, checked)
    outcome: FulfilOutcome | None
    try:
        outcome = await checkout.fulfil_session_async(session)
    except FulfilmentError:
        _log.exception("fulfilment from the success page failed; the webhook will retry")
        outcome = None
    except StoreError as exc:
        return _confirming(session, exc)
    return _success_page(checkout, session, outcome)


def cancel(checkout: Checkout) -> Reply:
    """``GET …/cancel``: the page shown when the customer leaves the payment page."""
    render = checkout.cancel_page or default_cancel_page
    return Reply(200, render().encode(), _HTML_HEADERS)


def webhook(checkout: Checkout, body: bytes, headers: Mapping[str, str]) -> Reply:
    """``POST …/webhook`` for a body already read whole: the router's own reply.

    ``body`` is the raw request body, byte for byte; ``headers`` all request headers (the
    router reads ``Stripe-Signature`` whatever its case). Prefer :func:`receive_webhook`,
    which reads the body bounded.
    """
    reply: Reply = checkout.router.handle(body, headers)
    return reply


async def webhook_async(checkout: Checkout, body: bytes, headers: Mapping[str, str]) -> Reply:
    """Async twin of :func:`webhook`."""
    reply: Reply = await checkout.router.handle_async(body, headers)
    return reply


_UNREADABLE_WEBHOOK = Reply(400, b'{"error":"unreadable body"}')


def receive_webhook(
    checkout: Checkout,
    *,
    length: str | None,
    chunks: Iterable[bytes],
    headers: Mapping[str, str],
    discard_refused: bool = False,
) -> Reply:
    """``POST …/webhook``: the body read up to ``max_body_bytes`` (else 413), then the router.

    ``length`` is the ``Content-Length`` header, ``chunks`` the body's stream, ``headers`` all
    request headers. The reply is the router's own (see :class:`~checkoutkit.WebhookRouter`
    for its statuses); 400 for a body the server could not read. See :func:`read_body` for
    ``discard_refused``.
    """
    try:
        body = read_body(
            length, chunks, checkout.router.max_body_bytes, discard_refused=discard_refused
        )
    except BodyRefused as refused:
        return _refused_webhook(refused)
    return webhook(checkout, body, headers)


async def receive_webhook_async(
    checkout: Checkout,
    *,
    length: str | None,
    chunks: AsyncIterable[bytes],
    headers: Mapping[str, str],
) -> Reply:
    """Async twin of :func:`receive_webhook`."""
    try:
        body = await read_body_async(length, chunks, checkout.router.max_body_bytes)
    except BodyRefused as refused:
        return _refused_webhook(refused)
    return await webhook_async(checkout, body, headers)


def confirming_page() -> str:
    """The page shown when a payment went through but the order could not be confirmed yet."""
    return _pages.confirming_page(CONFIRM_RETRY_AFTER)
