"""The fields Stripe sends on each object beyond the ones the sandbox computes.

Every object the sandbox answers carries every field the stripe SDK at the pinned version
declares on its resource class, with the value Stripe sends for a test-mode account that uses
none of the features behind it (``null``, ``[]``, ``false``, or the account's defaults). The
functions here return those fields; the behaviour modules overlay what they compute.
"""

from __future__ import annotations

import hashlib
from typing import Any

#: Every field of a Checkout Session, in Stripe's order.
SESSION_FIELDS = [
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "allowed_payment_method_types",
    "amount_subtotal",
    "amount_total",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "cancel_url",
    "client_reference_id",
    "client_secret",
    "collected_information",
    "consent",
    "consent_collection",
    "created",
    "currency",
    "currency_conversion",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_account",
    "customer_creation",
    "customer_details",
    "customer_email",
    "discounts",
    "excluded_payment_method_types",
    "expires_at",
    "id",
    "integration_identifier",
    "invoice",
    "invoice_creation",
    "livemode",
    "locale",
    "managed_payments",
    "metadata",
    "mode",
    "name_collection",
    "object",
    "optional_items",
    "origin_context",
    "payment_intent",
    "payment_link",
    "payment_method_collection",
    "payment_method_configuration_details",
    "payment_method_options",
    "payment_method_types",
    "payment_status",
    "permissions",
    "phone_number_collection",
    "presentment_details",
    "recovered_from",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent",
    "shipping_address_collection",
    "shipping_cost",
    "shipping_options",
    "status",
    "submit_type",
    "subscription",
    "success_url",
    "tax_id_collection",
    "total_details",
    "ui_mode",
    "url",
    "wallet_options",
]

#: What the sandbox account's Checkout branding answers (Stripe's defaults for a new account).
BRANDING = {
    "background_color": "#ffffff",
    "border_style": "rounded",
    "button_color": "#0074d4",
    "display_name": "checkoutkit sandbox",
    "font_family": "default",
    "icon": None,
    "logo": None,
}


def session_fields(params: dict[str, Any], *, mode: str, ui_mode: str) -> dict[str, Any]:
    """Session fields that depend only on ``params``: branding (the account's, with the
    session's ``display_name``, ``button_color`` and ``background_color`` over it), name and tax
    ID collection, invoice creation, and the URLs that belong to the UI mode.

    ``return_url`` and ``redirect_on_completion`` exist only on embedded and custom sessions;
    Stripe leaves them out of a hosted one, and so does the sandbox (see :func:`drop_absent`).
    """
    invoice = params.get("invoice_creation") or {}
    data = invoice.get("invoice_data") or {}
    tax_ids = params.get("tax_id_collection") or {}
    names = params.get("name_collection") or {}
    return {
        "branding_settings": {**BRANDING, **(params.get("branding_settings") or {})},
        "excluded_payment_method_types": list(params.get("excluded_payment_method_types", [])),
        "invoice_creation": (
            {
                "enabled": bool(invoice.get("enabled", False)),
                "invoice_data": {
                    "account_tax_ids": data.get("account_tax_ids"),
                    "custom_fields": data.get("custom_fields"),
                    "description": data.get("description"),
                    "footer": data.get("footer"),
                    "issuer": data.get("issuer"),
                    "metadata": data.get("metadata", {}),
                    "rendering_options": data.get("rendering_options"),
                },
            }
            if mode == "payment"
            else None
        ),
        "name_collection": {
            kind: {
                "enabled": bool((names.get(kind) or {}).get("enabled", False)),
                "optional": bool((names.get(kind) or {}).get("optional", False)),
            }
            for kind in ("business", "individual")
        },
        "redirect_on_completion": (
            params.get("redirect_on_completion", "always") if ui_mode != "hosted_page" else None
        ),
        "return_url": params.get("return_url"),
        "tax_id_collection": {
            "enabled": bool(tax_ids.get("enabled", False)),
            "required": tax_ids.get("required", "never"),
        },
        "wallet_options": None,
    }


def drop_absent(out: dict[str, Any]) -> dict[str, Any]:
    """``out`` (an answered session) without the fields Stripe leaves out of its UI mode."""
    if out.get("object") == "checkout.session" and out.get("ui_mode") == "hosted_page":
        out.pop("return_url", None)
        out.pop("redirect_on_completion", None)
    return out


def presentment(amount: int | None, currency: str | None) -> dict[str, Any] | None:
    """``presentment_details``: the shopper pays in the session's own currency."""
    if amount is None or currency is None:
        return None
    return {"presentment_amount": amount, "presentment_currency": currency}


def payment_intent_fields(amount: int, currency: str | None) -> dict[str, Any]:
    """PaymentIntent fields the sandbox never varies."""
    return {
        "allowed_payment_method_types": None,
        "customer_account": None,
        "excluded_payment_method_types": None,
        "hooks": None,
        "managed_payments": None,
        "payment_details": None,
        "payment_method_configuration_details": None,
        "payment_record": None,
        "presentment_details": presentment(amount, currency),
    }


def setup_intent_fields() -> dict[str, Any]:
    """SetupIntent fields the sandbox never varies."""
    return {
        "allowed_payment_method_types": None,
        "attach_to_self": False,
        "customer_account": None,
        "excluded_payment_method_types": None,
        "managed_payments": None,
        "payment_method_configuration_details": None,
    }


def subscription_fields(
    data: dict[str, Any], *, currency: str | None, sepa: bool
) -> dict[str, Any]:
    """Subscription fields beyond items, dates and status (``data``: ``subscription_data``)."""
    trial = data.get("trial_settings") or {}
    end = trial.get("end_behavior") or {}
    return {
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "feedback_option": None,
            "reason": None,
        },
        "customer_account": None,
        "default_source": None,
        "default_tax_rates": [],
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"account": None, "type": "self"},
        },
        "managed_payments": None,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": data.get("on_behalf_of"),
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": ["sepa_debit" if sepa else "card"],
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "presentment_details": {"presentment_currency": currency} if currency else None,
        "schedule": None,
        "status_details": None,
        "test_clock": None,
        "transfer_data": None,
        "trial_settings": {
            "end_behavior": {
                "billing_cycle_anchor": None,
                "missing_payment_method": end.get("missing_payment_method", "create_invoice"),
            }
        },
    }


def card_fields(brand: str, number: str) -> dict[str, Any]:
    """``payment_method.card`` fields beyond brand, expiry, funding and last4."""
    return {
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": "pass",
            "cvc_check": "pass",
        },
        "description": None,
        "display_brand": {"amex": "american_express"}.get(brand, brand),
        "fingerprint": _fingerprint(number),
        "generated_from": None,
        "iin": number[:6],
        "issuer": None,
        "networks": {"available": [brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def _fingerprint(number: str) -> str:
    """A stable 16-character fingerprint of a card number, as Stripe derives one per card."""
    digest = hashlib.sha256(number.encode("ascii")).hexdigest()
    return digest[:16]


def payment_method_fields() -> dict[str, Any]:
    """PaymentMethod fields the sandbox never varies."""
    return {"customer_account": None, "radar_options": None}


def customer_fields() -> dict[str, Any]:
    """Customer fields the sandbox never varies."""
    return {"business_name": None, "customer_account": None, "individual_name": None}
