"""Flask adapter: a blueprint with the checkout endpoints (``pip install 'checkoutkit[flask]'``).

::

    app.register_blueprint(checkoutkit.adapters.flask.blueprint(checkout), url_prefix="/checkout")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checkoutkit import _endpoints
from checkoutkit.exceptions import MissingDependencyError

try:
    import flask
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise MissingDependencyError(
        "checkoutkit.adapters.flask needs Flask: pip install 'checkoutkit[flask]'"
    ) from exc

if TYPE_CHECKING:
    from checkoutkit._checkout import Checkout

__all__ = ["blueprint"]


def _response(reply: _endpoints.Reply) -> flask.Response:
    response = flask.Response(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers:
        response.headers[name] = value
    return response


def blueprint(checkout: Checkout, *, name: str = "checkoutkit") -> flask.Blueprint:
    """A blueprint serving ``checkout``'s endpoints; register it with the ``url_prefix`` you like.

    ``POST create-checkout-session``, ``GET success``, ``GET cancel`` and ``POST webhook``
    (which passes the raw body bytes to the router, untouched). Each path also matches with a
    trailing slash, so no POST is ever redirected.
    """
    bp = flask.Blueprint(name, __name__)

    @bp.post(f"/{_endpoints.CREATE_PATH}", strict_slashes=False)
    def create_checkout_session() -> flask.Response:
        request = flask.request
        reply = _endpoints.create(
            checkout,
            body=request.get_data(),
            headers=dict(request.headers),
            create_url=request.base_url,
            native=request,
        )
        return _response(reply)

    @bp.get(f"/{_endpoints.SUCCESS_PATH}", strict_slashes=False)
    def success() -> flask.Response:
        return _response(_endpoints.success(checkout, flask.request.args.get("session_id")))

    @bp.get(f"/{_endpoints.CANCEL_PATH}", strict_slashes=False)
    def cancel() -> flask.Response:
        return _response(_endpoints.cancel(checkout))

    @bp.post(f"/{_endpoints.WEBHOOK_PATH}", strict_slashes=False)
    def webhook() -> flask.Response:
        request = flask.request
        return _response(_endpoints.webhook(checkout, request.get_data(), dict(request.headers)))

    return bp
