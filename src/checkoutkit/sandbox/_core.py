"""What the sandbox does, independent of HTTP: objects, payments, expiry and events."""

from __future__ import annotations

import copy
import datetime as _dt
import heapq
import threading
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from checkoutkit._currencies import is_supported_currency
from checkoutkit._problems import Problem
from checkoutkit._rules import validate_session_params
from checkoutkit.sandbox import _methods
from checkoutkit.sandbox._errors import ApiError, invalid, missing
from checkoutkit.sandbox._params import reject_unknown
from checkoutkit.sandbox._state import PRIVATE, Clock, State, new_id, public

#: The API version the sandbox account answers and stamps on events (stripe 16's pin).
API_VERSION = "2026-10-28.endive"

_SESSION_FIELDS = [
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "allowed_payment_method_types",
    "amount_subtotal",
    "amount_total",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "cancel_url",
    "client_reference_id",
    "client_secret",
    "collected_information",
    "consent",
    "consent_collection",
    "created",
    "currency",
    "currency_conversion",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_account",
    "customer_creation",
    "customer_details",
    "customer_email",
    "discounts",
    "excluded_payment_method_types",
    "expires_at",
    "id",
    "integration_identifier",
    "invoice",
    "invoice_creation",
    "livemode",
    "locale",
    "managed_payments",
    "metadata",
    "mode",
    "name_collection",
    "object",
    "optional_items",
    "origin_context",
    "payment_intent",
    "payment_link",
    "payment_method_collection",
    "payment_method_configuration_details",
    "payment_method_options",
    "payment_method_types",
    "payment_status",
    "permissions",
    "phone_number_collection",
    "presentment_details",
    "recovered_from",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent",
    "shipping_address_collection",
    "shipping_cost",
    "shipping_options",
    "status",
    "submit_type",
    "subscription",
    "success_url",
    "tax_id_collection",
    "total_details",
    "ui_mode",
    "url",
    "wallet_options",
]

_EXPANDABLE = {
    "customer": "customer",
    "payment_intent": "payment_intent",
    "setup_intent": "setup_intent",
    "subscription": "subscription",
    "product": "product",
    "default_price": "price",
    "payment_method": "payment_method",
    "latest_charge": None,
}

_KINDS = {
    "cs_": "checkout.session",
    "price_": "price",
    "prod_": "product",
    "cus_": "customer",
    "pi_": "payment_intent",
    "seti_": "setup_intent",
    "sub_": "subscription",
    "evt_": "event",
    "pm_": "payment_method",
}

_KIND_WORDS = {
    "checkout.session": "checkout.session",
    "payment_intent": "payment_intent",
    "setup_intent": "setup_intent",
}


@attrs.frozen
class RequestInfo:
    """Where a change came from: the API request's ID and idempotency key (Event.request)."""

    id: str | None = None
    idempotency_key: str | None = None


@attrs.frozen
class PayResult:
    """The outcome of one payment attempt on a session.

    ``status`` is ``succeeded``, ``processing`` (SEPA, settles later), ``requires_action``
    (3D Secure pending) or ``failed`` (``code``/``message`` say why; the session stays open).
    """

    status: str
    session: dict[str, Any]
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None


class Core:
    """The sandbox's behaviour. Every public method is safe to call from any thread."""

    def __init__(
        self,
        state: State,
        clock: Clock,
        *,
        async_delay: float,
        on_event: Callable[[dict[str, Any]], object],
    ) -> None:
        self.state = state
        self.clock = clock
        self.async_delay = async_delay
        self._on_event = on_event
        self._timers: list[tuple[float, int, str, str]] = []
        self._timer_seq = 0
        self.wakeup = threading.Condition(state.lock)
        for session in state.all("checkout.session"):
            self._arm(session)

    # helpers -------------------------------------------------------------------------------

    def _now(self) -> int:
        return self.clock.timestamp()

    def _schedule(self, due: float, action: str, object_id: str) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (due, self._timer_seq, action, object_id))
        with self.wakeup:
            self.wakeup.notify_all()

    def _arm(self, session: dict[str, Any]) -> None:
        if session["status"] == "open" and session.get("expires_at"):
            self._schedule(float(session["expires_at"]), "expire", session["id"])
        pending = session.get(PRIVATE, {}).get("async")
        if pending:
            self._schedule(float(pending["due"]), "settle", session["id"])

    def next_due(self) -> float | None:
        """Sandbox time of the next timer (expiry or SEPA settlement), if any."""
        with self.state.lock:
            return self._timers[0][0] if self._timers else None

    def run_due(self) -> None:
        """Fire every timer whose sandbox time has come."""
        while True:
            with self.state.transaction():
                if not self._timers or self._timers[0][0] > self.clock.now():
                    return
                _, _, action, object_id = heapq.heappop(self._timers)
                session = self.state.get(object_id, "checkout.session")
                if session is None:
                    continue
                if action == "expire":
                    self.refresh(session)
                elif action == "settle":
                    self._settle(session)

    def advance(self, seconds: float) -> int:
        """Move the sandbox clock forward and fire what became due; the new time."""
        if seconds < 0:
            raise invalid("The clock only moves forward.", param="seconds")
        with self.state.transaction():
            self.clock.offset += seconds
            self.state.set_meta("clock_offset", self.clock.offset)
            self.wakeup.notify_all()
        self.run_due()
        return self._now()

    def get(self, kind: str, object_id: str, *, param: str = "id") -> dict[str, Any]:
        """The object, or Stripe's 404 ``resource_missing``."""
        obj = self.state.get(object_id, kind)
        if obj is None:
            raise missing(_KIND_WORDS.get(kind, kind.replace("_", " ")), object_id, param=param)
        if kind == "checkout.session":
            self.refresh(obj)
        return obj

    def render(self, obj: dict[str, Any], expand: list[str] | None = None) -> dict[str, Any]:
        """The object as answered, with ``expand`` applied to ID fields and ``line_items``."""
        out = public(obj)
        if not expand:
            return out
        out = dict(out)
        for path in expand:
            head, _, rest = path.partition(".")
            if head == "line_items" and obj.get("object") == "checkout.session":
                out["line_items"] = self.list_line_items(obj, {})
                continue
            value = out.get(head)
            if isinstance(value, str):
                target = self.state.get(value)
                if target is not None:
                    out[head] = self.render(target, [rest] if rest else None)
            elif head not in out:
                raise invalid(
                    f"This property cannot be expanded ({head}).", param="expand", code=None
                )
        return out

    def emit(self, type_: str, obj: dict[str, Any], request: RequestInfo | None) -> None:
        """Record a Stripe-shaped Event and hand it to delivery."""
        endpoints = self.state.meta.get("endpoints", [])
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now(),
            "data": {"object": copy.deepcopy(public(obj))},
            "livemode": False,
            "pending_webhooks": len(endpoints),
            "request": {
                "id": request.id if request else None,
                "idempotency_key": request.idempotency_key if request else None,
            },
            "type": type_,
        }
        self.state.put(event)
        self._on_event(event)

    def list_objects(
        self,
        kind: str,
        params: dict[str, Any],
        url: str,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Stripe's list object with ``limit``, ``starting_after`` and ``ending_before``."""
        limit = params.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise invalid(
                "Invalid limit: must be an integer between 1 and 100.",
                param="limit",
                code="parameter_invalid_integer",
            )
        items = self.state.all(kind)
        if keep is not None:
            items = [o for o in items if keep(o)]
        after, before = params.get("starting_after"), params.get("ending_before")
        ids = [o["id"] for o in items]
        if after:
            if after not in ids:
                raise missing(kind.replace("_", " "), after, param="starting_after")
            items = items[ids.index(after) + 1 :]
            page, has_more = items[:limit], len(items) > limit
        elif before:
            if before not in ids:
                raise missing(kind.replace("_", " "), before, param="ending_before")
            items = items[: ids.index(before)]
            page, has_more = items[-limit:], len(items) > limit
        else:
            page, has_more = items[:limit], len(items) > limit
        if kind == "checkout.session":
            for o in page:
                self.refresh(o)
        raw = params.get("expand", [])
        raw = [raw] if isinstance(raw, str) else raw
        if not isinstance(raw, list) or not all(isinstance(e, str) for e in raw):
            raise invalid("Invalid array", param="expand", code="parameter_invalid")
        expand = [e.removeprefix("data.") for e in raw]
        return {
            "object": "list",
            "data": [self.render(o, expand) for o in page],
            "has_more": has_more,
            "url": url,
        }

    # products, prices, customers -----------------------------------------------------------

    def create_product(self, params: dict[str, Any], *, active: bool = True) -> dict[str, Any]:
        """``POST /v1/products``."""
        reject_unknown(
            params,
            [
                "id",
                "name",
                "active",
                "description",
                "images",
                "metadata",
                "tax_code",
                "unit_label",
                "url",
                "shippable",
                "statement_descriptor",
                "default_price_data",
                "marketing_features",
            ],
        )
        name = params.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("Missing required param: name.", param="name", code="parameter_missing")
        product_id = params.get("id") or new_id("prod_", 14)
        if self.state.get(product_id) is not None:
            raise invalid(
                f"Product already exists: {product_id}", param="id", code="resource_already_exists"
            )
        now = self._now()
        with self.state.transaction():
            product = {
                "id": product_id,
                "object": "product",
                "active": params.get("active", active),
                "created": now,
                "default_price": None,
                "description": params.get("description"),
                "images": params.get("images", []),
                "livemode": False,
                "marketing_features": [],
                "metadata": params.get("metadata", {}),
                "name": name,
                "package_dimensions": None,
                "shippable": params.get("shippable"),
                "statement_descriptor": params.get("statement_descriptor"),
                "tax_code": params.get("tax_code"),
                "type": "service",
                "unit_label": params.get("unit_label"),
                "updated": now,
                "url": params.get("url"),
            }
            self.state.put(product)
            if isinstance(params.get("default_price_data"), dict):
                price = self.create_price(
                    {**params["default_price_data"], "product": product_id},
                    where="default_price_data",
                )
                product["default_price"] = price["id"]
                self.state.put(product)
        return product

    def create_price(
        self, params: dict[str, Any], *, active: bool = True, where: str = ""
    ) -> dict[str, Any]:
        """``POST /v1/prices`` (also used for inline ``price_data``)."""

        def name(key: str) -> str:
            return f"{where}[{key}]" if where else key

        if not where:
            reject_unknown(
                params,
                [
                    "active",
                    "currency",
                    "custom_unit_amount",
                    "lookup_key",
                    "metadata",
                    "nickname",
                    "product",
                    "product_data",
                    "recurring",
                    "tax_behavior",
                    "unit_amount",
                    "unit_amount_decimal",
                    "billing_scheme",
                    "transfer_lookup_key",
                ],
            )
        currency = params.get("currency")
        if not isinstance(currency, str) or not currency:
            raise invalid(
                "Missing required param: currency.",
                param=name("currency"),
                code="parameter_missing",
            )
        if not is_supported_currency(currency):
            raise invalid(
                f"Invalid currency: {currency.lower()}. Stripe currently supports these "
                "currencies: see https://stripe.com/docs/currencies",
                param=name("currency"),
                code="parameter_invalid",
            )
        product_id = params.get("product")
        product_data = params.get("product_data")
        if product_id and product_data:
            raise invalid(
                "You may only specify one of these parameters: product, product_data.",
                param=name("product"),
            )
        if isinstance(product_id, str) and product_id:
            if self.state.get(product_id, "product") is None:
                raise missing("product", product_id, param=name("product"))
        elif isinstance(product_data, dict):
            product_id = self.create_product(product_data, active=active)["id"]
        else:
            raise invalid(
                "Missing required param: product.", param=name("product"), code="parameter_missing"
            )
        custom = params.get("custom_unit_amount")
        unit_amount = params.get("unit_amount")
        decimal = params.get("unit_amount_decimal")
        if isinstance(custom, dict) and custom.get("enabled"):
            if unit_amount is not None or decimal is not None:
                raise invalid(
                    "You may only specify one of these parameters: custom_unit_amount, "
                    "unit_amount.",
                    param=name("custom_unit_amount"),
                )
            if params.get("recurring"):
                raise invalid(
                    "custom_unit_amount is not supported for recurring prices.",
                    param=name("custom_unit_amount"),
                )
            lo, hi = custom.get("minimum"), custom.get("maximum")
            if lo is not None and hi is not None and lo > hi:
                raise invalid(
                    "custom_unit_amount[minimum] must be less than or equal to "
                    "custom_unit_amount[maximum].",
                    param=name("custom_unit_amount[minimum]"),
                )
            custom_out: dict[str, Any] | None = {
                "maximum": hi,
                "minimum": lo,
                "preset": custom.get("preset"),
            }
        else:
            custom_out = None
            if unit_amount is None and decimal is None:
                raise invalid(
                    "Missing required param: unit_amount.",
                    param=name("unit_amount"),
                    code="parameter_missing",
                )
            if unit_amount is not None and (not isinstance(unit_amount, int) or unit_amount < 0):
                raise invalid(
                    "Invalid non-negative integer",
                    param=name("unit_amount"),
                    code="parameter_invalid_integer",
                )
            if decimal is not None:
                try:
                    Decimal(str(decimal))
                except ArithmeticError:
                    raise invalid(
                        f"Invalid decimal: {decimal}", param=name("unit_amount_decimal")
                    ) from None
        recurring = params.get("recurring")
        recurring_out = None
        if isinstance(recurring, dict):
            interval = recurring.get("interval")
            if interval not in {"day", "week", "month", "year"}:
                raise invalid(
                    "Invalid recurring[interval]: must be one of day, week, month, or year",
                    param=name("recurring[interval]"),
                )
            recurring_out = {
                "interval": interval,
                "interval_count": recurring.get("interval_count", 1),
                "meter": None,
                "trial_period_days": recurring.get("trial_period_days"),
                "usage_type": recurring.get("usage_type", "licensed"),
            }
        if decimal is None and unit_amount is not None:
            decimal = str(unit_amount)
        price = {
            "id": new_id("price_"),
            "object": "price",
            "active": params.get("active", active),
            "billing_scheme": "per_unit",
            "created": self._now(),
            "currency": currency.lower(),
            "custom_unit_amount": custom_out,
            "livemode": False,
            "lookup_key": params.get("lookup_key"),
            "metadata": params.get("metadata", {}),
            "nickname": params.get("nickname"),
            "product": product_id,
            "recurring": recurring_out,
            "tax_behavior": params.get("tax_behavior", "unspecified"),
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring_out else "one_time",
            "unit_amount": unit_amount
            if unit_amount is not None
            else (None if decimal is None else _round(Decimal(str(decimal)))),
            "unit_amount_decimal": None if decimal is None else str(decimal),
        }
        return self.state.put(price)

    def create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/customers``."""
        reject_unknown(
            params,
            [
                "address",
                "description",
                "email",
                "metadata",
                "name",
                "phone",
                "preferred_locales",
                "shipping",
                "tax_exempt",
                "payment_method",
                "invoice_settings",
            ],
        )
        return self._new_customer(
            email=params.get("email"),
            name=params.get("name"),
            metadata=params.get("metadata", {}),
            extra={k: params[k] for k in ("description", "phone", "address") if k in params},
        )

    def _new_customer(
        self,
        *,
        email: str | None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        customer = {
            "id": new_id("cus_", 14),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self._now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": email,
            "invoice_prefix": new_id("", 8).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": metadata or {},
            "name": name,
            "next_invoice_sequence": 1,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
            **(extra or {}),
        }
        return self.state.put(customer)

    # checkout sessions ---------------------------------------------------------------------

    def create_session(
        self, params: dict[str, Any], base_url: str, request: RequestInfo
    ) -> dict[str, Any]:
        """``POST /v1/checkout/sessions``: validate, resolve prices, compute amounts."""
        problems = _validate(params, now=self._now())
        if problems:
            first = problems[0]
            raise invalid(first.message, param=first.param or None, code=first.code)
        _check_shape(params)
        mode = params["mode"]
        with self.state.transaction():
            customer = params.get("customer")
            if customer and self.state.get(customer, "customer") is None:
                raise missing("customer", customer, param="customer")
            items, currency = self._line_items(params, mode)
            subtotal = sum(li["amount_subtotal"] for li in items)
            session_id = new_id("cs_test_", 58)
            ui_mode = params.get("ui_mode", "hosted_page")
            now = self._now()
            session: dict[str, Any] = dict.fromkeys(_SESSION_FIELDS)
            pms = params.get("allowed_payment_method_types") or (
                ["card", "sepa_debit"] if currency == "eur" else ["card"]
            )
            session.update(
                {
                    "id": session_id,
                    "object": "checkout.session",
                    "adaptive_pricing": {"enabled": False},
                    "allow_promotion_codes": params.get("allow_promotion_codes"),
                    "allowed_payment_method_types": params.get("allowed_payment_method_types"),
                    "amount_subtotal": subtotal if mode != "setup" else None,
                    "amount_total": subtotal if mode != "setup" else None,
                    "automatic_tax": {
                        "enabled": bool(params.get("automatic_tax", {}).get("enabled", False)),
                        "liability": None,
                        "provider": None,
                        "status": None,
                    },
                    "billing_address_collection": params.get("billing_address_collection"),
                    "cancel_url": params.get("cancel_url"),
                    "client_reference_id": params.get("client_reference_id"),
                    "client_secret": (
                        None
                        if ui_mode == "hosted_page"
                        else f"{session_id}_secret_{new_id('', 24)}"
                    ),
                    "created": now,
                    "currency": currency,
                    "custom_fields": params.get("custom_fields", []),
                    "custom_text": {
                        "after_submit": None,
                        "shipping_address": None,
                        "submit": None,
                        "terms_of_service_acceptance": None,
                    },
                    "customer": customer,
                    "customer_creation": params.get(
                        "customer_creation", "if_required" if mode != "subscription" else None
                    ),
                    "customer_email": params.get("customer_email"),
                    "discounts": params.get("discounts", []),
                    "excluded_payment_method_types": params.get("excluded_payment_method_types"),
                    "expires_at": params.get("expires_at", now + 24 * 3600),
                    "invoice_creation": (
                        {
                            "enabled": bool(
                                params.get("invoice_creation", {}).get("enabled", False)
                            ),
                            "invoice_data": None,
                        }
                        if mode == "payment"
                        else None
                    ),
                    "livemode": False,
                    "locale": params.get("locale"),
                    "metadata": params.get("metadata", {}),
                    "mode": mode,
                    "payment_method_collection": (
                        params.get("payment_method_collection", "always")
                        if mode == "subscription"
                        else None
                    ),
                    "payment_method_options": params.get("payment_method_options", {}),
                    "payment_method_types": pms,
                    "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
                    "phone_number_collection": {
                        "enabled": bool(
                            params.get("phone_number_collection", {}).get("enabled", False)
                        )
                    },
                    "redirect_on_completion": (
                        params.get("redirect_on_completion", "always")
                        if ui_mode != "hosted_page"
                        else None
                    ),
                    "return_url": params.get("return_url"),
                    "saved_payment_method_options": _saved_options(params),
                    "shipping_options": [],
                    "status": "open",
                    "submit_type": params.get("submit_type"),
                    "success_url": params.get("success_url"),
                    "total_details": (
                        {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
                        if mode != "setup"
                        else None
                    ),
                    "ui_mode": ui_mode,
                    "url": (
                        f"{base_url.rstrip('/')}/c/pay/{session_id}"
                        if ui_mode == "hosted_page"
                        else None
                    ),
                    PRIVATE: {
                        "line_items": items,
                        "payment_intent_data": params.get("payment_intent_data", {}),
                        "subscription_data": params.get("subscription_data", {}),
                        "setup_intent_data": params.get("setup_intent_data", {}),
                        "error": None,
                    },
                }
            )
            self.state.put(session)
            self._arm(session)
        return session

    def _line_items(
        self, params: dict[str, Any], mode: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        currency: str | None = params.get("currency")
        currency = currency.lower() if isinstance(currency, str) else None
        items: list[dict[str, Any]] = []
        raw_items = params.get("line_items") or []
        recurring = 0
        for i, raw in enumerate(raw_items):
            where = f"line_items[{i}]"
            if raw.get("price"):
                price = self.state.get(raw["price"], "price")
                if price is None:
                    raise missing("price", raw["price"], param=f"{where}[price]")
                if not price["active"]:
                    raise invalid(
                        f"The price `{price['id']}` is not active, and cannot be used in a "
                        "Checkout Session.",
                        param=f"{where}[price]",
                    )
            else:
                price = self.create_price(
                    raw["price_data"], active=False, where=f"{where}[price_data]"
                )
            if price["currency"] != (currency or price["currency"]):
                raise invalid(
                    f"The price specified supports currencies of `{price['currency']}` which "
                    f"doesn't include the expected currency of `{currency}`.",
                    param=f"{where}[price]",
                )
            currency = price["currency"]
            if price["recurring"]:
                recurring += 1
                if mode == "payment":
                    raise invalid(
                        "You specified `payment` mode but passed a recurring price. Either "
                        "switch to `subscription` mode or use only one-time prices.",
                        param=f"{where}[price]",
                    )
            quantity = raw.get("quantity", 1)
            custom = price["custom_unit_amount"]
            if custom is not None:
                if mode != "payment" or len(raw_items) > 1:
                    raise invalid(
                        "Prices with `custom_unit_amount` can only be used in `payment` mode "
                        "as the only line item.",
                        param=f"{where}[price]",
                    )
                if quantity != 1:
                    raise invalid(
                        "Prices with `custom_unit_amount` only support a quantity of 1.",
                        param=f"{where}[quantity]",
                    )
                unit = Decimal(custom["preset"] or 0)
            else:
                unit = Decimal(price["unit_amount_decimal"])
            amount = _round(unit * quantity)
            product = self.state.get(price["product"], "product") or {}
            items.append(
                {
                    "id": new_id("li_"),
                    "object": "item",
                    "adjustable_quantity": raw.get("adjustable_quantity"),
                    "amount_discount": 0,
                    "amount_subtotal": amount,
                    "amount_tax": 0,
                    "amount_total": amount,
                    "currency": price["currency"],
                    "description": product.get("name"),
                    "metadata": raw.get("metadata", {}),
                    "price": price["id"],
                    "quantity": quantity,
                }
            )
        if mode == "subscription" and raw_items and not recurring:
            raise invalid(
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                param="line_items",
            )
        return items, currency

    def list_line_items(self, session: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """``GET /v1/checkout/sessions/{id}/line_items`` as a list object."""
        items = session.get(PRIVATE, {}).get("line_items", [])
        data = [{**li, "price": public(self.state.get(li["price"]) or {})} for li in items]
        limit = params.get("limit", 10)
        after = params.get("starting_after")
        if after:
            ids = [d["id"] for d in data]
            data = data[ids.index(after) + 1 :] if after in ids else []
        return {
            "object": "list",
            "data": data[:limit],
            "has_more": len(data) > limit,
            "url": f"/v1/checkout/sessions/{session['id']}/line_items",
        }

    def refresh(self, session: dict[str, Any]) -> None:
        """Expire an open session whose ``expires_at`` has passed on the sandbox clock."""
        if session["status"] == "open" and session["expires_at"] <= self.clock.now():
            self._expire(session, None)

    def expire_session(self, session_id: str, request: RequestInfo | None) -> dict[str, Any]:
        """``POST /v1/checkout/sessions/{id}/expire``."""
        with self.state.transaction():
            session = self.get("checkout.session", session_id, param="session")
            if session["status"] != "open":
                raise invalid(
                    'Only Checkout Sessions with a status in ["open"] can be expired. This '
                    f'Checkout Session has a status of "{session["status"]}".',
                    param="session",
                )
            self._expire(session, request)
        return session

    def _expire(self, session: dict[str, Any], request: RequestInfo | None) -> None:
        with self.state.transaction():
            session["status"] = "expired"
            session["url"] = None
            self.state.put(session)
            self.emit("checkout.session.expired", session, request)

    # payments ------------------------------------------------------------------------------

    def pay(
        self,
        session_id: str,
        method: _methods.Card | _methods.Iban,
        *,
        email: str | None = None,
        save: bool = False,
        amount: int | None = None,
    ) -> PayResult:
        """One payment attempt, as the payment page makes it. See :class:`PayResult`."""
        with self.state.transaction():
            session = self.get("checkout.session", session_id, param="session")
            self._check_open(session)
            private = session[PRIVATE]
            if private.get("pending_auth"):
                private["pending_auth"] = None
            try:
                self._apply_custom_amount(session, amount)
                today = _dt.datetime.fromtimestamp(self.clock.now(), _dt.timezone.utc).date()
                if isinstance(method, _methods.Card):
                    _methods.check_card(method, today)
                    decline = _methods.decline_for(method)
                    if decline is not None:
                        raise decline
                else:
                    _methods.check_iban(method)
                    if session["currency"] not in {None, "eur"}:
                        raise _methods.MethodError(
                            "payment_method_currency_mismatch",
                            "SEPA Direct Debit can only be used for payments in EUR.",
                        )
            except _methods.MethodError as exc:
                private["error"] = {"code": exc.code, "message": exc.message}
                self.state.put(session)
                return PayResult(
                    "failed",
                    session,
                    code=exc.code,
                    decline_code=exc.decline_code,
                    message=exc.message,
                )
            email = email or session.get("customer_email")
            if isinstance(method, _methods.Card) and method.number in (
                _methods.REQUIRES_AUTHENTICATION
            ):
                private["pending_auth"] = {
                    "card": attrs.asdict(method),
                    "email": email,
                    "save": save,
                }
                private["error"] = None
                self.state.put(session)
                return PayResult("requires_action", session)
            return self._succeed(session, method, email=email, save=save)

    def authenticate(self, session_id: str, *, complete: bool) -> PayResult:
        """Finish (``complete=True``) or fail a pending 3D Secure authentication."""
        with self.state.transaction():
            session = self.get("checkout.session", session_id, param="session")
            self._check_open(session)
            private = session[PRIVATE]
            pending = private.get("pending_auth")
            if not pending:
                raise invalid(
                    "This Checkout Session has no payment waiting for authentication.",
                    param="session",
                )
            private["pending_auth"] = None
            if not complete:
                message = (
                    "We are unable to authenticate your payment method. Please choose a "
                    "different payment method and try again."
                )
                private["error"] = {
                    "code": "payment_intent_authentication_failure",
                    "message": message,
                }
                self.state.put(session)
                return PayResult(
                    "failed",
                    session,
                    code="payment_intent_authentication_failure",
                    message=message,
                )
            card = _methods.Card(**pending["card"])
            return self._succeed(session, card, email=pending["email"], save=pending["save"])

    def _check_open(self, session: dict[str, Any]) -> None:
        if session["status"] == "expired":
            raise invalid(
                "This Checkout Session is no longer active: it has expired.",
                param="session",
                code="checkout_session_expired",
            )
        if session["status"] == "complete":
            raise invalid(
                "This Checkout Session is already complete: it cannot be paid again.",
                param="session",
                code="checkout_session_complete",
            )

    def _apply_custom_amount(self, session: dict[str, Any], amount: int | None) -> None:
        items = session[PRIVATE]["line_items"]
        price = self.state.get(items[0]["price"], "price") if items else None
        custom = price["custom_unit_amount"] if price else None
        if custom is None:
            return
        chosen = amount if amount is not None else custom["preset"]
        if chosen is None:
            raise _methods.MethodError("amount_required", "Enter the amount you want to pay.")
        lo, hi = custom["minimum"], custom["maximum"]
        if chosen < (lo if lo is not None else 1) or (hi is not None and chosen > hi):
            raise _methods.MethodError(
                "amount_out_of_range",
                f"Enter an amount between {lo or 1} and {hi if hi is not None else 'any'}.",
            )
        items[0].update(amount_subtotal=chosen, amount_total=chosen)
        session["amount_subtotal"] = session["amount_total"] = chosen

    def _payment_method(
        self, method: _methods.Card | _methods.Iban, email: str | None
    ) -> dict[str, Any]:
        pm: dict[str, Any] = {
            "id": new_id("pm_"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {
                    "city": None,
                    "country": None,
                    "line1": None,
                    "line2": None,
                    "postal_code": getattr(method, "postal_code", None) or None,
                    "state": None,
                },
                "email": email,
                "name": None,
                "phone": None,
            },
            "created": self._now(),
            "customer": None,
            "livemode": False,
            "metadata": {},
        }
        if isinstance(method, _methods.Card):
            pm["type"] = "card"
            pm["card"] = {
                "brand": method.brand,
                "country": "US",
                "exp_month": method.exp_month,
                "exp_year": method.exp_year if method.exp_year >= 100 else 2000 + method.exp_year,
                "funding": "credit",
                "last4": method.number[-4:],
            }
        else:
            pm["type"] = "sepa_debit"
            pm["sepa_debit"] = {
                "bank_code": method.iban[4:12],
                "country": method.iban[:2],
                "last4": method.iban[-4:],
            }
        return self.state.put(pm)

    def _succeed(
        self,
        session: dict[str, Any],
        method: _methods.Card | _methods.Iban,
        *,
        email: str | None,
        save: bool,
    ) -> PayResult:
        private = session[PRIVATE]
        mode = session["mode"]
        sepa = isinstance(method, _methods.Iban)
        pm = self._payment_method(method, email)
        customer_id = session["customer"]
        if customer_id is None and (
            mode == "subscription" or session.get("customer_creation") == "always"
        ):
            customer_id = self._new_customer(email=email)["id"]
            session["customer"] = customer_id
        if customer_id and (save or mode != "payment"):
            pm["customer"] = customer_id
            if save:
                pm["allow_redisplay"] = "always"
        session["customer_details"] = {
            "address": pm["billing_details"]["address"],
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        session["status"] = "complete"
        session["url"] = None
        private["error"] = None
        events: list[tuple[str, dict[str, Any]]] = []
        status = "succeeded"
        if mode == "payment":
            pi = self._payment_intent(session, pm, customer_id, save=save, sepa=sepa)
            session["payment_intent"] = pi["id"]
            if sepa:
                status = "processing"
                session["payment_status"] = "unpaid"
                events.append(("payment_intent.processing", pi))
            else:
                session["payment_status"] = "paid"
                if pi["status"] == "requires_capture":
                    events.append(("payment_intent.amount_capturable_updated", pi))
                else:
                    events.append(("payment_intent.succeeded", pi))
        elif mode == "setup":
            si = self._setup_intent(session, pm, customer_id)
            session["setup_intent"] = si["id"]
            events.append(("setup_intent.succeeded", si))
        else:
            sub = self._subscription(session, pm, customer_id, active=not sepa)
            session["subscription"] = sub["id"]
            session["payment_status"] = "unpaid" if sepa else "paid"
            events.append(("customer.subscription.created", sub))
            if sepa:
                status = "processing"
        if status == "processing":
            due = self.clock.now() + self.async_delay
            private["async"] = {
                "due": due,
                "succeed": method.iban not in _methods.FAILING_IBANS,  # type: ignore[union-attr]
            }
            self._schedule(due, "settle", session["id"])
        self.state.put(session)
        self.emit("checkout.session.completed", session, None)
        for type_, obj in events:
            self.emit(type_, obj, None)
        return PayResult(status, session)

    def _payment_intent(
        self,
        session: dict[str, Any],
        pm: dict[str, Any],
        customer_id: str | None,
        *,
        save: bool,
        sepa: bool,
    ) -> dict[str, Any]:
        data = session[PRIVATE]["payment_intent_data"]
        manual = data.get("capture_method") == "manual" and not sepa
        amount = session["amount_total"]
        status = "processing" if sepa else ("requires_capture" if manual else "succeeded")
        pi_id = new_id("pi_")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": amount if manual else 0,
            "amount_details": {"tip": {}},
            "amount_received": amount if status == "succeeded" else 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": data.get("capture_method", "automatic_async"),
            "client_secret": f"{pi_id}_secret_{new_id('', 24)}",
            "confirmation_method": "automatic",
            "created": self._now(),
            "currency": session["currency"],
            "customer": customer_id,
            "description": data.get("description"),
            "last_payment_error": None,
            "latest_charge": None if sepa or manual else new_id("ch_"),
            "livemode": False,
            "metadata": data.get("metadata", {}),
            "next_action": None,
            "on_behalf_of": data.get("on_behalf_of"),
            "payment_method": pm["id"],
            "payment_method_options": {},
            "payment_method_types": [pm["type"]],
            "processing": None,
            "receipt_email": data.get("receipt_email"),
            "review": None,
            "setup_future_usage": data.get("setup_future_usage")
            or ("off_session" if save else None),
            "shipping": None,
            "source": None,
            "statement_descriptor": data.get("statement_descriptor"),
            "statement_descriptor_suffix": data.get("statement_descriptor_suffix"),
            "status": status,
            "transfer_data": None,
            "transfer_group": data.get("transfer_group"),
        }
        return self.state.put(pi)

    def _setup_intent(
        self, session: dict[str, Any], pm: dict[str, Any], customer_id: str | None
    ) -> dict[str, Any]:
        data = session[PRIVATE]["setup_intent_data"]
        si_id = new_id("seti_")
        si = {
            "id": si_id,
            "object": "setup_intent",
            "application": None,
            "automatic_payment_methods": None,
            "cancellation_reason": None,
            "client_secret": f"{si_id}_secret_{new_id('', 24)}",
            "created": self._now(),
            "customer": customer_id,
            "description": data.get("description"),
            "flow_directions": None,
            "last_setup_error": None,
            "latest_attempt": new_id("setatt_"),
            "livemode": False,
            "mandate": new_id("mandate_") if pm["type"] == "sepa_debit" else None,
            "metadata": data.get("metadata", {}),
            "next_action": None,
            "on_behalf_of": data.get("on_behalf_of"),
            "payment_method": pm["id"],
            "payment_method_options": {},
            "payment_method_types": [pm["type"]],
            "single_use_mandate": None,
            "status": "succeeded",
            "usage": "off_session",
        }
        return self.state.put(si)

    def _subscription(
        self,
        session: dict[str, Any],
        pm: dict[str, Any],
        customer_id: str | None,
        *,
        active: bool,
    ) -> dict[str, Any]:
        data = session[PRIVATE]["subscription_data"]
        now = self._now()
        sub_id = new_id("sub_")
        items = []
        for li in session[PRIVATE]["line_items"]:
            price = self.state.get(li["price"], "price") or {}
            if not price.get("recurring"):
                continue
            items.append(
                {
                    "id": new_id("si_", 14),
                    "object": "subscription_item",
                    "created": now,
                    "current_period_end": now + _period(price["recurring"]),
                    "current_period_start": now,
                    "metadata": {},
                    "price": public(price),
                    "quantity": li["quantity"],
                    "subscription": sub_id,
                }
            )
        trial_days = data.get("trial_period_days")
        sub = {
            "id": sub_id,
            "object": "subscription",
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": now,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "collection_method": "charge_automatically",
            "created": now,
            "currency": session["currency"],
            "customer": customer_id,
            "days_until_due": None,
            "default_payment_method": pm["id"],
            "description": data.get("description"),
            "discounts": [],
            "ended_at": None,
            "items": {
                "object": "list",
                "data": items,
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": data.get("metadata", {}),
            "pending_setup_intent": None,
            "pending_update": None,
            "start_date": now,
            "status": ("trialing" if trial_days else "active") if active else "incomplete",
            "trial_end": now + trial_days * 86400 if trial_days else None,
            "trial_start": now if trial_days else None,
        }
        return self.state.put(sub)

    def _settle(self, session: dict[str, Any]) -> None:
        private = session[PRIVATE]
        pending = private.get("async")
        if not pending:
            return
        private["async"] = None
        ok = pending["succeed"]
        if session["payment_intent"]:
            pi = self.state.get(session["payment_intent"], "payment_intent")
            if pi is not None:
                if ok:
                    pi.update(status="succeeded", amount_received=pi["amount"])
                    pi["latest_charge"] = new_id("ch_")
                else:
                    pi["status"] = "requires_payment_method"
                    pi["last_payment_error"] = {
                        "code": "insufficient_funds",
                        "message": "The account has insufficient funds to cover this payment.",
                        "type": "card_error",
                    }
                self.state.put(pi)
                session_events = [
                    ("payment_intent.succeeded" if ok else "payment_intent.payment_failed", pi)
                ]
            else:
                session_events = []
        else:
            sub = self.state.get(session["subscription"] or "", "subscription")
            session_events = []
            if sub is not None:
                sub["status"] = "active" if ok else "incomplete_expired"
                self.state.put(sub)
                session_events.append(("customer.subscription.updated", sub))
        if ok:
            session["payment_status"] = "paid"
        self.state.put(session)
        self.emit(
            "checkout.session.async_payment_succeeded"
            if ok
            else "checkout.session.async_payment_failed",
            session,
            None,
        )
        for type_, obj in session_events:
            self.emit(type_, obj, None)

    def capture(self, pi_id: str, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        """``POST /v1/payment_intents/{id}/capture``."""
        reject_unknown(params, ["amount_to_capture", "metadata", "final_capture"])
        with self.state.transaction():
            pi = self.get("payment_intent", pi_id, param="intent")
            if pi["status"] != "requires_capture":
                raise invalid(
                    "This PaymentIntent could not be captured because it has a status of "
                    f"{pi['status']}. Only a PaymentIntent with one of the following statuses "
                    "may be captured: requires_capture.",
                    param="intent",
                    code="payment_intent_unexpected_state",
                )
            amount = params.get("amount_to_capture", pi["amount_capturable"])
            if not isinstance(amount, int) or not 0 < amount <= pi["amount_capturable"]:
                raise invalid(
                    "The amount to capture must be positive and at most the amount capturable "
                    f"({pi['amount_capturable']}).",
                    param="amount_to_capture",
                )
            pi.update(
                status="succeeded",
                amount_received=amount,
                amount_capturable=0,
                latest_charge=new_id("ch_"),
            )
            pi["metadata"].update(params.get("metadata", {}))
            self.state.put(pi)
            self.emit("payment_intent.succeeded", pi, request)
        return pi

    def cancel(self, pi_id: str, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        """``POST /v1/payment_intents/{id}/cancel``."""
        reject_unknown(params, ["cancellation_reason"])
        with self.state.transaction():
            pi = self.get("payment_intent", pi_id, param="intent")
            if pi["status"] in {"succeeded", "canceled", "processing"}:
                raise invalid(
                    "You cannot cancel this PaymentIntent because it has a status of "
                    f"{pi['status']}. Only a PaymentIntent with one of the following statuses "
                    "may be canceled: requires_payment_method, requires_capture, "
                    "requires_confirmation, requires_action.",
                    param="intent",
                    code="payment_intent_unexpected_state",
                )
            pi.update(
                status="canceled",
                canceled_at=self._now(),
                cancellation_reason=params.get("cancellation_reason", "requested_by_customer"),
                amount_capturable=0,
            )
            self.state.put(pi)
            self.emit("payment_intent.canceled", pi, request)
        return pi


def _validate(params: dict[str, Any], *, now: int) -> tuple[Problem, ...]:
    """The shared offline rules: the sandbox answers what Stripe would for the same params."""
    return validate_session_params(params, now=now)


def _check_shape(params: dict[str, Any]) -> None:
    """What the sandbox itself needs to build a session, whatever the rules let through."""
    mode = params.get("mode")
    if mode not in {"payment", "setup", "subscription"}:
        raise invalid(
            "Invalid mode: must be one of payment, setup, or subscription",
            param="mode",
            code="parameter_missing" if mode is None else "parameter_invalid",
        )
    items = params.get("line_items", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid("Invalid array", param="line_items", code="parameter_invalid")
    if mode != "setup" and not items:
        raise invalid(
            f"line_items is required in `{mode}` mode.",
            param="line_items",
            code="parameter_missing",
        )
    for i, item in enumerate(items):
        if bool(item.get("price")) == isinstance(item.get("price_data"), dict):
            raise invalid(
                "You must provide either price or price_data for each line item when using prices.",
                param=f"line_items[{i}]",
                code="parameter_missing",
            )
        quantity = item.get("quantity", 1)
        if not isinstance(quantity, int) or quantity < 1:
            raise invalid(
                "Quantity must be a positive integer.",
                param=f"line_items[{i}][quantity]",
                code="parameter_invalid_integer",
            )


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _period(recurring: dict[str, Any]) -> int:
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[recurring["interval"]]
    return int(days * 86400 * recurring.get("interval_count", 1))


def _saved_options(params: dict[str, Any]) -> dict[str, Any] | None:
    given = params.get("saved_payment_method_options")
    if not isinstance(given, dict):
        return None
    return {
        "allow_redisplay_filters": given.get("allow_redisplay_filters", ["always"]),
        "payment_method_remove": given.get("payment_method_remove", "disabled"),
        "payment_method_save": given.get("payment_method_save", "disabled"),
    }


def kind_of(object_id: str) -> str | None:
    """The ``object`` kind an ID names, from its prefix."""
    for prefix, kind in _KINDS.items():
        if object_id.startswith(prefix):
            return kind
    return None


__all__ = ["API_VERSION", "ApiError", "Core", "PayResult", "RequestInfo", "kind_of"]
