"""FastAPI adapter: an ``APIRouter`` on the async paths (``pip install 'checkoutkit[fastapi]'``).

::

    app.include_router(checkoutkit.adapters.fastapi.router(checkout), prefix="/checkout")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from checkoutkit.adapters import endpoints
from checkoutkit.exceptions import MissingDependencyError

try:
    import fastapi
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise MissingDependencyError(
        "checkoutkit.adapters.fastapi needs FastAPI: pip install 'checkoutkit[fastapi]'"
    ) from exc

if TYPE_CHECKING:
    from checkoutkit import Checkout

__all__ = ["router"]


def _response(reply: endpoints.Reply) -> fastapi.Response:
    return fastapi.Response(reply.body, status_code=reply.status, headers=reply.headers)


def router(checkout: Checkout, *, prefix: str = "") -> fastapi.APIRouter:
    """An ``APIRouter`` serving ``checkout``'s endpoints with the async gateway and router.

    ``POST create-checkout-session``, ``GET success``, ``GET cancel`` and ``POST webhook``
    (which passes the raw body bytes to ``router.handle_async``, untouched). Both POST bodies
    are read as they stream in and refused with 413 past the router's ``max_body_bytes``,
    before being read whole. Each path also matches with a trailing slash, so no POST is ever
    redirected. The webhook is a plain Starlette route: ``dependencies=`` given to
    ``include_router`` guard the three others only.
    """
    api = fastapi.APIRouter(prefix=prefix, include_in_schema=False, redirect_slashes=False)

    async def create_checkout_session(request: fastapi.Request) -> fastapi.Response:
        reply = await endpoints.create_async(
            checkout,
            length=request.headers.get("content-length"),
            chunks=request.stream(),
            headers=request.headers,
            create_url=str(request.url.replace(query="")),
            native=request,
        )
        return _response(reply)

    async def create_portal_session(request: fastapi.Request) -> fastapi.Response:
        reply = await endpoints.portal_async(
            checkout,
            length=request.headers.get("content-length"),
            chunks=request.stream(),
            headers=request.headers,
            create_url=str(request.url.replace(query="")),
            native=request,
        )
        return _response(reply)

    async def success(request: fastapi.Request) -> fastapi.Response:
        session_id = request.query_params.get("session_id")
        return _response(await endpoints.success_async(checkout, session_id))

    async def cancel() -> fastapi.Response:
        return _response(endpoints.cancel(checkout))

    async def webhook(request: fastapi.Request) -> fastapi.Response:
        reply = await endpoints.receive_webhook_async(
            checkout,
            length=request.headers.get("content-length"),
            chunks=request.stream(),
            headers=request.headers,
        )
        return _response(reply)

    # Routes are tried in order: the webhook, the busiest, goes first.
    routes: list[tuple[str, Callable[..., Any], str]] = [
        (endpoints.WEBHOOK_PATH, webhook, "POST"),
        (endpoints.CREATE_PATH, create_checkout_session, "POST"),
        (endpoints.SUCCESS_PATH, success, "GET"),
        (endpoints.CANCEL_PATH, cancel, "GET"),
        (endpoints.PORTAL_PATH, create_portal_session, "POST"),
    ]
    for segment, endpoint, method in routes:
        # Both spellings are routes of their own: a redirect would drop a webhook's POST.
        for path in (f"/{segment}", f"/{segment}/"):
            name = f"checkoutkit-{segment}"
            if endpoint is webhook:
                # A plain Starlette route: the raw body in, a response out, without FastAPI's
                # dependency solving (Stripe can meet no dependency; the signature is its proof).
                api.add_route(path, endpoint, methods=[method], name=name, include_in_schema=False)
            else:
                api.add_api_route(path, endpoint, methods=[method], name=name)
    return api
