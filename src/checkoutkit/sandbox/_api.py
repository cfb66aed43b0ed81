"""The sandbox's HTTP surface: Stripe's ``/v1`` API, the hosted page and ``/_sandbox`` controls.

A WSGI application on werkzeug: werkzeug is small, typed and well kept, and parses forms and
routes without pulling in an async stack (the sandbox is driven from synchronous tests, and the
stripe SDK's default client is synchronous too). It is served by :mod:`._http`, a threaded
HTTP/1.1 server that keeps connections alive for the SDK's ``requests`` session.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from checkoutkit._rules import session_create_spec
from checkoutkit.sandbox import _pages
from checkoutkit.sandbox._api_billing import RULES as BILLING_RULES
from checkoutkit.sandbox._api_billing import BillingRoutes
from checkoutkit.sandbox._api_discounts import RULES as DISCOUNT_RULES
from checkoutkit.sandbox._api_discounts import DiscountRoutes
from checkoutkit.sandbox._core import API_VERSION, Core, RequestInfo
from checkoutkit.sandbox._errors import ApiError, invalid
from checkoutkit.sandbox._params import (
    coerce,
    coerce_form_params,
    drop_unset,
    parse_pairs,
    reject_unknown,
)
from checkoutkit.sandbox._portal import RULES as PORTAL_RULES
from checkoutkit.sandbox._portal import PortalRoutes
from checkoutkit.sandbox._state import new_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from checkoutkit.sandbox._delivery import Delivery

Handler = Callable[["Call"], Any]

#: Seconds (of sandbox time) an idempotency key is remembered, as on Stripe.
IDEMPOTENCY_TTL = 24 * 3600

_RULES = [
    ("POST", "/v1/checkout/sessions", "session_create"),
    ("GET", "/v1/checkout/sessions", "session_list"),
    ("GET", "/v1/checkout/sessions/<id>", "session_retrieve"),
    ("GET", "/v1/checkout/sessions/<id>/line_items", "session_line_items"),
    ("POST", "/v1/checkout/sessions/<id>/expire", "session_expire"),
    ("POST", "/v1/products", "product_create"),
    ("GET", "/v1/products", "product_list"),
    ("GET", "/v1/products/<id>", "product_retrieve"),
    ("POST", "/v1/prices", "price_create"),
    ("GET", "/v1/prices", "price_list"),
    ("GET", "/v1/prices/<id>", "price_retrieve"),
    ("POST", "/v1/customers", "customer_create"),
    ("GET", "/v1/customers", "customer_list"),
    ("GET", "/v1/customers/<id>", "customer_retrieve"),
    ("GET", "/v1/payment_intents/<id>", "payment_intent_retrieve"),
    ("POST", "/v1/payment_intents/<id>/capture", "payment_intent_capture"),
    ("POST", "/v1/payment_intents/<id>/cancel", "payment_intent_cancel"),
    ("GET", "/v1/payment_methods/<id>", "payment_method_retrieve"),
    ("GET", "/v1/setup_intents/<id>", "setup_intent_retrieve"),
    ("GET", "/v1/subscriptions/<id>", "subscription_retrieve"),
    ("GET", "/v1/events", "event_list"),
    ("GET", "/v1/events/<id>", "event_retrieve"),
    ("GET", "/c/pay/<id>", "page_show"),
    ("POST", "/c/pay/<id>", "page_submit"),
    ("GET", "/c/pay/<id>/authenticate", "page_auth_show"),
    ("POST", "/c/pay/<id>/authenticate", "page_auth_submit"),
    ("POST", "/_sandbox/sessions/<id>/pay", "control_pay"),
    ("POST", "/_sandbox/sessions/<id>/authenticate", "control_authenticate"),
    ("POST", "/_sandbox/sessions/<id>/expire", "control_expire"),
    ("GET", "/_sandbox/clock", "control_clock"),
    ("POST", "/_sandbox/clock/advance", "control_advance"),
    ("POST", "/_sandbox/events/<id>/redeliver", "control_redeliver"),
    ("GET", "/_sandbox/deliveries", "control_deliveries"),
    ("GET", "/_sandbox/webhook_endpoints", "control_endpoints"),
    ("POST", "/_sandbox/webhook_endpoints", "control_add_endpoint"),
]


class Call:
    """One request as the handlers see it."""

    def __init__(self, request: Request, args: Mapping[str, Any], params: dict[str, Any]) -> None:
        self.request = request
        self.id: str = args.get("id", "")
        self.params = params
        self.request_id = new_id("req_", 14)
        self.idempotency_key = request.headers.get("Idempotency-Key")

    @property
    def info(self) -> RequestInfo:
        """What an Event records as its ``request``."""
        return RequestInfo(self.request_id, self.idempotency_key)

    @property
    def expand(self) -> list[str]:
        """The ``expand[]`` parameter as a list of paths."""
        value = self.params.get("expand", [])
        paths = [value] if isinstance(value, str) else value
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise invalid("Invalid array", param="expand")
        return paths


class App(DiscountRoutes, BillingRoutes, PortalRoutes):
    """The WSGI application serving one sandbox."""

    def __init__(self, core: Core, delivery: Delivery) -> None:
        self.core = core
        self.delivery = delivery
        self.url_map = Map(
            [
                Rule(path, methods=[method], endpoint=name)
                for method, path, name in [*_RULES, *DISCOUNT_RULES, *BILLING_RULES, *PORTAL_RULES]
            ],
            strict_slashes=False,
        )
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route a request to its handler; every error becomes a Stripe-shaped answer."""
        api = request.path.startswith("/v1/") or request.path == "/v1"
        page = request.path.startswith(("/c/", "/p/"))
        call: Call | None = None
        try:
            adapter = self.url_map.bind_to_environ(request.environ)
            try:
                endpoint, args = adapter.match()
            except (NotFound, MethodNotAllowed):
                raise ApiError(
                    404,
                    f"Unrecognized request URL ({request.method}: {request.path}). This sandbox "
                    "serves the Checkout subset of the Stripe API.",
                ) from None
            if api:
                _authenticate(request)
            pairs = request.args.items(multi=True)
            if request.method == "POST":
                pairs = [*pairs, *request.form.items(multi=True)]
            pairs = list(pairs)
            # The page reads its own form fields; everything else takes Stripe's encoding.
            handler: Handler = getattr(self, str(endpoint))
            params: dict[str, Any] = {}
            if not page:
                # A session is read by the SDK-derived spec, so text stays text; other
                # endpoints by the key names Stripe types as integers or booleans.
                params = parse_pairs(pairs)
                params = (
                    coerce_form_params(params) if endpoint == "session_create" else coerce(params)
                )
            call = Call(request, args, params)
            if api and request.method == "POST" and call.idempotency_key:
                return self._idempotent(call, pairs, handler)
            result = handler(call)
            if isinstance(result, Response):
                return result
            return self._json(call, 200, result)
        except ApiError as exc:
            if page:
                return _pages.message_page(exc.message, status=exc.status)
            return self._error(call, exc)
        except HTTPException as exc:
            return self._error(call, ApiError(exc.code or 400, exc.description or "Bad request."))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return self._error(
                call,
                ApiError(500, "An unexpected error occurred in the sandbox.", type="api_error"),
            )

    # plumbing ------------------------------------------------------------------------------

    def _json(self, call: Call | None, status: int, body: Any) -> Response:
        response = Response(
            json.dumps(body, separators=(",", ":")),
            status=status,
            content_type="application/json",
        )
        if call is not None:
            response.headers["Request-Id"] = call.request_id
            if call.idempotency_key:
                response.headers["Idempotency-Key"] = call.idempotency_key
            response.headers["Stripe-Version"] = (
                call.request.headers.get("Stripe-Version") or API_VERSION
            )
        return response

    def _error(self, call: Call | None, exc: ApiError) -> Response:
        response = self._json(call, exc.status, exc.body())
        if exc.should_retry is not None:
            response.headers["Stripe-Should-Retry"] = "true" if exc.should_retry else "false"
        return response

    def _idempotent(self, call: Call, pairs: list[tuple[str, str]], handler: Handler) -> Response:
        key = f"{_api_key(call.request)}:{call.idempotency_key}"
        fingerprint = hashlib.sha256(
            json.dumps([call.request.path, sorted(pairs)]).encode()
        ).hexdigest()
        with self._in_flight_lock:
            if key in self._in_flight:
                raise ApiError(
                    409,
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    f"going through): {call.idempotency_key}. Please try again later.",
                    type="idempotency_error",
                    code="idempotency_key_in_use",
                    should_retry=True,
                )
            self._in_flight.add(key)
        try:
            saved = self.core.state.idempotent(key)
            now = self.core.clock.now()
            if saved is not None and now - saved.get("at", now) >= IDEMPOTENCY_TTL:
                saved = None  # Stripe forgets keys after 24 hours
            if saved is not None:
                if saved["fingerprint"] != fingerprint:
                    raise ApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{call.idempotency_key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                response = self._json(call, saved["status"], saved["body"])
                response.headers["Idempotent-Replayed"] = "true"
                response.headers["Original-Request"] = saved["request_id"]
                return response
            try:
                status, body = 200, handler(call)
            except ApiError as exc:
                if exc.status < 500 and exc.status != 402:
                    raise  # Stripe saves no result for a request that failed validation
                status, body = exc.status, exc.body()
            self.core.state.save_idempotent(
                key,
                {
                    "fingerprint": fingerprint,
                    "status": status,
                    "body": body,
                    "request_id": call.request_id,
                    "at": now,
                },
            )
            return self._json(call, status, body)
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(key)

    # /v1: checkout sessions ----------------------------------------------------------------

    def session_create(self, call: Call) -> Any:
        params = {k: v for k, v in call.params.items() if k != "expand"}
        params = drop_unset(params, session_create_spec())
        session = self.core.create_session(params, call.request.host_url, call.info)
        return self.core.render(session, call.expand)

    def session_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(
            p,
            [
                "limit",
                "starting_after",
                "ending_before",
                "status",
                "customer",
                "payment_intent",
                "subscription",
                "created",
                "customer_details",
                "payment_link",
            ],
        )

        email = (p.get("customer_details") or {}).get("email")

        def keep(o: dict[str, Any]) -> bool:
            if email is not None and (o.get("customer_details") or {}).get("email") != email:
                return False
            return all(
                o.get(k) == p[k]
                for k in ("status", "customer", "payment_intent", "subscription")
                if k in p
            )

        return self.core.list_objects("checkout.session", p, "/v1/checkout/sessions", keep)

    def session_retrieve(self, call: Call) -> Any:
        return self.core.render(
            self.core.get("checkout.session", call.id, param="session"), call.expand
        )

    def session_line_items(self, call: Call) -> Any:
        session = self.core.get("checkout.session", call.id, param="session")
        return self.core.list_line_items(session, call.params)

    def session_expire(self, call: Call) -> Any:
        return self.core.render(self.core.expire_session(call.id, call.info), call.expand)

    # /v1: catalogue and customers ----------------------------------------------------------

    def product_create(self, call: Call) -> Any:
        params = {k: v for k, v in call.params.items() if k != "expand"}
        return self.core.render(self.core.create_product(params), call.expand)

    def product_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(
            p,
            [
                "limit",
                "starting_after",
                "ending_before",
                "active",
                "ids",
                "created",
                "shippable",
                "url",
            ],
        )
        return self.core.list_objects(
            "product",
            p,
            "/v1/products",
            lambda o: (
                ("active" not in p or o["active"] == p["active"])
                and ("ids" not in p or o["id"] in p["ids"])
            ),
        )

    def product_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("product", call.id), call.expand)

    def price_create(self, call: Call) -> Any:
        params = {k: v for k, v in call.params.items() if k != "expand"}
        return self.core.render(self.core.create_price(params), call.expand)

    def price_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(
            p,
            [
                "limit",
                "starting_after",
                "ending_before",
                "active",
                "currency",
                "product",
                "type",
                "lookup_keys",
                "created",
                "recurring",
            ],
        )

        def keep(o: dict[str, Any]) -> bool:
            return all(
                o.get(k) == p[k] for k in ("active", "currency", "product", "type") if k in p
            ) and ("lookup_keys" not in p or o["lookup_key"] in p["lookup_keys"])

        return self.core.list_objects("price", p, "/v1/prices", keep)

    def price_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("price", call.id), call.expand)

    def customer_create(self, call: Call) -> Any:
        params = {k: v for k, v in call.params.items() if k != "expand"}
        return self.core.render(self.core.create_customer(params), call.expand)

    def customer_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(p, ["limit", "starting_after", "ending_before", "email", "created"])
        return self.core.list_objects(
            "customer", p, "/v1/customers", lambda o: "email" not in p or o["email"] == p["email"]
        )

    def customer_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("customer", call.id), call.expand)

    # /v1: intents, subscriptions, events ---------------------------------------------------

    def payment_intent_retrieve(self, call: Call) -> Any:
        return self.core.render(
            self.core.get("payment_intent", call.id, param="intent"), call.expand
        )

    def payment_intent_capture(self, call: Call) -> Any:
        params = {k: v for k, v in call.params.items() if k != "expand"}
        return self.core.render(self.core.capture(call.id, params, call.info), call.expand)

    def payment_intent_cancel(self, call: Call) -> Any:
        params = {k: v for k, v in call.params.items() if k != "expand"}
        return self.core.render(self.core.cancel(call.id, params, call.info), call.expand)

    def payment_method_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("payment_method", call.id), call.expand)

    def setup_intent_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("setup_intent", call.id, param="intent"), call.expand)

    def subscription_retrieve(self, call: Call) -> Any:
        return self.core.render(
            self.core.get("subscription", call.id, param="subscription_exposed_id"), call.expand
        )

    def event_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(
            p,
            [
                "limit",
                "starting_after",
                "ending_before",
                "type",
                "types",
                "created",
                "delivery_success",
            ],
        )
        types = p.get("types")
        if types is not None and "type" in p:
            raise invalid(
                "You may only specify one of these parameters: type, types.", param="type"
            )

        def keep(o: dict[str, Any]) -> bool:
            if "type" in p:
                wanted = p["type"]
                if wanted.endswith("*"):
                    return bool(o["type"].startswith(wanted[:-1]))
                return bool(o["type"] == wanted)
            return types is None or o["type"] in types

        return self.core.list_objects("event", p, "/v1/events", keep)

    def event_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("event", call.id), call.expand)

    # the hosted page -----------------------------------------------------------------------

    def page_show(self, call: Call) -> Response:
        return _pages.show(self.core, call.id, notice=call.request.args.get("authentication"))

    def page_submit(self, call: Call) -> Response:
        return _pages.submit(self.core, call.id, call.request.form)

    def page_auth_show(self, call: Call) -> Response:
        return _pages.show_authentication(self.core, call.id)

    def page_auth_submit(self, call: Call) -> Response:
        return _pages.submit_authentication(self.core, call.id, call.request.form)

    # /_sandbox controls --------------------------------------------------------------------

    def control_pay(self, call: Call) -> Any:
        from checkoutkit.sandbox._controls import pay

        return pay(self.core, call.id, call.params)

    def control_authenticate(self, call: Call) -> Any:
        from checkoutkit.sandbox._controls import outcome

        result = call.params.get("result", "complete")
        if result not in {"complete", "fail"}:
            raise invalid("result must be complete or fail.", param="result")
        return outcome(self.core, self.core.authenticate(call.id, complete=result == "complete"))

    def control_expire(self, call: Call) -> Any:
        return self.core.render(self.core.expire_session(call.id, None))

    def control_clock(self, call: Call) -> Any:
        return {"now": self.core.clock.timestamp(), "offset": self.core.clock.offset}

    def control_advance(self, call: Call) -> Any:
        seconds = call.params.get("seconds")
        try:
            value = float(seconds)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise invalid("seconds must be a number.", param="seconds") from None
        now = self.core.advance(value)
        return {"now": now, "offset": self.core.clock.offset}

    def control_redeliver(self, call: Call) -> Any:
        event = self.core.get("event", call.id)
        return {"event": event["id"], "queued": self.delivery.redeliver(event)}

    def control_deliveries(self, call: Call) -> Any:
        event = call.params.get("event")
        return {"object": "list", "data": self.delivery.log(event_id=event)}

    def control_endpoints(self, call: Call) -> Any:
        return {"object": "list", "data": [{"url": u} for u in self.delivery.endpoints()]}

    def control_add_endpoint(self, call: Call) -> Any:
        url = call.params.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise invalid("url must be an absolute http(s) URL.", param="url")
        self.delivery.add_endpoint(url)
        return {"url": url, "secret": self.delivery.secret}


def _api_key(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    if request.authorization is not None and request.authorization.type == "basic":
        return request.authorization.username or ""
    return ""


def _authenticate(request: Request) -> None:
    key = _api_key(request)
    if not key:
        raise ApiError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    if key.startswith(("sk_live_", "rk_live_")):
        raise ApiError(
            401,
            "A live mode API key (sk_live_…) was sent to the checkoutkit sandbox, which accepts "
            "test mode keys (sk_test_…) only. Use a test key and keep live keys out of tests.",
        )
    if not key.startswith(("sk_test_", "rk_test_")):
        shown = key[:7] + "*" * max(0, min(len(key) - 7, 12))
        raise ApiError(401, f"Invalid API Key provided: {shown}")
