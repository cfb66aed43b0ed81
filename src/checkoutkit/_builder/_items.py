"""The builder's methods that add line items and shipping rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from typing_extensions import Self

from checkoutkit._builder._base import (
    BuilderState,
    _adjustable_quantity,
    _copy,
    _count,
    _currency,
    _drop_none,
    _list,
    _metadata,
)
from checkoutkit._currencies import ISO_CURRENCIES, to_minor_units
from checkoutkit._problems import Problem
from checkoutkit.exceptions import InvalidSessionError

__all__ = ["ItemMethods"]


class ItemMethods(BuilderState):
    """Line items, optional items and shipping rates."""

    __slots__ = ()

    # -- line items --------------------------------------------------------------------------

    def add_price(
        self,
        price: str,
        quantity: int | None,
        *,
        adjustable_quantity: bool | Mapping[str, Any] | None = None,
        tax_rates: Iterable[str] | None = None,
        dynamic_tax_rates: Iterable[str] | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> Self:
        """Add a line item for the Price ``price`` (``price_...``) times ``quantity``.

        ``quantity=None`` leaves the quantity out, as metered prices need.
        ``adjustable_quantity=True`` lets the customer change the quantity (within Stripe's
        defaults); pass ``{"enabled": True, "minimum": 1, "maximum": 10}`` for bounds.
        """
        item: dict[str, Any] = {"price": price}
        if quantity is not None:
            item["quantity"] = quantity
        item = self._item_extras(item, adjustable_quantity, tax_rates, dynamic_tax_rates, metadata)
        return self._add_item(item)

    def add_price_data(
        self,
        *,
        currency: str,
        quantity: int | None,
        name: str | None = None,
        product: str | None = None,
        amount: Decimal | str | int | None = None,
        unit_amount: int | None = None,
        unit_amount_decimal: Decimal | str | None = None,
        recurring: str | Mapping[str, Any] | None = None,
        interval_count: int | None = None,
        tax_behavior: str | None = None,
        description: str | None = None,
        images: Iterable[str] | None = None,
        product_metadata: Mapping[str, object] | None = None,
        tax_code: str | None = None,
        unit_label: str | None = None,
        adjustable_quantity: bool | Mapping[str, Any] | None = None,
        tax_rates: Iterable[str] | None = None,
        dynamic_tax_rates: Iterable[str] | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> Self:
        """Add a line item with an inline price (``price_data``).

        The product is either new, named by ``name`` (with the optional ``description``,
        ``images``, ``product_metadata``, ``tax_code`` and ``unit_label``), or an existing
        Product ID given as ``product``.

        The price is ``amount`` in **major** units (``Decimal("19.99")`` or ``"19.99"``; an int
        counts whole units) converted exactly to Stripe's minor units for ``currency``, or
        ``unit_amount`` already in **minor** units (``1999`` cents, or ``500`` yen), or
        ``unit_amount_decimal``. ``currency`` is sent in lowercase.

        ``recurring`` makes it a subscription price: an interval (``"month"``, with an optional
        ``interval_count``) or Stripe's ``{"interval": ..., "interval_count": ...}``.
        """
        if type(currency) is str and currency not in ISO_CURRENCIES:  # those are lowercase
            currency = currency.lower()
        price_data: dict[str, Any] = {"currency": currency}
        if product is not None:
            price_data["product"] = product
        if (
            images is None
            and product_metadata is None
            and description is None
            and tax_code is None
            and unit_label is None
        ):
            if name is not None:
                price_data["product_data"] = {"name": name}
        else:
            price_data["product_data"] = _drop_none(
                {
                    "name": name,
                    "description": description,
                    "images": _list(images) if images is not None else None,
                    "metadata": (
                        _metadata(product_metadata) if product_metadata is not None else None
                    ),
                    "tax_code": tax_code,
                    "unit_label": unit_label,
                }
            )
        if recurring is not None or interval_count is not None:
            if isinstance(recurring, str) or recurring is None:
                price_data["recurring"] = _drop_none(
                    {"interval": recurring, "interval_count": interval_count}
                )
            else:
                price_data["recurring"] = _copy(recurring)
                if interval_count is not None and type(price_data["recurring"]) is dict:
                    price_data["recurring"]["interval_count"] = interval_count
        if tax_behavior is not None:
            price_data["tax_behavior"] = tax_behavior
        pending: tuple[Problem, ...] = ()
        if amount is not None:
            index = _count(self._state[1])
            param = f"line_items[{index}][price_data][unit_amount]"
            if unit_amount is not None:
                pending = (
                    Problem(
                        param,
                        "unit_amount_xor_unit_amount_decimal",
                        "Give the price once: either amount (in major units, e.g. "
                        "Decimal('19.99')) or unit_amount (in minor units, e.g. 1999), not both.",
                    ),
                )
            else:
                unit_amount, pending = self._minor_units(amount, currency, param)
        if unit_amount is not None:
            price_data["unit_amount"] = unit_amount
        if unit_amount_decimal is not None:
            price_data["unit_amount_decimal"] = unit_amount_decimal
        item: dict[str, Any] = {"price_data": price_data}
        if quantity is not None:
            item["quantity"] = quantity
        item = self._item_extras(item, adjustable_quantity, tax_rates, dynamic_tax_rates, metadata)
        return self._add_item(item, pending)

    @staticmethod
    def _minor_units(
        amount: object, currency: object, param: str
    ) -> tuple[int | None, tuple[Problem, ...]]:
        """``amount`` in major units as minor units of ``currency``, or the problems found."""
        if not isinstance(currency, str):
            # No currency to convert with: validation reports the missing or bad currency.
            return None, ()
        try:
            return to_minor_units(amount, currency, param=param), ()  # type: ignore[arg-type]
        except InvalidSessionError as error:
            return None, error.problems
        except (ArithmeticError, ValueError):  # e.g. an exponent beyond Decimal's range
            return None, (
                Problem(
                    param,
                    "maximum_amount_8_digits",
                    "The amount is far beyond the largest amount Stripe accepts.",
                ),
            )

    @staticmethod
    def _item_extras(
        item: dict[str, Any],
        adjustable_quantity: object,
        tax_rates: object,
        dynamic_tax_rates: object,
        metadata: object,
    ) -> dict[str, Any]:
        if adjustable_quantity is not None:
            item["adjustable_quantity"] = _adjustable_quantity(adjustable_quantity)
        if tax_rates is not None:
            item["tax_rates"] = _list(tax_rates)
        if dynamic_tax_rates is not None:
            item["dynamic_tax_rates"] = _list(dynamic_tax_rates)
        if metadata is not None:
            item["metadata"] = _metadata(metadata)
        return item

    def add_line_item(self, item: Mapping[str, Any]) -> Self:
        """Add a line item given in the SDK's form (``{"price": ..., "quantity": ...}``)."""
        return self._add_item(_copy(item))

    def line_items(self, items: Iterable[Mapping[str, Any]] | None) -> Self:
        """Replace all line items with ``items`` (SDK form); ``None`` removes them."""
        return self._with_line_items(_list(items) if items is not None else None)

    def add_optional_item(
        self,
        price: str,
        quantity: int,
        *,
        adjustable_quantity: bool | Mapping[str, Any] | None = None,
    ) -> Self:
        """Offer the Price ``price`` as an optional item (a cross-sell the customer may add)."""
        item: dict[str, Any] = {"price": price, "quantity": quantity}
        if adjustable_quantity is not None:
            item["adjustable_quantity"] = _adjustable_quantity(adjustable_quantity)
        return self._append("optional_items", item)

    def add_shipping_rate(self, shipping_rate: str) -> Self:
        """Offer the existing Shipping Rate ``shipping_rate`` (``shr_...``)."""
        return self._append("shipping_options", {"shipping_rate": shipping_rate})

    def add_shipping_rate_data(
        self,
        *,
        display_name: str,
        currency: str,
        amount: Decimal | str | int | None = None,
        fixed_amount: int | None = None,
        delivery_estimate: Mapping[str, Any] | None = None,
        tax_behavior: str | None = None,
        tax_code: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> Self:
        """Offer an inline fixed-amount shipping rate.

        Like :meth:`add_price_data`, the price is ``amount`` in major units or ``fixed_amount``
        in minor units.
        """
        current = self._state[0].get("shipping_options")
        index = len(current) if type(current) is list else 0
        currency = cast("str", _currency(currency))
        param = f"shipping_options[{index}][shipping_rate_data][fixed_amount][amount]"
        pending: tuple[Problem, ...] = ()
        if amount is not None:
            if fixed_amount is not None:
                pending = (
                    Problem(
                        param,
                        "unit_amount_xor_unit_amount_decimal",
                        "Give the shipping price once: either amount (in major units) or "
                        "fixed_amount (in minor units), not both.",
                    ),
                )
            else:
                fixed_amount, pending = self._minor_units(amount, currency, param)
        fixed: dict[str, Any] = {"currency": currency}
        if fixed_amount is not None:
            fixed["amount"] = fixed_amount
        rate_data = _drop_none(
            {
                "display_name": display_name,
                "fixed_amount": fixed,
                "delivery_estimate": _copy(delivery_estimate),
                "tax_behavior": tax_behavior,
                "tax_code": tax_code,
                "metadata": _metadata(metadata) if metadata is not None else None,
            }
        )
        new = self._append("shipping_options", {"shipping_rate_data": rate_data})
        return new._with_pending((*new._state[3], *pending)) if pending else new
