"""The demo shop as a Flask, FastAPI, Django or Litestar app: the adapter at the root, two pages."""

from __future__ import annotations

import contextlib
import secrets
import sys
import types
from collections.abc import AsyncIterator
from typing import Any

from checkoutkit._demo._shop import Shop, orders_page, product_page


def flask_app(shop: Shop) -> Any:
    """A Flask app (WSGI)."""
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask("checkoutkit_demo")
    app.register_blueprint(blueprint(shop.checkout))
    app.add_url_rule("/", "index", product_page)
    app.add_url_rule("/orders", "orders", lambda: orders_page(shop.orders.all()))
    return app


def fastapi_app(shop: Shop) -> Any:
    """A FastAPI app (ASGI)."""
    import fastapi
    from fastapi.responses import HTMLResponse

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
        return HTMLResponse(orders_page(shop.orders.all()))

    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/orders", orders, methods=["GET"], include_in_schema=False)
    return app


def litestar_app(shop: Shop) -> Any:
    """A Litestar app (ASGI)."""
    import litestar

    from checkoutkit.adapters.litestar import router

    @litestar.get("/", media_type="text/html", include_in_schema=False)
    async def index() -> str:
        return product_page()

    @litestar.get("/orders", media_type="text/html", include_in_schema=False, sync_to_thread=True)
    def orders() -> str:
        return orders_page(shop.orders.all())

    return litestar.Litestar(
        route_handlers=[index, orders, router(shop.checkout)],
        on_shutdown=[shop.gateway.aclose],
    )


def django_app(shop: Shop, hosts: list[str]) -> Any:
    """A Django project (WSGI) with CSRF protection on, as real projects have it."""
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest, HttpResponse
    from django.urls import include, path

    from checkoutkit.adapters.django import urls

    def index(request: HttpRequest) -> HttpResponse:
        return HttpResponse(product_page())

    def orders(request: HttpRequest) -> HttpResponse:
        return HttpResponse(orders_page(shop.orders.all()))

    urlconf = types.ModuleType("checkoutkit_demo_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("", index),
        path("orders", orders),
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
    return get_wsgi_application()
