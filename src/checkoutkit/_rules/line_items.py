"""Rules of line items: price or price_data, quantities, one currency, amounts and totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from checkoutkit import _currencies as cur
from checkoutkit._rules._common import (
    ISO,
    MAX_CONTAINER,
    Loc,
    Report,
    amount_ok,
    as_decimal,
    check_amount,
    check_currency,
    get_int,
    get_seq,
    max_amount,
    number,
    present,
    render,
)
from checkoutkit._rules._registry import Session, rule

#: The longest ``interval_count`` per interval: three years. Stripe documents weeks, months and
#: years; a limit in days (about 1095) would only be inferred, so days are not checked.
_MAX_INTERVAL_COUNT = {"week": 156, "month": 36, "year": 3}


@rule(codes=["currency_iso_format", "currency_supported"], triggers=["currency"])
def session_currency(session: Session, out: Report) -> None:
    """The session's own currency is an ISO 4217 code Stripe takes."""
    check_currency(session.params.get("currency"), "currency", out)


@rule(
    codes=[
        "payment_requires_line_items",
        "subscription_requires_line_items",
        "price_xor_price_data",
        "quantity_required",
        "price_data_product_xor_product_data",
        "unit_amount_xor_unit_amount_decimal",
        "unit_amount_non_negative",
        "payment_no_recurring_prices",
        "recurring_interval_max_3_years",
        "adjustable_quantity_bounds",
        "adjustable_quantity_max_ge_quantity",
        "currency_iso_format",
        "currency_supported",
        "zero_decimal_currency_amounts",
        "maximum_amount_8_digits",
        "line_items_single_currency",
        "payment_max_100_line_items",
        "subscription_max_20_recurring_20_one_time",
        "subscription_requires_recurring_price",
        "minimum_charge_amount",
    ]
)
def line_items(session: Session, out: Report) -> None:
    """Line items in payment or subscription mode (or an unknown mode)."""
    params, mode = session.params, session.mode
    if mode == "setup" or (mode is None and "line_items" not in params):
        return
    raw_items = params.get("line_items")
    if type(raw_items) is list and 0 < len(raw_items) <= MAX_CONTAINER:
        items: list[Any] | tuple[Any, ...] = raw_items
    else:
        if mode is not None and not present(raw_items):
            code = (
                "payment_requires_line_items"
                if mode == "payment"
                else "subscription_requires_line_items"
            )
            out.add("line_items", code, f"line_items is required in {mode} mode.")
        items = get_seq(raw_items)
    top = params.get("currency")
    currency_seen = None
    if isinstance(top, str) and top.lower() in ISO:
        currency_seen = top.lower()
    currencies: set[str] = set()
    total: int | Decimal = 0
    all_inline = bool(items)  # every item has price_data with a known amount and quantity
    recurring_count = one_time_count = 0
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            all_inline = False
            continue
        loc = (_LINE_ITEMS, index)
        quantity = item.get("quantity")
        price_data = _item_rules(item, quantity, mode, loc, out)
        if price_data is None:
            all_inline = False
            continue
        amount = _unit_amount(price_data, loc, out)
        recurring = price_data.get("recurring")
        if recurring is not None and present(recurring):
            recurring_count += 1
            _recurring_rules(recurring, mode, index, out)
        else:
            one_time_count += 1
        currency = check_currency(
            price_data.get("currency"), ((loc, "price_data"), "currency"), out
        )
        if currency is not None:
            if currency_seen is None:
                currency_seen = currency
            elif currency != currency_seen:
                currencies.update((currency, currency_seen))
        if amount is None or currency is None or type(quantity) is not int or amount < 0:
            all_inline = False
            continue
        if not amount_ok(amount, currency):
            field = (
                "unit_amount"
                if price_data.get("unit_amount") is not None
                else "unit_amount_decimal"
            )
            check_amount(amount, currency, f"line_items[{index}][price_data][{field}]", out)
        total += amount * quantity

    if currencies:
        out.add(
            "line_items",
            "line_items_single_currency",
            "All prices in a session must use one currency; got "
            + ", ".join(sorted(currencies))
            + ".",
        )
    optional = get_seq(params.get("optional_items"))
    count = len(items) + len(optional)
    if mode == "payment" and count > 100:
        out.add(
            "line_items",
            "payment_max_100_line_items",
            f"Payment mode allows at most 100 line items and optional items; got {count}.",
        )
    elif mode == "subscription":
        if recurring_count > 20 or one_time_count > 20 or count > 40:
            out.add(
                "line_items",
                "subscription_max_20_recurring_20_one_time",
                "Subscription mode allows at most 20 recurring and 20 one-time line items.",
            )
        if all_inline and recurring_count == 0:
            out.add(
                "line_items",
                "subscription_requires_recurring_price",
                "You must provide at least one recurring price in subscription mode.",
            )
    if all_inline and not currencies and currency_seen is not None:
        _total_rules(params, mode, currency_seen, total, out)


# The location of ``line_items`` (see :data:`checkoutkit._rules._common.Loc`): an item's
# location is ``(_LINE_ITEMS, index)``, rendered only when the item has a problem.
_LINE_ITEMS: Loc = (None, "line_items")


def _item_rules(
    item: dict[Any, Any], quantity: object, mode: str | None, loc: Loc, out: Report
) -> dict[Any, Any] | None:
    """What one line item needs: a price or price_data, and a ``quantity``.

    Returns the item's price_data if it is a dict.
    """
    price_data = item.get("price_data")
    if (item.get("price") is None) == (price_data is None):
        out.add(
            loc, "price_xor_price_data", "Each line item needs exactly one of price or price_data."
        )
    if quantity is None and (mode == "payment" or price_data is not None):
        where = render(loc)
        out.add(
            f"{where}[quantity]",
            "quantity_required",
            f"Quantity is required. Add quantity to {where}.",
        )
    if "adjustable_quantity" in item:
        _adjustable_quantity_rules(item, render(loc), out)
    if not isinstance(price_data, dict):
        return None
    if (price_data.get("product") is None) == (price_data.get("product_data") is None):
        out.add(
            (loc, "price_data"),
            "price_data_product_xor_product_data",
            "Exactly one of product or product_data is required.",
        )
    return price_data


def _unit_amount(price_data: dict[Any, Any], loc: Loc, out: Report) -> int | Decimal | None:
    """The unit amount of ``price_data``, given once as unit_amount or unit_amount_decimal."""
    unit_amount = price_data.get("unit_amount")
    unit_amount_decimal = price_data.get("unit_amount_decimal")
    if (unit_amount is None) == (unit_amount_decimal is None):
        out.add(
            (loc, "price_data"),
            "unit_amount_xor_unit_amount_decimal",
            "Exactly one of unit_amount or unit_amount_decimal is required.",
        )
    if unit_amount is not None:
        return get_int(unit_amount)
    amount = as_decimal(unit_amount_decimal)
    if amount is None:
        return None
    exponent = amount.as_tuple().exponent
    where = ((loc, "price_data"), "unit_amount_decimal")
    if amount < 0:
        out.add(
            where,
            "unit_amount_non_negative",
            f"unit_amount_decimal must not be negative; got {number(amount)}.",
        )
        return None
    if isinstance(exponent, int) and exponent < -12:
        out.add(
            where,
            "unit_amount_non_negative",
            "unit_amount_decimal has at most 12 decimal places.",
        )
    return amount


def _recurring_rules(recurring: object, mode: str | None, index: int, out: Report) -> None:
    where = f"line_items[{index}][price_data][recurring]"
    if mode == "payment":
        out.add(
            where,
            "payment_no_recurring_prices",
            "You specified payment mode but passed a recurring price. Either switch to "
            "subscription mode or use only one-time prices.",
        )
    if not isinstance(recurring, dict):
        return
    interval = recurring.get("interval")
    count = get_int(recurring.get("interval_count"))
    limit = _MAX_INTERVAL_COUNT.get(interval) if isinstance(interval, str) else None
    if limit is not None and count is not None and count > limit:
        out.add(
            f"{where}[interval_count]",
            "recurring_interval_max_3_years",
            f"The longest interval is three years: at most {limit} {interval}s.",
        )


def _total_rules(
    params: dict[Any, Any], mode: str | None, currency: str, total: int | Decimal, out: Report
) -> None:
    limit = max_amount(currency)
    if total > limit:
        out.add(
            "line_items",
            "maximum_amount_8_digits",
            f"The session total {number(total)} exceeds the largest amount Stripe accepts in "
            f"{currency} ({limit}).",
        )
    minimum = cur.MINIMUM_CHARGE.get(currency)
    # Discounts and shipping change the amount due in ways unknown offline, and a zero total is
    # a no-cost order, which Checkout allows.
    if (
        mode == "payment"
        and minimum is not None
        and 0 < total < minimum
        and not present(params.get("discounts"))
        and not present(params.get("shipping_options"))
    ):
        out.add(
            "line_items",
            "minimum_charge_amount",
            f"The Checkout Session's total amount due must add up to at least {minimum} "
            f"(minor units of {currency}); it is {number(total)}.",
        )


def _adjustable_quantity_rules(item: dict[Any, Any], item_param: str, out: Report) -> None:
    adjustable = item.get("adjustable_quantity")
    if not isinstance(adjustable, dict):
        return
    where = f"{item_param}[adjustable_quantity]"
    minimum = get_int(adjustable.get("minimum"))
    maximum = get_int(adjustable.get("maximum"))
    if minimum is not None and maximum is not None and minimum > maximum:
        out.add(
            where,
            "adjustable_quantity_bounds",
            f"minimum ({number(minimum)}) is greater than maximum ({number(maximum)}).",
        )
        return
    quantity = get_int(item.get("quantity"))
    if adjustable.get("enabled") is not True or quantity is None:
        return
    upper = 99 if maximum is None else maximum
    lower = 0 if minimum is None else minimum
    if quantity > upper:
        out.add(
            f"{where}[maximum]",
            "adjustable_quantity_max_ge_quantity",
            f"The quantity {number(quantity)} is above the adjustable maximum {number(upper)}; "
            "set adjustable_quantity.maximum to at least the quantity.",
        )
    elif quantity < lower:
        out.add(
            f"{where}[minimum]",
            "adjustable_quantity_max_ge_quantity",
            f"The quantity {number(quantity)} is below the adjustable minimum {number(lower)}.",
        )
