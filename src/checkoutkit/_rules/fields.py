"""Rules of what the payment page offers: custom fields, shipping rates and discounts."""

from __future__ import annotations

from checkoutkit._rules._common import (
    Report,
    check_amount,
    check_currency,
    describe,
    get_dict,
    get_int,
    get_seq,
    get_str,
    present,
)
from checkoutkit._rules._registry import Session, rule


@rule(codes=["allow_promotion_codes_xor_discounts"], triggers=["allow_promotion_codes"])
def promotion_codes_or_discounts(session: Session, out: Report) -> None:
    """A promotion-code field or discounts, not both."""
    get = session.params.get
    if get("allow_promotion_codes") is True and present(get("discounts")):
        out.add(
            "discounts",
            "allow_promotion_codes_xor_discounts",
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
        )


def _alphanumeric(text: str) -> bool:
    return text.isascii() and text.isalnum()


@rule(
    codes=["custom_field_key_max_200", "custom_field_dropdown_options_required"],
    triggers=["custom_fields"],
)
def custom_fields(session: Session, out: Report) -> None:
    """Keys are alphanumeric and unique; a dropdown has options with unique values."""
    keys: set[str] = set()
    for index, field in enumerate(get_seq(session.params.get("custom_fields"))):
        if not isinstance(field, dict):
            continue
        where = f"custom_fields[{index}]"
        key = get_str(field.get("key"))
        if key is not None:
            if not _alphanumeric(key):
                out.add(
                    f"{where}[key]", "custom_field_key_max_200", "The key must be alphanumeric."
                )
            elif key in keys:
                out.add(
                    f"{where}[key]",
                    "custom_field_key_max_200",
                    f"The key {describe(key)} is used by two fields.",
                )
            keys.add(key)
        if field.get("type") == "dropdown":
            _dropdown_rules(field.get("dropdown"), where, out)


def _dropdown_rules(dropdown: object, where: str, out: Report) -> None:
    if dropdown is None:
        out.add(
            f"{where}[dropdown]",
            "custom_field_dropdown_options_required",
            "A dropdown field needs dropdown.options.",
        )
        return
    values: set[str] = set()
    for index, option in enumerate(get_seq(get_dict(dropdown).get("options"))):
        value = get_str(get_dict(option).get("value"))
        if value is None:
            continue
        option_where = f"{where}[dropdown][options][{index}][value]"
        if not _alphanumeric(value):
            out.add(
                option_where,
                "custom_field_dropdown_options_required",
                "Option values must be alphanumeric.",
            )
        elif value in values:
            out.add(
                option_where,
                "custom_field_dropdown_options_required",
                f"The value {describe(value)} is used by two options.",
            )
        values.add(value)
    default = get_str(get_dict(dropdown).get("default_value"))
    if default is not None and default not in values:
        out.add(
            f"{where}[dropdown][default_value]",
            "custom_field_dropdown_options_required",
            "default_value must match the value of one of the options.",
        )


@rule(
    codes=[
        "parameter_missing",
        "currency_iso_format",
        "currency_supported",
        "zero_decimal_currency_amounts",
        "maximum_amount_8_digits",
    ],
    triggers=["shipping_options"],
)
def shipping_rates(session: Session, out: Report) -> None:
    """A fixed-amount shipping rate has an amount in a valid currency, within its limits."""
    for index, option in enumerate(get_seq(session.params.get("shipping_options"))):
        rate = get_dict(get_dict(option).get("shipping_rate_data"))
        if not rate:
            continue
        where = f"shipping_options[{index}][shipping_rate_data]"
        fixed = rate.get("fixed_amount")
        if rate.get("type") in (None, "fixed_amount") and fixed is None:
            out.add(
                f"{where}[fixed_amount]",
                "parameter_missing",
                "fixed_amount is required for a fixed_amount shipping rate.",
            )
        if isinstance(fixed, dict):
            currency = check_currency(
                fixed.get("currency"), f"{where}[fixed_amount][currency]", out
            )
            amount = get_int(fixed.get("amount"))
            if currency and amount is not None:
                check_amount(amount, currency, f"{where}[fixed_amount][amount]", out)
