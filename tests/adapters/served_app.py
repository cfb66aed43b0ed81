"""The shop that the real-server tests run under gunicorn and uvicorn, set up from the environment.

Every worker process builds its own Checkout; they share one SqliteStore file, so fulfilment
must be exactly once across processes. ``SHOP_FAIL_MARKER`` names a file whose presence makes
the next fulfilment fail once (the file is removed by the process that fails).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from typing import Any

import checkoutkit

PRODUCT = checkoutkit.SessionBuilder.payment().add_price_data(
    currency="usd", name="T-shirt", unit_amount=2000, quantity=1
)


def fulfil(session: checkoutkit.CheckoutSession) -> None:
    """Record the order, unless a failure was asked for."""
    try:
        os.remove(os.environ["SHOP_FAIL_MARKER"])
    except FileNotFoundError:
        pass
    else:
        raise RuntimeError("injected failure")
    with closing(sqlite3.connect(os.environ["SHOP_ORDERS_DB"], timeout=30)) as db, db:
        db.execute("INSERT INTO orders (session_id, pid) VALUES (?, ?)", (session.id, os.getpid()))


def make_checkout() -> checkoutkit.Checkout:
    store = checkoutkit.SqliteStore(os.environ["SHOP_EVENTS_DB"])
    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(),
        router=checkoutkit.WebhookRouter(secrets=os.environ["STRIPE_WEBHOOK_SECRET"], store=store),
        store=store,
        build_session=lambda request: PRODUCT,
        fulfil=fulfil,
        base_url=os.environ["SHOP_URL"],
    )


def flask_app() -> Any:
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(make_checkout()))
    return app


def fastapi_app() -> Any:
    import fastapi

    from checkoutkit.adapters.fastapi import router

    app = fastapi.FastAPI()
    app.include_router(router(make_checkout()))
    return app


def litestar_app() -> Any:
    import litestar

    from checkoutkit.adapters.litestar import router

    return litestar.Litestar(route_handlers=[router(make_checkout())])


def django_app() -> Any:
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    from django_project import configure_django

    configure_django()
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    return get_wsgi_application()


_urlpatterns: list[Any] = []


def __getattr__(name: str) -> Any:
    """``urlpatterns`` for Django, built on first use (Flask and FastAPI never ask)."""
    if name != "urlpatterns":
        raise AttributeError(name)
    if not _urlpatterns:
        from django.urls import include, path

        from checkoutkit.adapters.django import urls

        _urlpatterns.append(path("", include(urls(make_checkout()))))
    return _urlpatterns
