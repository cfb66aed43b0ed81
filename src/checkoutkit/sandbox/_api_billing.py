"""``/v1/subscriptions``, ``/v1/invoices`` and ``/v1/test_helpers/test_clocks``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checkoutkit.sandbox import _billing, _clocks, _invoices
from checkoutkit.sandbox._params import reject_unknown

if TYPE_CHECKING:
    from checkoutkit.sandbox._api import Call
    from checkoutkit.sandbox._core import Core

#: (method, path, handler name) of the routes :class:`BillingRoutes` serves.
RULES = [
    ("GET", "/v1/subscriptions", "subscription_list"),
    ("POST", "/v1/subscriptions/<id>", "subscription_update"),
    ("DELETE", "/v1/subscriptions/<id>", "subscription_cancel"),
    ("GET", "/v1/invoices", "invoice_list"),
    ("GET", "/v1/invoices/<id>", "invoice_retrieve"),
    ("POST", "/v1/invoices/<id>/pay", "invoice_pay"),
    ("POST", "/v1/test_helpers/test_clocks", "test_clock_create"),
    ("GET", "/v1/test_helpers/test_clocks", "test_clock_list"),
    ("GET", "/v1/test_helpers/test_clocks/<id>", "test_clock_retrieve"),
    ("DELETE", "/v1/test_helpers/test_clocks/<id>", "test_clock_delete"),
    ("POST", "/v1/test_helpers/test_clocks/<id>/advance", "test_clock_advance"),
]

_PAGING = ["limit", "starting_after", "ending_before", "created"]


def _body(call: Call) -> dict[str, Any]:
    return {k: v for k, v in call.params.items() if k != "expand"}


class BillingRoutes:
    """Handlers of :data:`RULES` (a part of the sandbox's WSGI application)."""

    if TYPE_CHECKING:
        core: Core

    def subscription_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(p, [*_PAGING, "customer", "price", "status", "test_clock"])
        wanted = p.get("status")

        def keep(o: dict[str, Any]) -> bool:
            if wanted is None and o["status"] == "canceled":
                return False  # as on Stripe: canceled subscriptions only when asked for
            if wanted not in {None, "all"} and o["status"] != wanted:
                return False
            prices = {i["price"]["id"] for i in o["items"]["data"]}
            return all(o.get(k) == p[k] for k in ("customer", "test_clock") if k in p) and (
                "price" not in p or p["price"] in prices
            )

        return self.core.list_objects("subscription", p, "/v1/subscriptions", keep)

    def subscription_update(self, call: Call) -> Any:
        sub = _billing.update_subscription(self.core, call.id, _body(call), call.info)
        return self.core.render(sub, call.expand)

    def subscription_cancel(self, call: Call) -> Any:
        sub = _billing.delete_subscription(self.core, call.id, _body(call), call.info)
        return self.core.render(sub, call.expand)

    def invoice_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(p, [*_PAGING, "customer", "subscription", "status", "collection_method"])
        return self.core.list_objects("invoice", p, "/v1/invoices", _invoices.invoice_filter(p))

    def invoice_retrieve(self, call: Call) -> Any:
        return self.core.render(self.core.get("invoice", call.id, param="invoice"), call.expand)

    def invoice_pay(self, call: Call) -> Any:
        reject_unknown(call.params, [])
        return self.core.render(_billing.pay_invoice(self.core, call.id, call.info), call.expand)

    def test_clock_create(self, call: Call) -> Any:
        return self.core.render(_clocks.create_clock(self.core, _body(call), call.info))

    def test_clock_list(self, call: Call) -> Any:
        p = call.params
        reject_unknown(p, _PAGING)
        return self.core.list_objects(
            _clocks.KIND,
            p,
            "/v1/test_helpers/test_clocks",
            lambda o: _clocks.find_clock(self.core, o["id"]) is not None,
        )

    def test_clock_retrieve(self, call: Call) -> Any:
        return self.core.render(_clocks.get_clock(self.core, call.id), call.expand)

    def test_clock_delete(self, call: Call) -> Any:
        return _clocks.delete_clock(self.core, call.id, call.info)

    def test_clock_advance(self, call: Call) -> Any:
        clock = _clocks.advance_clock(self.core, call.id, _body(call), call.info)
        return self.core.render(clock, call.expand)
