"""Django adapter: URL patterns to ``include()`` (``pip install 'checkoutkit[django]'``).

::

    urlpatterns = [path("checkout/", include(checkoutkit.adapters.django.urls(checkout)))]

The views are exempt from CSRF (Stripe and the payment page cannot send a token) and, on Django
5.1 and later, from ``LoginRequiredMiddleware``; they never run inside ``ATOMIC_REQUESTS``
transactions (of any database), so a fulfilment claim is committed before the callback runs.
Each path matches with and without a trailing slash, so ``APPEND_SLASH`` never redirects a POST.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from checkoutkit.adapters import endpoints
from checkoutkit.exceptions import MissingDependencyError

try:
    from django.conf import settings
    from django.contrib.auth import decorators as _auth_decorators
    from django.db import connections, transaction
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern, path
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_GET, require_POST
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise MissingDependencyError(
        "checkoutkit.adapters.django needs Django: pip install 'checkoutkit[django]'"
    ) from exc

if TYPE_CHECKING:
    from checkoutkit import Checkout

__all__ = ["urls"]

View = Callable[[HttpRequest], HttpResponse]

_login_not_required: Callable[[View], View] = getattr(
    _auth_decorators, "login_not_required", lambda view: view
)


def _discards(request: HttpRequest) -> bool:
    return endpoints.server_reads_refused_bodies(request.META.get("SERVER_SOFTWARE"))


def _chunks(request: HttpRequest) -> Iterator[bytes]:
    """The body as it arrives, a chunk at a time, never through ``request.body``.

    ``request.body`` reads the whole body at once (and answers an HTML 400 past
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``). Under WSGI, Django reads nothing of a chunked body (it
    has no ``Content-Length``); when the server has decoded the chunks (``wsgi.input_terminated``)
    the input stream is read directly, so chunked bodies arrive as well.
    """
    meta = request.META
    stream: Any = request
    if not meta.get("CONTENT_LENGTH") and meta.get("wsgi.input_terminated"):
        stream = meta["wsgi.input"]
    while chunk := stream.read(endpoints.READ_CHUNK):
        yield chunk


def _response(reply: endpoints.Reply) -> HttpResponse:
    return HttpResponse(reply.body, status=reply.status, headers=reply.headers)


def _view(method: Callable[[View], Any], view: View) -> View:
    wrapped: View = transaction.non_atomic_requests(csrf_exempt(method(view)))
    # non_atomic_requests exempts 'default' only; an event store on another database must
    # commit its claims on their own as well. (URL patterns built before the settings are
    # configured can only know of 'default'.)
    if settings.configured:
        for alias in connections:
            wrapped = transaction.non_atomic_requests(using=alias)(wrapped)
    return _login_not_required(wrapped)


def _paths(segment: str, view: View, name: str) -> list[URLPattern]:
    # Two plain routes rather than one regex: Django matches a route without converters by
    # comparing strings. The name (for reverse()) is on the spelling without the slash.
    return [path(segment, view, name=name), path(f"{segment}/", view)]


def urls(checkout: Checkout, *, name_prefix: str = "checkoutkit") -> list[URLPattern]:
    """URL patterns serving ``checkout``'s endpoints; ``include()`` them under any prefix.

    ``POST create-checkout-session``, ``GET success``, ``GET cancel``, ``POST webhook``
    (which passes the raw body bytes to the router) and ``POST create-portal-session``. POST
    bodies are read a chunk at a time from the request stream, never through ``request.body``,
    and refused with 413 past the router's ``max_body_bytes``. Names are
    ``<name_prefix>-create``, ``-success``, ``-cancel``, ``-webhook`` and ``-portal``.
    """

    def create_checkout_session(request: HttpRequest) -> HttpResponse:
        reply = endpoints.create(
            checkout,
            length=request.META.get("CONTENT_LENGTH"),
            chunks=_chunks(request),
            discard_refused=_discards(request),
            headers=request.headers,
            create_url=request.build_absolute_uri(request.path),
            native=request,
        )
        return _response(reply)

    def create_portal_session(request: HttpRequest) -> HttpResponse:
        reply = endpoints.portal(
            checkout,
            length=request.META.get("CONTENT_LENGTH"),
            chunks=_chunks(request),
            discard_refused=_discards(request),
            headers=request.headers,
            create_url=request.build_absolute_uri(request.path),
            native=request,
        )
        return _response(reply)

    def success(request: HttpRequest) -> HttpResponse:
        return _response(endpoints.success(checkout, request.GET.get("session_id")))

    def cancel(request: HttpRequest) -> HttpResponse:
        return _response(endpoints.cancel(checkout))

    def webhook(request: HttpRequest) -> HttpResponse:
        reply = endpoints.receive_webhook(
            checkout,
            length=request.META.get("CONTENT_LENGTH"),
            chunks=_chunks(request),
            discard_refused=_discards(request),
            headers=request.headers,
        )
        return _response(reply)

    # Patterns are tried in order: the webhook, the busiest, goes first.
    return [
        *_paths(endpoints.WEBHOOK_PATH, _view(require_POST, webhook), f"{name_prefix}-webhook"),
        *_paths(
            endpoints.CREATE_PATH,
            _view(require_POST, create_checkout_session),
            f"{name_prefix}-create",
        ),
        *_paths(endpoints.SUCCESS_PATH, _view(require_GET, success), f"{name_prefix}-success"),
        *_paths(endpoints.CANCEL_PATH, _view(require_GET, cancel), f"{name_prefix}-cancel"),
        *_paths(
            endpoints.PORTAL_PATH,
            _view(require_POST, create_portal_session),
            f"{name_prefix}-portal",
        ),
    ]
