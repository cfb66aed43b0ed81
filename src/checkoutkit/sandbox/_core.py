"""What the sandbox does, independent of HTTP: sessions, expiry, events and lists.

:class:`Core` joins the catalogue (:mod:`._catalog`) and payments (:mod:`._payments`).
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from checkoutkit._currencies import maximum_amount
from checkoutkit._problems import Problem
from checkoutkit._rules import validate_session_params
from checkoutkit.sandbox import _collect, _shapes
from checkoutkit.sandbox._catalog import Catalog
from checkoutkit.sandbox._common import API_VERSION, RequestInfo
from checkoutkit.sandbox._common import round_half_up as _round
from checkoutkit.sandbox._discounts import Discounts
from checkoutkit.sandbox._errors import from_problem, invalid, missing, unknown_reference
from checkoutkit.sandbox._modelled import refuse_unmodelled
from checkoutkit.sandbox._payments import Payments, PayResult
from checkoutkit.sandbox._shipping import Shipping
from checkoutkit.sandbox._state import PRIVATE, Clock, State, new_id, public, snapshot

#: How far (seconds) tests may move the sandbox clock ahead of the wall clock.
MAX_CLOCK_OFFSET = 50 * 365 * 24 * 3600

_KIND_WORDS = {
    "checkout.session": "checkout.session",
    "payment_intent": "payment_intent",
    "setup_intent": "setup_intent",
}


class Core(Catalog, Discounts, Shipping, Payments):
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
        if not math.isfinite(seconds) or seconds < 0:
            raise invalid("The clock only moves forward.", param="seconds")
        if self.clock.offset + seconds > MAX_CLOCK_OFFSET:
            raise invalid("The sandbox clock moves at most 50 years ahead.", param="seconds")
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
        """A snapshot of the object as answered, with ``expand`` applied to ID fields.

        The copy is taken under the state lock, so serialising it later never races a payment
        or an expiry changing the object on another thread.
        """
        with self.state.lock:
            out: dict[str, Any] = _shapes.drop_absent(snapshot(public(obj)))
        if not expand:
            return out
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

    def emit(
        self,
        type_: str,
        obj: dict[str, Any],
        request: RequestInfo | None,
        previous: dict[str, Any] | None = None,
    ) -> None:
        """Record a Stripe-shaped Event and hand it to delivery.

        ``previous`` becomes ``data.previous_attributes`` (the changed fields' old values), as
        on Stripe's ``*.updated`` events; omitted when empty.
        """
        endpoints = self.state.meta.get("endpoints", [])
        data: dict[str, Any] = {"object": _shapes.drop_absent(snapshot(public(obj)))}
        if previous:
            data["previous_attributes"] = snapshot(previous)
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now(),
            "data": data,
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
                raise unknown_reference(kind.replace("_", " "), after, param="starting_after")
            items = items[ids.index(after) + 1 :]
            page, has_more = items[:limit], len(items) > limit
        elif before:
            if before not in ids:
                raise unknown_reference(kind.replace("_", " "), before, param="ending_before")
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
            raise invalid("Invalid array", param="expand")
        expand = [e.removeprefix("data.") for e in raw]
        return {
            "object": "list",
            "data": [self.render(o, expand) for o in page],
            "has_more": has_more,
            "url": url,
        }

    # checkout sessions ---------------------------------------------------------------------

    def create_session(
        self, params: dict[str, Any], base_url: str, request: RequestInfo
    ) -> dict[str, Any]:
        """``POST /v1/checkout/sessions``: validate, resolve prices, compute amounts."""
        problems = _validate(params, now=self._now())
        if problems:
            raise from_problem(problems[0])
        _check_shape(params)
        refuse_unmodelled(params)
        mode = params["mode"]
        with self.state.transaction():
            customer = params.get("customer")
            if customer and self.state.get(customer, "customer") is None:
                raise unknown_reference("customer", customer, param="customer")
            items, currency = self._line_items(params, mode)
            session_id = new_id("cs_test_", 58)
            ui_mode = params.get("ui_mode", "hosted_page")
            now = self._now()
            session: dict[str, Any] = dict.fromkeys(_shapes.SESSION_FIELDS)
            pms = [
                t
                for t in params.get("allowed_payment_method_types")
                or (["card", "sepa_debit"] if currency == "eur" else ["card"])
                if t not in params.get("excluded_payment_method_types", [])
            ]
            session.update(
                {
                    "id": session_id,
                    "object": "checkout.session",
                    "adaptive_pricing": {"enabled": False},
                    "allow_promotion_codes": params.get("allow_promotion_codes"),
                    "allowed_payment_method_types": params.get("allowed_payment_method_types"),
                    "automatic_tax": {
                        "enabled": False,
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
                    "customer": customer,
                    "customer_creation": params.get(
                        "customer_creation", "if_required" if mode != "subscription" else None
                    ),
                    "customer_email": params.get("customer_email"),
                    "discounts": self.session_discounts(params, currency),
                    "expires_at": params.get("expires_at", now + 24 * 3600),
                    "livemode": False,
                    "locale": params.get("locale"),
                    "metadata": params.get("metadata", {}),
                    "mode": mode,
                    "payment_method_collection": (
                        params.get("payment_method_collection", "always")
                        if mode == "subscription"
                        else None
                    ),
                    "payment_method_options": {},
                    "payment_method_types": pms,
                    "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
                    "saved_payment_method_options": _saved_options(params),
                    "shipping_options": self.session_shipping_options(params, currency),
                    "status": "open",
                    "submit_type": params.get("submit_type"),
                    "success_url": params.get("success_url"),
                    "ui_mode": ui_mode,
                    "url": (
                        f"{base_url.rstrip('/')}/c/pay/{session_id}"
                        if ui_mode == "hosted_page"
                        else None
                    ),
                    **_shapes.session_fields(params, mode=mode, ui_mode=ui_mode),
                    **_collect.session_fields(params),
                    PRIVATE: {
                        "line_items": items,
                        "payment_intent_data": params.get("payment_intent_data", {}),
                        "subscription_data": params.get("subscription_data", {}),
                        "setup_intent_data": params.get("setup_intent_data", {}),
                        "error": None,
                    },
                }
            )
            self.choose_shipping(session, None)
            self.apply_totals(session)
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
                    raise unknown_reference("price", raw["price"], param=f"{where}[price]")
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
            product = unit * quantity
            if not (product.is_zero() or product.adjusted() < 20) or (
                _round(product) > maximum_amount(price["currency"])
            ):
                raise invalid(
                    "Amount must be no more than "
                    f"{maximum_amount(price['currency'])} {price['currency']} (in minor units).",
                    param=f"{where}[quantity]",
                    code="amount_too_large",
                )
            amount = _round(product)
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
        with self.state.lock:
            items = session.get(PRIVATE, {}).get("line_items", [])
            data = snapshot(
                [{**li, "price": public(self.state.get(li["price"]) or {})} for li in items]
            )
        limit = params.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise invalid(
                "Invalid limit: must be an integer between 1 and 100.",
                param="limit",
                code="parameter_invalid_integer",
            )
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
            code="parameter_missing" if mode is None else None,
        )
    items = params.get("line_items", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid("Invalid array", param="line_items")
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


def _saved_options(params: dict[str, Any]) -> dict[str, Any] | None:
    given = params.get("saved_payment_method_options")
    if not isinstance(given, dict):
        return None
    return {
        "allow_redisplay_filters": given.get("allow_redisplay_filters", ["always"]),
        "payment_method_remove": given.get("payment_method_remove", "disabled"),
        "payment_method_save": given.get("payment_method_save", "disabled"),
    }


__all__ = ["API_VERSION", "Core", "PayResult", "RequestInfo"]
