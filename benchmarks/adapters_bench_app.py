"""The apps behind ``bench_adapters``: each framework serves the adapter and a hand-written floor.

``/hand/webhook`` verifies the Stripe signature with hmac and ``compare_digest``, parses the
event's JSON and answers 200, as a careful hand-written endpoint does; ``/checkout/webhook``
is checkoutkit's adapter with a Checkout whose fulfil callback does nothing. ``BENCH_STORE``
picks the event store: ``memory`` or a SQLite file path.
"""

# No "from __future__ import annotations": FastAPI must see fastapi.Request itself.
import hashlib
import hmac
import json
import os
from typing import Any

import checkoutkit

SECRET = os.environ.get("BENCH_SECRET", "whsec_bench_secret_0123456789")


def hand_verify(body: bytes, header: str | None) -> bool:
    """The floor: Stripe's scheme checked by hand, then the event parsed."""
    if not header:
        return False
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    expected = hmac.new(SECRET.encode(), parts.get("t", "").encode() + b"." + body, hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), parts.get("v1", "")):
        return False
    event = json.loads(body)
    return isinstance(event, dict) and isinstance(event.get("id"), str)


def make_checkout() -> checkoutkit.Checkout:
    where = os.environ.get("BENCH_STORE", "memory")
    store: Any = checkoutkit.MemoryStore() if where == "memory" else checkoutkit.SqliteStore(where)
    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.for_sandbox(
            type("S", (), {"url": "http://127.0.0.1:9"})
        ),
        router=checkoutkit.WebhookRouter(secrets=SECRET, store=store),
        store=store,
        build_session=lambda request: {},
        fulfil=lambda session: None,
        base_url="http://127.0.0.1/checkout",
        # The callback never blocks, so the async path may call it on the event loop
        # (BENCH_BLOCKING=1 measures the default, a worker thread per call).
        blocking_callbacks=os.environ.get("BENCH_BLOCKING") == "1",
    )


def flask_app() -> Any:
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(make_checkout()), url_prefix="/checkout")

    @app.post("/hand/webhook")
    def hand() -> tuple[str, int]:
        ok = hand_verify(flask.request.get_data(), flask.request.headers.get("Stripe-Signature"))
        return ("", 200) if ok else ("", 400)

    return app


def fastapi_app() -> Any:
    import fastapi

    from checkoutkit.adapters.fastapi import router

    app = fastapi.FastAPI()
    app.include_router(router(make_checkout()), prefix="/checkout")

    @app.post("/hand/webhook")
    async def hand(request: fastapi.Request) -> fastapi.Response:
        ok = hand_verify(await request.body(), request.headers.get("stripe-signature"))
        return fastapi.Response(status_code=200 if ok else 400)

    # The same endpoint as a plain Starlette route, as the adapter mounts its webhook.
    app.add_route("/plain/webhook", hand, methods=["POST"], include_in_schema=False)
    return app


def litestar_app() -> Any:
    import litestar

    from checkoutkit.adapters.litestar import router

    @litestar.post("/hand/webhook", request_max_body_size=None)
    async def hand(request: litestar.Request) -> litestar.Response:
        ok = hand_verify(await request.body(), request.headers.get("stripe-signature"))
        return litestar.Response(b"", status_code=200 if ok else 400)

    return litestar.Litestar(route_handlers=[router(make_checkout(), path="/checkout"), hand])


def django_app() -> Any:
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        INSTALLED_APPS=[],
        DATABASES={},
    )
    django.setup()
    return get_wsgi_application()


_urlpatterns: list[Any] = []


def __getattr__(name: str) -> Any:
    if name != "urlpatterns":
        raise AttributeError(name)
    if not _urlpatterns:
        from django.http import HttpRequest, HttpResponse
        from django.urls import include, path
        from django.views.decorators.csrf import csrf_exempt

        from checkoutkit.adapters.django import urls

        @csrf_exempt
        def hand(request: HttpRequest) -> HttpResponse:
            ok = hand_verify(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
            return HttpResponse(status=200 if ok else 400)

        _urlpatterns.extend(
            [path("hand/webhook", hand), path("checkout/", include(urls(make_checkout())))]
        )
    return _urlpatterns
