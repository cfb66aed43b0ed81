"""``/v1/coupons``, ``/v1/promotion_codes`` and ``/v1/shipping_rates``: create, retrieve, list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checkoutkit.sandbox._params import reject_unknown

if TYPE_CHECKING:
    from checkoutkit.sandbox._api import Call
    from checkoutkit.sandbox._core import Core

#: (method, path, handler name) of the routes :class:`DiscountRoutes` serves.
RULES = [
    ("POST", "/v1/coupons", "coupon_create"),
    ("GET", "/v1/coupons", "coupon_list"),
    ("GET", "/v1/coupons/<id>", "coupon_retrieve"),
    ("POST", "/v1/promotion_codes", "promotion_code_create"),
    ("GET", "/v1/promotion_codes", "promotion_code_list"),
    ("GET", "/v1/promotion_codes/<id>", "promotion_code_retrieve"),
    ("POST", "/v1/shipping_rates", "shipping_rate_create"),
    ("GET", "/v1/shipping_rates", "shipping_rate_list"),
    ("GET", "/v1/shipping_rates/<id>", "shipping_rate_retrieve"),
]

_PAGING = ["limit", "starting_after", "ending_before", "created"]


def _body(call: Call) -> dict[str, Any]:
    return {k: v for k, v in call.params.items() if k != "expand"}


class DiscountRoutes:
    """Handlers of :data:`RULES` (a part of the sandbox's WSGI application)."""

    if TYPE_CHECKING:
        core: Core

    def coupon_create(self, call: Call) -> Any:
        return self.core.render(self.core.create_coupon(_body(call)), call.expand)

    def coupon_list(self, call: Call) -> Any:
        reject_unknown(call.params, _PAGING)
        return self.core.list_objects("coupon", call.params, "/v1/coupons")

    def coupon_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("coupon", call.id, param="coupon"), call.expand)

    def promotion_code_create(self, call: Call) -> Any:
        return self.core.render(self.core.create_promotion_code(_body(call)), call.expand)

    def promotion_code_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(p, [*_PAGING, "active", "code", "coupon", "customer"])

        def keep(o: dict[str, Any]) -> bool:
            return (
                ("active" not in p or o["active"] == (p["active"] in {True, "true"}))
                and ("code" not in p or o["code"].lower() == str(p["code"]).lower())
                and ("coupon" not in p or o["promotion"]["coupon"] == p["coupon"])
                and ("customer" not in p or o["customer"] == p["customer"])
            )

        return self.core.list_objects("promotion_code", p, "/v1/promotion_codes", keep)

    def promotion_code_retrieve(self, call: Call) -> Any:
        found = self.core.get("promotion_code", call.id, param="promotion_code")
        return self.core.render(found, call.expand)

    def shipping_rate_create(self, call: Call) -> Any:
        return self.core.render(self.core.create_shipping_rate(_body(call)), call.expand)

    def shipping_rate_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(p, [*_PAGING, "active", "currency"])

        def keep(o: dict[str, Any]) -> bool:
            return ("active" not in p or o["active"] == (p["active"] in {True, "true"})) and (
                "currency" not in p or o["fixed_amount"]["currency"] == p["currency"]
            )

        return self.core.list_objects("shipping_rate", p, "/v1/shipping_rates", keep)

    def shipping_rate_retrieve(self, call: Call) -> Any:
        found = self.core.get("shipping_rate", call.id, param="shipping_rate_token")
        return self.core.render(found, call.expand)
