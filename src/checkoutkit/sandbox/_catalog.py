"""Products, prices and customers: the catalogue sessions are built from."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from checkoutkit._currencies import is_supported_currency
from checkoutkit.sandbox import _shapes
from checkoutkit.sandbox._common import round_half_up as _round
from checkoutkit.sandbox._errors import invalid, unknown_reference
from checkoutkit.sandbox._params import parse_decimal, reject_unknown
from checkoutkit.sandbox._state import PRIVATE, new_id

if TYPE_CHECKING:
    from checkoutkit.sandbox._state import State


class Catalog:
    """``/v1/products``, ``/v1/prices`` and ``/v1/customers`` (a part of :class:`Core`)."""

    if TYPE_CHECKING:
        state: State

        def _now(self) -> int: ...

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
                "tax_details": None,
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
                raise unknown_reference("product", product_id, param=name("product"))
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
                value = parse_decimal(str(decimal))
                if value is None or not (value.is_zero() or value.adjusted() < 20):
                    shown = str(decimal) if len(str(decimal)) <= 40 else str(decimal)[:37] + "..."
                    raise invalid(f"Invalid decimal: {shown}", param=name("unit_amount_decimal"))
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
                "test_clock",
            ],
        )
        clock = params.get("test_clock")
        found = self.state.get(clock, "test_helpers.test_clock") if isinstance(clock, str) else None
        if clock is not None and (found is None or found.get(PRIVATE, {}).get("deleted")):
            raise unknown_reference("test_clock", str(clock), param="test_clock")
        return self._new_customer(
            email=params.get("email"),
            name=params.get("name"),
            metadata=params.get("metadata", {}),
            extra={
                k: params[k]
                for k in ("description", "phone", "address", "test_clock")
                if k in params
            },
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
            **_shapes.customer_fields(),
            **(extra or {}),
        }
        return self.state.put(customer)
