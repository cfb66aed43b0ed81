"""Litestar adapter: a ``Router`` on the async paths (``pip install 'checkoutkit[litestar]'``).

::

    from checkoutkit.adapters.litestar import router

    app = Litestar(route_handlers=[router(checkout, path="/checkout")])

Built on the public adapter contract (:mod:`checkoutkit.adapters.endpoints`) alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from checkoutkit.adapters import endpoints
from checkoutkit.exceptions import MissingDependencyError

try:
    import litestar
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise MissingDependencyError(
        "checkoutkit.adapters.litestar needs Litestar: pip install 'checkoutkit[litestar]'"
    ) from exc

if TYPE_CHECKING:
    from checkoutkit import Checkout

__all__ = ["router"]


def _response(reply: endpoints.Reply) -> litestar.Response[bytes]:
    return litestar.Response(
        reply.body,
        status_code=reply.status,
        headers=dict(reply.headers),
        media_type=reply.content_type or None,
    )


def _create_url(request: litestar.Request[Any, Any, Any]) -> str:
    return str(request.url.with_replacements(query=""))


def router(
    checkout: Checkout,
    *,
    path: str = "/",
    name: str = "checkoutkit",
    guards: Sequence[Any] | None = None,
) -> litestar.Router:
    """A ``Router`` serving ``checkout``'s endpoints with the async gateway and router.

    ``POST create-checkout-session``, ``GET success``, ``GET cancel``, ``POST webhook``
    (which passes the raw body bytes to ``router.handle_async``, untouched) and ``POST
    create-portal-session`` under ``path``.
    Both POST bodies are read as they stream in and refused with 413 past the router's
    ``max_body_bytes``, before being read whole; Litestar's own ``request_max_body_size`` is
    lifted on these routes, so the router's setting is the one limit. Each path also matches
    with a trailing slash, so no POST is ever redirected. ``guards`` protect the create,
    success, cancel and portal routes, never the webhook (Stripe can meet no guard; the signature is
    its proof). Route names are ``<name>-create``, ``-success``, ``-cancel``, ``-webhook`` and
    ``-portal``.
    """
    limits: dict[str, Any] = {"request_max_body_size": None, "include_in_schema": False}
    guarded: dict[str, Any] = {**limits, "guards": list(guards or ())}

    def paths(segment: str) -> list[str]:
        return [f"/{segment}", f"/{segment}/"]

    @litestar.post(paths(endpoints.WEBHOOK_PATH), name=f"{name}-webhook", **limits)
    async def webhook(request: litestar.Request[Any, Any, Any]) -> litestar.Response[bytes]:
        reply = await endpoints.receive_webhook_async(
            checkout,
            length=request.headers.get("content-length"),
            chunks=request.stream(),
            headers=request.headers,
        )
        return _response(reply)

    @litestar.post(paths(endpoints.CREATE_PATH), name=f"{name}-create", **guarded)
    async def create_checkout_session(
        request: litestar.Request[Any, Any, Any],
    ) -> litestar.Response[bytes]:
        reply = await endpoints.create_async(
            checkout,
            length=request.headers.get("content-length"),
            chunks=request.stream(),
            headers=request.headers,
            create_url=_create_url(request),
            native=request,
        )
        return _response(reply)

    @litestar.post(paths(endpoints.PORTAL_PATH), name=f"{name}-portal", **guarded)
    async def create_portal_session(
        request: litestar.Request[Any, Any, Any],
    ) -> litestar.Response[bytes]:
        reply = await endpoints.portal_async(
            checkout,
            length=request.headers.get("content-length"),
            chunks=request.stream(),
            headers=request.headers,
            create_url=_create_url(request),
            native=request,
        )
        return _response(reply)

    @litestar.get(paths(endpoints.SUCCESS_PATH), name=f"{name}-success", **guarded)
    async def success(request: litestar.Request[Any, Any, Any]) -> litestar.Response[bytes]:
        session_id = request.query_params.get("session_id")
        return _response(await endpoints.success_async(checkout, session_id))

    @litestar.get(paths(endpoints.CANCEL_PATH), name=f"{name}-cancel", **guarded)
    async def cancel() -> litestar.Response[bytes]:
        return _response(endpoints.cancel(checkout))

    # Routes are tried by path, not in order; the list follows the contract's table.
    return litestar.Router(
        path=path,
        route_handlers=[webhook, create_checkout_session, success, cancel, create_portal_session],
    )
