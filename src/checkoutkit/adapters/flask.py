"""Flask adapter: a blueprint with the checkout endpoints (``pip install 'checkoutkit[flask]'``).

::

    app.register_blueprint(checkoutkit.adapters.flask.blueprint(checkout), url_prefix="/checkout")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from checkoutkit.adapters import endpoints
from checkoutkit.exceptions import MissingDependencyError

try:
    import flask
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise MissingDependencyError(
        "checkoutkit.adapters.flask needs Flask: pip install 'checkoutkit[flask]'"
    ) from exc

if TYPE_CHECKING:
    from checkoutkit import Checkout

__all__ = ["blueprint"]


def _response(reply: endpoints.Reply) -> flask.Response:
    return flask.Response(reply.body, status=reply.status, headers=reply.headers)


def _discards(request: flask.Request) -> bool:
    return endpoints.server_reads_refused_bodies(request.environ.get("SERVER_SOFTWARE"))


def _chunks(request: flask.Request) -> Iterator[bytes]:
    """The body as it arrives, a chunk at a time (werkzeug's stream, chunked or not)."""
    stream = request.stream  # opened lazily: a refused body is never touched
    while chunk := stream.read(endpoints.READ_CHUNK):
        yield chunk


def blueprint(checkout: Checkout, *, name: str = "checkoutkit") -> flask.Blueprint:
    """A blueprint serving ``checkout``'s endpoints; register it with the ``url_prefix`` you like.

    ``POST create-checkout-session``, ``GET success``, ``GET cancel``, ``POST webhook``
    (which passes the raw body bytes to the router, untouched) and ``POST
    create-portal-session``. Both POST bodies are read a
    chunk at a time and refused with 413 past the router's ``max_body_bytes``, before being
    read whole. Each path also matches with a trailing slash, so no POST is ever redirected.
    """
    bp = flask.Blueprint(name, __name__)

    @bp.post(f"/{endpoints.CREATE_PATH}", strict_slashes=False)
    def create_checkout_session() -> flask.Response:
        request = flask.request
        reply = endpoints.create(
            checkout,
            length=request.headers.get("Content-Length"),
            chunks=_chunks(request),
            discard_refused=_discards(request),
            headers=endpoints.Headers(request.headers.items()),
            create_url=request.base_url,
            native=request,
        )
        return _response(reply)

    @bp.post(f"/{endpoints.PORTAL_PATH}", strict_slashes=False)
    def create_portal_session() -> flask.Response:
        request = flask.request
        reply = endpoints.portal(
            checkout,
            length=request.headers.get("Content-Length"),
            chunks=_chunks(request),
            discard_refused=_discards(request),
            headers=endpoints.Headers(request.headers.items()),
            create_url=request.base_url,
            native=request,
        )
        return _response(reply)

    @bp.get(f"/{endpoints.SUCCESS_PATH}", strict_slashes=False)
    def success() -> flask.Response:
        return _response(endpoints.success(checkout, flask.request.args.get("session_id")))

    @bp.get(f"/{endpoints.CANCEL_PATH}", strict_slashes=False)
    def cancel() -> flask.Response:
        return _response(endpoints.cancel(checkout))

    @bp.post(f"/{endpoints.WEBHOOK_PATH}", strict_slashes=False)
    def webhook() -> flask.Response:
        request = flask.request
        reply = endpoints.receive_webhook(
            checkout,
            length=request.headers.get("Content-Length"),
            chunks=_chunks(request),
            discard_refused=_discards(request),
            headers=endpoints.Headers(request.headers.items()),
        )
        return _response(reply)

    return bp
