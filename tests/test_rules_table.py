"""Every offline rule: an accepted boundary case and a rejected case naming param and code."""

from __future__ import annotations

from typing import Any

import pytest

from checkoutkit import validate_session_params
from strategies import (
    NOW,
    embedded,
    item,
    payment,
    recurring_item,
    setup,
    subscription,
    without,
)


def _problems(params: object) -> list[tuple[str, str]]:
    return [(p.param, p.code) for p in validate_session_params(params, now=NOW)]


def _item_with(**price_data: Any) -> dict[str, Any]:
    line = item()
    line["price_data"].update(price_data)
    return line


def _elements(**extra: Any) -> dict[str, Any]:
    params = embedded(**extra)
    params["ui_mode"] = "elements"
    return params


def _field(key: str = "giftnote") -> dict[str, Any]:
    return {"key": key, "label": {"type": "custom", "custom": "Gift note"}, "type": "text"}


def _dropdown(*values: str, **dropdown: Any) -> dict[str, Any]:
    options = [{"label": v, "value": v} for v in values]
    return {
        "key": "size",
        "label": {"type": "custom", "custom": "Size"},
        "type": "dropdown",
        "dropdown": {"options": options, **dropdown},
    }


def _rate(**extra: Any) -> dict[str, Any]:
    return {
        "shipping_rate_data": {
            "display_name": "Post",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 500, "currency": "usd"},
            **extra,
        }
    }


HOUR = 3600

# (rule id, accepted params, rejected params, param of the problem)
CASES: list[tuple[str, dict[str, Any], object, str]] = [
    # 1. mode and required parameters
    ("mode_required", payment(), without(payment(), "mode"), "mode"),
    ("mode_enum", subscription(), payment(mode="buy"), "mode"),
    ("payment_requires_line_items", payment(), payment(line_items=[]), "line_items"),
    (
        "subscription_requires_line_items",
        subscription(),
        without(subscription(), "line_items"),
        "line_items",
    ),
    ("setup_no_line_items", setup(), setup(line_items=[item()]), "line_items"),
    (
        "setup_currency_or_payment_method_types",
        without(setup(allowed_payment_method_types=["card"]), "currency"),
        without(setup(), "currency"),
        "currency",
    ),
    (
        "subscription_requires_recurring_price",
        subscription(line_items=[recurring_item(), item()]),
        subscription(line_items=[item()]),
        "line_items",
    ),
    (
        "payment_no_recurring_prices",
        payment(line_items=[item(), item()]),
        payment(line_items=[item(), recurring_item()]),
        "line_items[1][price_data][recurring]",
    ),
    # 2. URLs by ui_mode
    ("ui_mode_enum", payment(ui_mode="hosted_page"), payment(ui_mode="hosted"), "ui_mode"),
    (
        "hosted_requires_success_url",
        payment(cancel_url="https://example.com/cart"),
        without(payment(), "success_url"),
        "success_url",
    ),
    (
        "embedded_no_success_url",
        embedded(),
        embedded(success_url="https://example.com/done"),
        "success_url",
    ),
    (
        "embedded_no_cancel_url",
        embedded(),
        embedded(cancel_url="https://example.com/cart"),
        "cancel_url",
    ),
    (
        "hosted_no_return_url",
        payment(),
        payment(return_url="https://example.com/return"),
        "return_url",
    ),
    (
        "embedded_return_url_required_for_redirect_pms",
        without(embedded(allowed_payment_method_types=["card", "link"]), "return_url"),
        without(embedded(allowed_payment_method_types=["card", "ideal"]), "return_url"),
        "return_url",
    ),
    (
        "redirect_on_completion_enum",
        embedded(redirect_on_completion="if_required"),
        embedded(redirect_on_completion="sometimes"),
        "redirect_on_completion",
    ),
    (
        "redirect_on_completion_never_no_redirect_pms",
        without(
            embedded(redirect_on_completion="never", allowed_payment_method_types=["card"]),
            "return_url",
        ),
        embedded(redirect_on_completion="never", allowed_payment_method_types=["card", "klarna"]),
        "allowed_payment_method_types",
    ),
    (
        "url_http_or_https",
        payment(success_url="http://localhost:8000/done", cancel_url="https://example.com/cart"),
        payment(cancel_url="javascript:alert(1)"),
        "cancel_url",
    ),
    (
        "url_http_or_https",
        embedded(return_url="https://example.com/return?session={CHECKOUT_SESSION_ID}"),
        embedded(return_url="data:text/html,<script>alert(1)</script>"),
        "return_url",
    ),
    (
        "url_max_5000",
        payment(success_url="https://example.com/" + "a" * 4980),
        payment(success_url="https://example.com/" + "a" * 4981),
        "success_url",
    ),
    # 3. customer
    (
        "customer_xor_customer_email",
        payment(customer_email="a@example.com"),
        payment(customer="cus_1", customer_email="a@example.com"),
        "customer_email",
    ),
    (
        "customer_creation_enum",
        payment(customer_creation="if_required"),
        payment(customer_creation="never"),
        "customer_creation",
    ),
    (
        "customer_creation_payment_or_setup_only",
        setup(customer_creation="always"),
        subscription(customer_creation="always"),
        "customer_creation",
    ),
    (
        "customer_update_requires_customer",
        payment(customer="cus_1", customer_update={"name": "auto"}),
        payment(customer_update={"name": "auto"}),
        "customer_update",
    ),
    (
        "customer_email_max_800",
        payment(customer_email="a" * 788 + "@example.com"),
        payment(customer_email="a" * 789 + "@example.com"),
        "customer_email",
    ),
    # 4. mode-scoped sub-objects
    (
        "payment_intent_data_payment_only",
        payment(payment_intent_data={"description": "Order 7"}),
        subscription(payment_intent_data={"description": "Order 7"}),
        "payment_intent_data",
    ),
    (
        "setup_future_usage_enum",
        payment(payment_intent_data={"setup_future_usage": "off_session"}),
        payment(payment_intent_data={"setup_future_usage": "none"}),
        "payment_intent_data[setup_future_usage]",
    ),
    (
        "capture_method_enum",
        payment(payment_intent_data={"capture_method": "manual"}),
        payment(payment_intent_data={"capture_method": "later"}),
        "payment_intent_data[capture_method]",
    ),
    (
        "subscription_data_subscription_only",
        subscription(subscription_data={"description": "Pro plan"}),
        payment(subscription_data={"description": "Pro plan"}),
        "subscription_data",
    ),
    (
        "setup_intent_data_setup_only",
        setup(setup_intent_data={"description": "Card on file"}),
        payment(setup_intent_data={"description": "Card on file"}),
        "setup_intent_data",
    ),
    (
        "payment_method_collection_subscription_only",
        subscription(payment_method_collection="if_required"),
        payment(payment_method_collection="if_required"),
        "payment_method_collection",
    ),
    (
        "invoice_creation_payment_mode_only",
        payment(invoice_creation={"enabled": True}),
        subscription(invoice_creation={"enabled": True}),
        "invoice_creation",
    ),
    (
        "phone_number_collection_payment_or_subscription",
        subscription(phone_number_collection={"enabled": True}),
        setup(phone_number_collection={"enabled": True}),
        "phone_number_collection",
    ),
    (
        "shipping_options_payment_mode_only",
        payment(shipping_options=[{"shipping_rate": "shr_1"}]),
        subscription(shipping_options=[{"shipping_rate": "shr_1"}]),
        "shipping_options",
    ),
    (
        "submit_type_payment_or_subscription",
        subscription(submit_type="subscribe"),
        setup(submit_type="pay"),
        "submit_type",
    ),
    ("submit_type_enum", payment(submit_type="donate"), payment(submit_type="buy"), "submit_type"),
    (
        "saved_payment_method_options_mode",
        payment(saved_payment_method_options={"payment_method_save": "enabled"}),
        setup(saved_payment_method_options={"payment_method_save": "enabled"}),
        "saved_payment_method_options",
    ),
    # 5. saved payment method options
    (
        "saved_payment_method_options_enum",
        payment(saved_payment_method_options={"allow_redisplay_filters": ["always", "limited"]}),
        payment(saved_payment_method_options={"payment_method_remove": "yes"}),
        "saved_payment_method_options[payment_method_remove]",
    ),
    # 6. line items
    (
        "price_xor_price_data",
        payment(line_items=[{"price": "price_1", "quantity": 1}]),
        payment(line_items=[{"quantity": 1}]),
        "line_items[0]",
    ),
    (
        "legacy_line_item_params_removed",
        payment(),
        payment(line_items=[item(amount=2000, name="T-shirt")]),
        "line_items[0][name]",
    ),
    (
        "payment_max_100_line_items",
        payment(line_items=[item()] * 100),
        payment(line_items=[item()] * 95, optional_items=[{"price": "price_1", "quantity": 1}] * 6),
        "line_items",
    ),
    (
        "subscription_max_20_recurring_20_one_time",
        subscription(line_items=[recurring_item()] * 20 + [item()] * 20),
        subscription(line_items=[recurring_item()] * 21),
        "line_items",
    ),
    (
        "optional_items_max_10",
        payment(optional_items=[{"price": "price_1", "quantity": 1}] * 10),
        payment(optional_items=[{"price": "price_1", "quantity": 1}] * 11),
        "optional_items",
    ),
    (
        "line_items_single_currency",
        payment(line_items=[item(currency="eur"), item(currency="EUR")]),
        payment(line_items=[item(currency="usd"), item(currency="eur")]),
        "line_items",
    ),
    # 7. price_data
    (
        "price_data_product_xor_product_data",
        payment(
            line_items=[
                {
                    "price_data": {"currency": "usd", "product": "prod_1", "unit_amount": 100},
                    "quantity": 1,
                }
            ]
        ),
        payment(line_items=[_item_with(product="prod_1")]),
        "line_items[0][price_data]",
    ),
    (
        "price_data_product_data_name",
        payment(line_items=[_item_with(product_data={"name": "Mug"})]),
        payment(line_items=[_item_with(product_data={"description": "Mug"})]),
        "line_items[0][price_data][product_data][name]",
    ),
    (
        "product_images_max_8",
        payment(line_items=[_item_with(product_data={"name": "M", "images": ["https://i"] * 8})]),
        payment(line_items=[_item_with(product_data={"name": "M", "images": ["https://i"] * 9})]),
        "line_items[0][price_data][product_data][images]",
    ),
    (
        "unit_amount_xor_unit_amount_decimal",
        payment(
            line_items=[
                {
                    "price_data": {
                        "currency": "usd",
                        "product": "prod_1",
                        "unit_amount_decimal": "1999.5",
                    },
                    "quantity": 1,
                }
            ]
        ),
        payment(line_items=[_item_with(unit_amount_decimal="1999.5")]),
        "line_items[0][price_data]",
    ),
    (
        "unit_amount_non_negative",
        payment(line_items=[item(amount=0)]),
        payment(line_items=[item(amount=-1)]),
        "line_items[0][price_data][unit_amount]",
    ),
    (
        "price_data_recurring_fields",
        subscription(line_items=[recurring_item()]),
        subscription(
            line_items=[_item_with(recurring={"interval": "month", "usage_type": "metered"})]
        ),
        "line_items[0][price_data][recurring][usage_type]",
    ),
    (
        "recurring_interval_enum",
        subscription(line_items=[recurring_item(interval="week")]),
        subscription(line_items=[recurring_item(interval="fortnight")]),
        "line_items[0][price_data][recurring][interval]",
    ),
    (
        "recurring_interval_max_3_years",
        subscription(
            line_items=[_item_with(recurring={"interval": "month", "interval_count": 36})]
        ),
        subscription(
            line_items=[_item_with(recurring={"interval": "month", "interval_count": 37})]
        ),
        "line_items[0][price_data][recurring][interval_count]",
    ),
    (
        "pwyw_requires_price_object",
        payment(line_items=[{"price": "price_pwyw", "quantity": 1}]),
        payment(line_items=[_item_with(custom_unit_amount={"enabled": True})]),
        "line_items[0][price_data][custom_unit_amount]",
    ),
    # 8. quantity
    (
        "quantity_required",
        subscription(line_items=[{"price": "price_metered"}]),
        payment(line_items=[{"price": "price_1"}]),
        "line_items[0][quantity]",
    ),
    (
        "quantity_min_1",
        payment(line_items=[item(quantity=1)]),
        payment(line_items=[item(quantity=0)]),
        "line_items[0][quantity]",
    ),
    (
        "adjustable_quantity_enabled_required",
        payment(line_items=[item(adjustable_quantity={"enabled": False})]),
        payment(line_items=[item(adjustable_quantity={"maximum": 5})]),
        "line_items[0][adjustable_quantity][enabled]",
    ),
    (
        "adjustable_quantity_bounds",
        payment(line_items=[item(adjustable_quantity={"enabled": True, "maximum": 999999})]),
        payment(line_items=[item(adjustable_quantity={"enabled": True, "maximum": 1000000})]),
        "line_items[0][adjustable_quantity][maximum]",
    ),
    (
        "adjustable_quantity_max_ge_quantity",
        payment(line_items=[item(quantity=99, adjustable_quantity={"enabled": True})]),
        payment(line_items=[item(quantity=100, adjustable_quantity={"enabled": True})]),
        "line_items[0][adjustable_quantity][maximum]",
    ),
    # 9. currency and amounts
    (
        "currency_iso_format",
        payment(line_items=[item(currency="USD")]),
        payment(line_items=[item(currency="dollars")]),
        "line_items[0][price_data][currency]",
    ),
    (
        "currency_supported",
        setup(currency="CHF"),
        setup(currency="zzz"),
        "currency",
    ),
    (
        "zero_decimal_currency_amounts",
        payment(line_items=[item(amount=500, currency="isk")]),
        payment(line_items=[item(amount=550, currency="isk")]),
        "line_items[0][price_data][unit_amount]",
    ),
    (
        "minimum_charge_amount",
        payment(line_items=[item(amount=50)]),
        payment(line_items=[item(amount=49)]),
        "line_items",
    ),
    (
        "maximum_amount_8_digits",
        payment(line_items=[item(amount=99_999_999)]),
        payment(line_items=[item(amount=100_000_000)]),
        "line_items[0][price_data][unit_amount]",
    ),
    # 10. expires_at
    (
        "expires_at_30min_to_24h",
        payment(expires_at=NOW + 24 * HOUR),
        payment(expires_at=NOW + 24 * HOUR + 1),
        "expires_at",
    ),
    # 11. discounts
    (
        "allow_promotion_codes_xor_discounts",
        payment(allow_promotion_codes=False, discounts=[{"coupon": "SUMMER"}]),
        payment(allow_promotion_codes=True, discounts=[{"coupon": "SUMMER"}]),
        "discounts",
    ),
    (
        "discounts_max_one",
        payment(discounts=[{"promotion_code": "promo_1"}]),
        payment(discounts=[{"coupon": "A"}, {"coupon": "B"}]),
        "discounts",
    ),
    # 12. metadata
    (
        "metadata_max_50_keys",
        payment(metadata={f"k{i}": "v" for i in range(50)}),
        payment(metadata={f"k{i}": "v" for i in range(51)}),
        "metadata",
    ),
    (
        "metadata_key_40_value_500",
        payment(payment_intent_data={"metadata": {"k" * 40: "v" * 500}}),
        payment(payment_intent_data={"metadata": {"order": "v" * 501}}),
        "payment_intent_data[metadata][order]",
    ),
    (
        "metadata_no_square_brackets",
        payment(metadata={"order(7)": "x"}),
        payment(line_items=[item(metadata={"order[7]": "x"})]),
        "line_items[0][metadata]",
    ),
    # 14. strings and other limits
    (
        "client_reference_id_max_200",
        payment(client_reference_id="c" * 200),
        payment(client_reference_id="c" * 201),
        "client_reference_id",
    ),
    (
        "statement_descriptor_suffix_max_22",
        payment(payment_intent_data={"statement_descriptor_suffix": "S" * 22}),
        payment(payment_intent_data={"statement_descriptor_suffix": "S" * 23}),
        "payment_intent_data[statement_descriptor_suffix]",
    ),
    # Empty strings: Stripe reads "" as "unset", which only some parameters allow
    (
        "parameter_invalid_empty",
        payment(line_items=[_item_with(product_data={"name": "Tea", "metadata": {"note": ""}})]),
        payment(line_items=[_item_with(product_data={"name": ""})]),
        "line_items[0][price_data][product_data][name]",
    ),
    (
        "parameter_invalid_empty",
        payment(customer_email="ada@example.com", metadata={"note": ""}),
        payment(customer_email=""),
        "customer_email",
    ),
    (
        "parameter_invalid_empty",
        payment(custom_text={"submit": ""}),
        payment(success_url=""),
        "success_url",
    ),
    (
        "parameter_invalid_empty",
        payment(client_reference_id="c"),
        payment(client_reference_id="", locale=""),
        "locale",
    ),
    # 15. locale
    ("locale_enum", payment(locale="fr-CA"), payment(locale="fr-ca"), "locale"),
    # 16. tax, shipping, consent, custom fields and text
    (
        "automatic_tax_requires_enabled",
        payment(automatic_tax={"enabled": True}),
        payment(automatic_tax={"liability": {"type": "self"}}),
        "automatic_tax[enabled]",
    ),
    (
        "tax_id_collection_enabled_required",
        payment(tax_id_collection={"enabled": True, "required": "if_supported"}),
        payment(tax_id_collection={"required": "never"}),
        "tax_id_collection[enabled]",
    ),
    (
        "shipping_allowed_countries_required",
        payment(shipping_address_collection={"allowed_countries": ["US"]}),
        payment(shipping_address_collection={}),
        "shipping_address_collection[allowed_countries]",
    ),
    (
        "shipping_allowed_countries_supported",
        payment(shipping_address_collection={"allowed_countries": ["US", "XK", "ZZ"]}),
        payment(shipping_address_collection={"allowed_countries": ["US", "CU"]}),
        "shipping_address_collection[allowed_countries][1]",
    ),
    (
        "shipping_options_max_5",
        payment(shipping_options=[_rate()] * 5),
        payment(shipping_options=[_rate()] * 6),
        "shipping_options",
    ),
    (
        "consent_collection_enums",
        payment(consent_collection={"terms_of_service": "required", "promotions": "auto"}),
        payment(consent_collection={"terms_of_service": "optional"}),
        "consent_collection[terms_of_service]",
    ),
    (
        "custom_fields_max_3",
        payment(custom_fields=[_field(f"f{i}") for i in range(3)]),
        payment(custom_fields=[_field(f"f{i}") for i in range(4)]),
        "custom_fields",
    ),
    (
        "custom_field_key_max_200",
        payment(custom_fields=[{**_field(), "key": "k" * 200}]),
        payment(custom_fields=[{**_field(), "key": "gift-note"}]),
        "custom_fields[0][key]",
    ),
    (
        "custom_field_label_max_50",
        payment(custom_fields=[{**_field(), "label": {"type": "custom", "custom": "L" * 50}}]),
        payment(custom_fields=[{**_field(), "label": {"type": "custom", "custom": "L" * 51}}]),
        "custom_fields[0][label][custom]",
    ),
    (
        "custom_field_dropdown_options_required",
        payment(custom_fields=[_dropdown("small", "large", default_value="large")]),
        payment(custom_fields=[{**_dropdown(), "dropdown": {"default_value": "x"}}]),
        "custom_fields[0][dropdown][options]",
    ),
    (
        "custom_text_max_1200",
        payment(custom_text={"submit": {"message": "m" * 1200}}),
        payment(custom_text={"submit": {"message": "m" * 1201}}),
        "custom_text[submit][message]",
    ),
    (
        "billing_address_collection_enum",
        payment(billing_address_collection="required"),
        payment(billing_address_collection="always"),
        "billing_address_collection",
    ),
    (
        "permissions_embedded_or_custom_only",
        _elements(permissions={"update_shipping_details": "server_only"}),
        payment(permissions={"update_shipping_details": "server_only"}),
        "permissions",
    ),
    # 17. ui_mode=elements
    (
        "custom_ui_mode_restrictions",
        embedded(custom_text={"submit": {"message": "Thanks"}}),
        _elements(custom_text={"submit": {"message": "Thanks"}}),
        "custom_text",
    ),
    # 18. payment methods
    (
        "allowed_payment_method_types_enum",
        payment(allowed_payment_method_types=["card", "upi", "bizum"]),
        payment(allowed_payment_method_types=["card", "cheque"]),
        "allowed_payment_method_types[1]",
    ),
    # 19. subscription_data
    (
        "trial_period_days_min_1",
        subscription(subscription_data={"trial_period_days": 1}),
        subscription(subscription_data={"trial_period_days": 0}),
        "subscription_data[trial_period_days]",
    ),
    (
        "trial_end_min_48h",
        subscription(subscription_data={"trial_end": NOW + 48 * HOUR + 60}),
        subscription(subscription_data={"trial_end": NOW + 48 * HOUR + 59}),
        "subscription_data[trial_end]",
    ),
    (
        "billing_cycle_anchor_future",
        subscription(subscription_data={"billing_cycle_anchor": NOW + 1}),
        subscription(subscription_data={"billing_cycle_anchor": NOW}),
        "subscription_data[billing_cycle_anchor]",
    ),
    (
        "application_fee_percent_range",
        subscription(subscription_data={"application_fee_percent": 12.5}),
        subscription(subscription_data={"application_fee_percent": 100.01}),
        "subscription_data[application_fee_percent]",
    ),
    # Generic checks derived from the SDK's types
    ("unknown_parameter", payment(), payment(colour="red"), "colour"),
    (
        "invalid_type",
        payment(line_items=[item(quantity=2)]),
        payment(line_items=[item(quantity=True)]),
        "line_items[0][quantity]",
    ),
    (
        "invalid_enum",
        payment(line_items=[_item_with(tax_behavior="inclusive")]),
        payment(line_items=[_item_with(tax_behavior="included")]),
        "line_items[0][price_data][tax_behavior]",
    ),
    (
        "parameter_missing",
        payment(invoice_creation={"enabled": False}),
        payment(invoice_creation={"invoice_data": {"footer": "Thanks"}}),
        "invoice_creation[enabled]",
    ),
    (
        "string_too_long",
        payment(payment_intent_data={"description": "d" * 1000}),
        payment(payment_intent_data={"description": "d" * 1001}),
        "payment_intent_data[description]",
    ),
    (
        "value_out_of_range",
        payment(
            shipping_options=[_rate(delivery_estimate={"minimum": {"unit": "day", "value": 1}})]
        ),
        payment(
            shipping_options=[_rate(delivery_estimate={"minimum": {"unit": "day", "value": 0}})]
        ),
        "shipping_options[0][shipping_rate_data][delivery_estimate][minimum][value]",
    ),
    (
        "too_many_items",
        payment(),
        payment(line_items=[{"price": "price_1", "quantity": 1}] * 1001),
        "line_items",
    ),
]


@pytest.mark.parametrize(
    ("code", "accepted", "rejected", "param"), CASES, ids=[case[0] for case in CASES]
)
def test_rule(code: str, accepted: dict[str, Any], rejected: object, param: str) -> None:
    """The accepted boundary case has no problem at all; the rejected one has this problem."""
    assert _problems(accepted) == []
    assert (param, code) in _problems(rejected)


def test_every_rule_id_of_the_docs_has_a_case() -> None:
    """Each rule id that docs/rules.md lists as enforced is covered by a case above."""
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "rules.md").read_text()
    section = text.split("## Rules checked offline", 1)[1].split("\n## ", 1)[0]
    documented = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert documented == {case[0] for case in CASES}
