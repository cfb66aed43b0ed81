"""The demo shop as a Flask, FastAPI, Django or Litestar app: the adapter at the root, the shop's
pages, and the success page's order cookie (:mod:`._plan`) set by a WSGI or ASGI wrapper."""

from __future__ import annotations

import contextlib
import secrets
import sys
import types
from collections.abc import AsyncIterator
from typing import Any

from checkoutkit._demo._plan import asgi_order_cookie, wsgi_order_cookie
from checkoutkit._demo._shop import Shop, orders_page, product_page

_REFUSED = "The clock can only be advanced for a subscription order, in sandbox mode."


def flask_app(shop: Shop) -> Any:
    """A Flask app (WSGI)."""
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask("checkoutkit_demo")
    app.register_blueprint(blueprint(shop.checkout))
    app.add_url_rule("/", "index", product_page)
    app.add_url_rule("/orders", "orders", lambda: orders_page(shop.orders.all(), shop.access))
    app.add_url_rule(
        "/account", "account", lambda: shop.account_page(flask.request.headers.get("Cookie"))
    )

    def advance() -> Any:
        if not shop.advance(flask.request.headers.get("Cookie")):
            return _REFUSED, 404, {"Content-Type": "text/plain; charset=utf-8"}
        return flask.redirect("/account", 303)

    app.add_url_rule("/advance-clock", "advance", advance, methods=["POST"])
    app.wsgi_app = wsgi_order_cookie(app.wsgi_app)  # type: ignore[method-assign]
    return app


def fastapi_app(shop: Shop) -> Any:
    """A FastAPI app (ASGI)."""
    import fastapi
    from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

    from checkoutkit.adapters.fastapi import router

    @contextlib.asynccontextmanager
    async def lifespan(app: fastapi.FastAPI) -> AsyncIterator[None]:
        yield
        await shop.gateway.aclose()

    app = fastapi.FastAPI(title="checkoutkit demo", lifespan=lifespan)
    app.include_router(router(shop.checkout))

    async def index() -> HTMLResponse:
        return HTMLResponse(product_page())

    def orders() -> HTMLResponse:
        return HTMLResponse(orders_page(shop.orders.all(), shop.access))

    # The raw Cookie header, resolved by name (this module's annotations are strings).
    def account(cookie: str | None = fastapi.Header(default=None)) -> HTMLResponse:
        return HTMLResponse(shop.account_page(cookie))

    def advance(cookie: str | None = fastapi.Header(default=None)) -> Any:
        if not shop.advance(cookie):
            return PlainTextResponse(_REFUSED, status_code=404)
        return RedirectResponse("/account", status_code=303)

    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/orders", orders, methods=["GET"], include_in_schema=False)
    app.add_api_route("/account", account, methods=["GET"], include_in_schema=False)
    app.add_api_route("/advance-clock", advance, methods=["POST"], include_in_schema=False)
    return asgi_order_cookie(app)


def litestar_app(shop: Shop) -> Any:
    """A Litestar app (ASGI)."""
    import litestar
    from litestar.response import Redirect

    from checkoutkit.adapters.litestar import router

    @litestar.get("/", media_type="text/html", include_in_schema=False)
    async def index() -> str:
        return product_page()

    @litestar.get("/orders", media_type="text/html", include_in_schema=False, sync_to_thread=True)
    def orders() -> str:
        return orders_page(shop.orders.all(), shop.access)

    @litestar.get("/account", media_type="text/html", include_in_schema=False, sync_to_thread=True)
    def account(headers: dict[str, str]) -> str:
        return shop.account_page(headers.get("cookie"))

    @litestar.post("/advance-clock", include_in_schema=False, sync_to_thread=True)
    def advance(headers: dict[str, str]) -> Any:
        if not shop.advance(headers.get("cookie")):
            return litestar.Response(_REFUSED, status_code=404, media_type="text/plain")
        return Redirect("/account", status_code=303)

    app = litestar.Litestar(
        route_handlers=[index, orders, account, advance, router(shop.checkout)],
        on_shutdown=[shop.gateway.aclose],
    )
    return asgi_order_cookie(app)


def django_app(shop: Shop, hosts: list[str]) -> Any:
    """A Django project (WSGI) with CSRF protection on, as real projects have it."""
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    from checkoutkit.adapters.django import urls

    def index(request: HttpRequest) -> HttpResponse:
        return HttpResponse(product_page())

    def orders(request: HttpRequest) -> HttpResponse:
        return HttpResponse(orders_page(shop.orders.all(), shop.access))

    def account(request: HttpRequest) -> HttpResponse:
        return HttpResponse(shop.account_page(request.headers.get("cookie")))

    def advance(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not shop.advance(request.headers.get("cookie")):
            return HttpResponse(_REFUSED, status=404, content_type="text/plain; charset=utf-8")
        return HttpResponseRedirect("/account", status=303)

    urlconf = types.ModuleType("checkoutkit_demo_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("", index),
        path("orders", orders),
        path("account", account),
        # The order cookie is SameSite=Lax: another site's form cannot post with it.
        path("advance-clock", csrf_exempt(advance)),
        path("", include(urls(shop.checkout))),
    ]
    sys.modules[urlconf.__name__] = urlconf
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_hex(32),
        ALLOWED_HOSTS=hosts,
        ROOT_URLCONF=urlconf.__name__,
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()
    return wsgi_order_cookie(get_wsgi_application())
