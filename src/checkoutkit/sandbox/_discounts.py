"""Coupons and promotion codes, and the discounts they give a Checkout Session."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from checkoutkit.sandbox._common import round_half_up
from checkoutkit.sandbox._errors import ApiError, invalid
from checkoutkit.sandbox._params import reject_unknown
from checkoutkit.sandbox._state import new_id

if TYPE_CHECKING:
    from checkoutkit.sandbox._state import State

#: Longest coupon or promotion code ID and code Stripe accepts.
_MAX_CODE = 500


def no_such(kind: str, object_id: object, param: str) -> ApiError:
    """Stripe's 400 ``resource_missing`` for an unknown ID given in a request's body."""
    return ApiError(400, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def _int(params: dict[str, Any], key: str, *, minimum: int = 0) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise invalid(f"Invalid integer: {value}", param=key, code="parameter_invalid_integer")
    return value


def _percent(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value)) if len(str(value)) <= 20 else Decimal("nan")
    except InvalidOperation:
        number = Decimal("nan")
    if not number.is_finite() or not 0 < number <= 100:
        raise invalid(
            "Invalid percent_off: must be a number greater than 0 and at most 100.",
            param="percent_off",
        )
    return float(number)


class Discounts:
    """``/v1/coupons``, ``/v1/promotion_codes`` and session discounts (a part of ``Core``)."""

    if TYPE_CHECKING:
        state: State

        def _now(self) -> int: ...

    def create_coupon(self, params: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/coupons``: ``percent_off`` or ``amount_off`` with ``currency``."""
        reject_unknown(
            params,
            [
                "id",
                "amount_off",
                "currency",
                "duration",
                "duration_in_months",
                "max_redemptions",
                "metadata",
                "name",
                "percent_off",
                "redeem_by",
            ],
        )
        percent = _percent(params.get("percent_off"))
        amount = _int(params, "amount_off", minimum=1)
        if (percent is None) == (amount is None):
            raise invalid(
                "You must pass exactly one of percent_off or amount_off.", param="percent_off"
            )
        currency = params.get("currency")
        if amount is not None and not (isinstance(currency, str) and currency):
            raise invalid(
                "You must pass currency when passing amount_off.",
                param="currency",
                code="parameter_missing",
            )
        duration = params.get("duration", "once")
        if duration not in {"forever", "once", "repeating"}:
            raise invalid(
                "Invalid duration: must be one of forever, once, or repeating", param="duration"
            )
        months = _int(params, "duration_in_months", minimum=1)
        if (duration == "repeating") != (months is not None):
            raise invalid(
                "duration_in_months is required with, and only with, duration=repeating.",
                param="duration_in_months",
            )
        coupon_id = params.get("id") or new_id("", 8)
        if not isinstance(coupon_id, str) or len(coupon_id) > _MAX_CODE:
            raise invalid("Invalid coupon id.", param="id")
        with self.state.transaction():
            if self.state.get(coupon_id) is not None:
                raise invalid(
                    f"Coupon already exists: {coupon_id}",
                    param="id",
                    code="resource_already_exists",
                )
            coupon = {
                "id": coupon_id,
                "object": "coupon",
                "amount_off": amount,
                "created": self._now(),
                "currency": currency.lower() if isinstance(currency, str) else None,
                "duration": duration,
                "duration_in_months": months,
                "livemode": False,
                "max_redemptions": _int(params, "max_redemptions", minimum=1),
                "metadata": params.get("metadata", {}),
                "name": params.get("name"),
                "percent_off": percent,
                "redeem_by": _int(params, "redeem_by"),
                "times_redeemed": 0,
                "valid": True,
            }
            return self.state.put(coupon)

    def create_promotion_code(self, params: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/promotion_codes``: a customer-facing code for a coupon."""
        reject_unknown(
            params,
            [
                "active",
                "code",
                "customer",
                "expires_at",
                "max_redemptions",
                "metadata",
                "promotion",
            ],
        )
        promotion = params.get("promotion")
        coupon_id = promotion.get("coupon") if isinstance(promotion, dict) else None
        if not isinstance(coupon_id, str) or not coupon_id:
            raise invalid(
                "Missing required param: promotion[coupon].",
                param="promotion[coupon]",
                code="parameter_missing",
            )
        code = params.get("code") or new_id("", 8).upper()
        if not isinstance(code, str) or len(code) > _MAX_CODE:
            raise invalid("Invalid code.", param="code")
        with self.state.transaction():
            if self.state.get(coupon_id, "coupon") is None:
                raise no_such("coupon", coupon_id, "promotion[coupon]")
            customer = params.get("customer")
            if customer is not None and self.state.get(customer, "customer") is None:
                raise no_such("customer", customer, "customer")
            if any(p["code"].lower() == code.lower() and p["active"] for p in self._codes()):
                raise invalid(
                    f"An active promotion code with `code: {code}` already exists.",
                    param="code",
                    code="resource_already_exists",
                )
            promo = {
                "id": new_id("promo_", 14),
                "object": "promotion_code",
                "active": params.get("active", True),
                "code": code,
                "created": self._now(),
                "customer": customer,
                "customer_account": None,
                "expires_at": _int(params, "expires_at"),
                "livemode": False,
                "max_redemptions": _int(params, "max_redemptions", minimum=1),
                "metadata": params.get("metadata", {}),
                "promotion": {"coupon": coupon_id, "type": "coupon"},
                "restrictions": {
                    "currency_options": {},
                    "first_time_transaction": False,
                    "minimum_amount": None,
                    "minimum_amount_currency": None,
                },
                "times_redeemed": 0,
            }
            return self.state.put(promo)

    def _codes(self) -> list[dict[str, Any]]:
        return self.state.all("promotion_code")

    def _usable_coupon(self, coupon_id: str, param: str, currency: str | None) -> dict[str, Any]:
        coupon = self.state.get(coupon_id, "coupon")
        if coupon is None:
            raise no_such("coupon", coupon_id, param)
        used_up = coupon["max_redemptions"] is not None and (
            coupon["times_redeemed"] >= coupon["max_redemptions"]
        )
        expired = coupon["redeem_by"] is not None and coupon["redeem_by"] <= self._now()
        if used_up or expired:
            raise invalid(f"This coupon is no longer valid: '{coupon_id}'.", param=param)
        if coupon["amount_off"] is not None and currency not in {None, coupon["currency"]}:
            raise invalid(
                f"The coupon's currency ({coupon['currency']}) does not match the session's "
                f"currency ({currency}).",
                param=param,
            )
        return coupon

    def _usable_code(self, promo: dict[str, Any], param: str) -> None:
        used_up = promo["max_redemptions"] is not None and (
            promo["times_redeemed"] >= promo["max_redemptions"]
        )
        expired = promo["expires_at"] is not None and promo["expires_at"] <= self._now()
        if not promo["active"] or used_up or expired:
            raise invalid(f"This promotion code is not active: '{promo['code']}'.", param=param)

    def session_discounts(
        self, params: dict[str, Any], currency: str | None
    ) -> list[dict[str, Any]]:
        """The session's ``discounts``, each coupon or promotion code checked to exist."""
        out = []
        for i, raw in enumerate(params.get("discounts") or []):
            where = f"discounts[{i}]"
            coupon_id, code_id = raw.get("coupon"), raw.get("promotion_code")
            if coupon_id:
                self._usable_coupon(coupon_id, f"{where}[coupon]", currency)
            if code_id:
                promo = self.state.get(code_id, "promotion_code")
                if promo is None:
                    raise no_such("promotion code", code_id, f"{where}[promotion_code]")
                self._usable_code(promo, f"{where}[promotion_code]")
                self._usable_coupon(
                    promo["promotion"]["coupon"], f"{where}[promotion_code]", currency
                )
            out.append({"coupon": coupon_id or None, "promotion_code": code_id or None})
        return out

    def find_code(self, code: str, currency: str | None) -> dict[str, Any]:
        """The active promotion code a shopper typed (case-insensitive), or a 400."""
        wanted = code.strip().lower()
        for promo in self._codes():
            if promo["code"].lower() == wanted and promo["active"]:
                self._usable_code(promo, "promotion_code")
                self._usable_coupon(promo["promotion"]["coupon"], "promotion_code", currency)
                return promo
        raise invalid("This code is invalid.", param="promotion_code")

    def coupon_of(self, discount: dict[str, Any]) -> dict[str, Any] | None:
        """The coupon behind one entry of a session's ``discounts``."""
        coupon_id = discount.get("coupon")
        if not coupon_id and discount.get("promotion_code"):
            promo = self.state.get(discount["promotion_code"], "promotion_code") or {}
            coupon_id = (promo.get("promotion") or {}).get("coupon")
        return self.state.get(coupon_id, "coupon") if coupon_id else None

    def redeem(self, discounts: list[dict[str, Any]]) -> None:
        """Count one redemption of each coupon and promotion code (the session completed)."""
        for discount in discounts:
            coupon = self.coupon_of(discount)
            if coupon is not None:
                coupon["times_redeemed"] += 1
                limit = coupon["max_redemptions"]
                coupon["valid"] = limit is None or coupon["times_redeemed"] < limit
                self.state.put(coupon)
            promo = self.state.get(discount.get("promotion_code") or "", "promotion_code")
            if promo is not None:
                promo["times_redeemed"] += 1
                self.state.put(promo)


def discount_amount(coupon: dict[str, Any], subtotal: int) -> int:
    """How much ``coupon`` takes off ``subtotal`` (never more than the subtotal)."""
    if coupon["percent_off"] is not None:
        off = round_half_up(Decimal(subtotal) * Decimal(str(coupon["percent_off"])) / 100)
    else:
        off = int(coupon["amount_off"])
    return max(0, min(off, subtotal))


def spread(total: int, parts: list[int]) -> list[int]:
    """``total`` split over ``parts`` in proportion to them, the rounding left on the last."""
    whole = sum(parts)
    if whole == 0 or not parts:
        return [0 for _ in parts]
    shares = [math.floor(total * p / whole) for p in parts]
    shares[-1] += total - sum(shares)
    return shares
