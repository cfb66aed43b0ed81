"""Shipping rates (``/v1/shipping_rates``) and a session's shipping options and totals."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from checkoutkit.sandbox import _collect, _shapes
from checkoutkit.sandbox._common import round_half_up
from checkoutkit.sandbox._discounts import discount_amount, no_such, spread
from checkoutkit.sandbox._errors import invalid
from checkoutkit.sandbox._methods import MethodError
from checkoutkit.sandbox._params import reject_unknown
from checkoutkit.sandbox._state import PRIVATE, new_id

if TYPE_CHECKING:
    from checkoutkit.sandbox._state import State


class Shipping:
    """Shipping rates and session totals (a part of ``Core``)."""

    if TYPE_CHECKING:
        state: State

        def _now(self) -> int: ...

        def coupon_of(self, discount: dict[str, Any]) -> dict[str, Any] | None: ...

        def find_code(self, code: str, currency: str | None) -> dict[str, Any]: ...

        def get(self, kind: str, object_id: str, *, param: str = "id") -> dict[str, Any]: ...

    def create_shipping_rate(self, params: dict[str, Any], *, where: str = "") -> dict[str, Any]:
        """``POST /v1/shipping_rates`` (also inline ``shipping_rate_data``): fixed amounts."""

        def name(key: str) -> str:
            return f"{where}[{key}]" if where else key

        if not where:
            reject_unknown(
                params,
                [
                    "display_name",
                    "type",
                    "fixed_amount",
                    "metadata",
                    "tax_behavior",
                    "tax_code",
                    "delivery_estimate",
                ],
            )
        display = params.get("display_name")
        if not isinstance(display, str) or not display:
            raise invalid(
                "Missing required param: display_name.",
                param=name("display_name"),
                code="parameter_missing",
            )
        if params.get("type", "fixed_amount") != "fixed_amount":
            raise invalid("Invalid type: must be fixed_amount.", param=name("type"))
        fixed = params.get("fixed_amount")
        amount = fixed.get("amount") if isinstance(fixed, dict) else None
        currency = fixed.get("currency") if isinstance(fixed, dict) else None
        if isinstance(amount, str) and amount.isascii() and amount.isdigit() and len(amount) < 12:
            amount = int(amount)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise invalid(
                "fixed_amount[amount] must be a non-negative integer.",
                param=name("fixed_amount[amount]"),
                code="parameter_missing" if amount is None else "parameter_invalid_integer",
            )
        if not isinstance(currency, str) or not currency:
            raise invalid(
                "Missing required param: fixed_amount[currency].",
                param=name("fixed_amount[currency]"),
                code="parameter_missing",
            )
        rate = {
            "id": new_id("shr_"),
            "object": "shipping_rate",
            "active": True,
            "created": self._now(),
            "delivery_estimate": params.get("delivery_estimate"),
            "display_name": display,
            "fixed_amount": {"amount": amount, "currency": currency.lower()},
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "tax_behavior": params.get("tax_behavior", "unspecified"),
            "tax_code": params.get("tax_code"),
            "type": "fixed_amount",
        }
        return self.state.put(rate)

    def session_shipping_options(
        self, params: dict[str, Any], currency: str | None
    ) -> list[dict[str, Any]]:
        """``shipping_options``: each rate created or found, in the session's currency."""
        options = []
        for i, raw in enumerate(params.get("shipping_options") or []):
            where = f"shipping_options[{i}]"
            if raw.get("shipping_rate"):
                rate = self.state.get(raw["shipping_rate"], "shipping_rate")
                if rate is None:
                    raise no_such("shipping rate", raw["shipping_rate"], f"{where}[shipping_rate]")
                param = f"{where}[shipping_rate]"
            elif isinstance(raw.get("shipping_rate_data"), dict):
                param = f"{where}[shipping_rate_data][fixed_amount][currency]"
                rate = self.create_shipping_rate(
                    raw["shipping_rate_data"], where=f"{where}[shipping_rate_data]"
                )
            else:
                raise invalid(
                    "Each shipping option needs shipping_rate or shipping_rate_data.",
                    param=where,
                    code="parameter_missing",
                )
            if rate["fixed_amount"]["currency"] != currency:
                raise invalid(
                    f"The shipping rate's currency ({rate['fixed_amount']['currency']}) must "
                    f"match the session's currency ({currency}).",
                    param=param,
                )
            options.append(
                {"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]}
            )
        return options

    def choose_shipping(self, session: dict[str, Any], rate_id: str | None) -> None:
        """Make ``rate_id`` (one of the session's options; None: the first) the shipping cost."""
        options = session.get("shipping_options") or []
        if not options:
            return
        chosen = next((o for o in options if o["shipping_rate"] == rate_id), None)
        if rate_id and chosen is None:
            raise MethodError(
                "resource_missing",
                "Choose one of the shipping options.",
                field="shipping_rate",
            )
        chosen = chosen or options[0]
        amount = chosen["shipping_amount"]
        session["shipping_cost"] = {
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "shipping_rate": chosen["shipping_rate"],
            "taxes": [],
        }

    def take_choices(self, session: dict[str, Any], got: _collect.Collected) -> dict[str, Any]:
        """Apply the shopper's quantities, shipping option and details (see
        :func:`._collect.apply`) and recompute the totals; the ``customer_details`` extras."""
        for li in session[PRIVATE]["line_items"]:
            quantity = got.quantities.get(li["id"])
            adjustable = li.get("adjustable_quantity") or {}
            if quantity is None or not adjustable.get("enabled"):
                continue
            lo, hi = adjustable.get("minimum") or 0, adjustable.get("maximum") or 99
            if not lo <= quantity <= hi:
                raise MethodError(
                    "parameter_invalid_integer",
                    f"Choose a quantity from {lo} to {hi}.",
                    field=f"quantity.{li['id']}",
                )
            price = self.state.get(li["price"], "price") or {}
            li["quantity"] = quantity
            li["amount_subtotal"] = round_half_up(
                Decimal(price.get("unit_amount_decimal") or 0) * quantity
            )
        self.choose_shipping(session, got.shipping_rate)
        self.apply_totals(session)  # before the details' check: a refused page shows them
        return _collect.apply(session, got)

    def enter_promotion_code(self, session_id: str, code: str) -> dict[str, Any]:
        """The shopper typed ``code`` on the page: make its coupon the session's discount."""
        with self.state.transaction():
            session = self.get("checkout.session", session_id, param="session")
            if session["status"] != "open" or not session.get("allow_promotion_codes"):
                raise invalid(
                    "This Checkout Session does not accept promotion codes.",
                    param="promotion_code",
                )
            promo = self.find_code(code, session["currency"])
            session["discounts"] = [{"coupon": None, "promotion_code": promo["id"]}]
            self.apply_totals(session)
            return self.state.put(session)

    def apply_totals(self, session: dict[str, Any]) -> None:
        """Recompute line items' and the session's amounts: subtotal, discount, shipping."""
        if session["mode"] == "setup":
            return
        items = session[PRIVATE]["line_items"]
        subtotals = [li["amount_subtotal"] for li in items]
        subtotal = sum(subtotals)
        off = 0
        for discount in session.get("discounts") or []:
            coupon = self.coupon_of(discount)
            if coupon is not None:
                off += discount_amount(coupon, subtotal - off)
        for li, share in zip(items, spread(off, subtotals), strict=True):
            li["amount_discount"] = share
            li["amount_total"] = li["amount_subtotal"] - share
        shipping = (session.get("shipping_cost") or {}).get("amount_total", 0)
        total = subtotal - off + shipping
        session["amount_subtotal"] = subtotal
        session["amount_total"] = total
        session["total_details"] = {
            "amount_discount": off,
            "amount_shipping": shipping,
            "amount_tax": 0,
        }
        session["presentment_details"] = _shapes.presentment(total, session["currency"])
