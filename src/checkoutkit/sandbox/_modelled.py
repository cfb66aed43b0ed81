"""Which Checkout Session parameters the sandbox models; every other one is refused.

The shared rules accept any parameter the stripe SDK declares. The sandbox honours only the
ones listed in :data:`SESSION_CREATE`, a tree of parameter names (lists are walked through,
``...`` accepts whatever the rules accept below that point). A parameter outside the tree is
refused with a 400 ``parameter_unknown`` naming it, so nothing Stripe would act on is accepted
and then silently dropped. :data:`ONLY_VALUES` refuses values the sandbox cannot act on
(automatic tax, invoices) where other values of the same parameter are modelled.
"""

from __future__ import annotations

from typing import Any

from checkoutkit.sandbox._errors import ApiError

Tree = dict[str, Any]

_MESSAGE = {"message": ...}
_LENGTHS = {"default_value": ..., "maximum_length": ..., "minimum_length": ...}

#: The Checkout Session create parameters the sandbox models.
SESSION_CREATE: Tree = {
    "allow_promotion_codes": ...,
    "allowed_payment_method_types": ...,
    "automatic_tax": {"enabled": ...},
    "billing_address_collection": ...,
    "branding_settings": {"background_color": ..., "button_color": ..., "display_name": ...},
    "cancel_url": ...,
    "client_reference_id": ...,
    "consent_collection": {
        "payment_method_reuse_agreement": {"position": ...},
        "promotions": ...,
        "terms_of_service": ...,
    },
    "currency": ...,
    "custom_fields": {
        "dropdown": {"default_value": ..., "options": {"label": ..., "value": ...}},
        "key": ...,
        "label": {"custom": ..., "type": ...},
        "numeric": _LENGTHS,
        "optional": ...,
        "text": _LENGTHS,
        "type": ...,
    },
    "custom_text": {
        "after_submit": _MESSAGE,
        "shipping_address": _MESSAGE,
        "submit": _MESSAGE,
        "terms_of_service_acceptance": _MESSAGE,
    },
    "customer": ...,
    "customer_creation": ...,
    "customer_email": ...,
    "discounts": {"coupon": ..., "promotion_code": ...},
    "excluded_payment_method_types": ...,
    "expires_at": ...,
    "invoice_creation": {"enabled": ...},
    "line_items": {
        "adjustable_quantity": {"enabled": ..., "maximum": ..., "minimum": ...},
        "metadata": ...,
        "price": ...,
        "price_data": {
            "currency": ...,
            "product": ...,
            "product_data": {
                "description": ...,
                "images": ...,
                "metadata": ...,
                "name": ...,
                "tax_code": ...,
                "unit_label": ...,
            },
            "recurring": {"interval": ..., "interval_count": ...},
            "tax_behavior": ...,
            "unit_amount": ...,
            "unit_amount_decimal": ...,
        },
        "quantity": ...,
    },
    "locale": ...,
    "metadata": ...,
    "mode": ...,
    "payment_intent_data": {
        "capture_method": ...,
        "description": ...,
        "metadata": ...,
        "on_behalf_of": ...,
        "receipt_email": ...,
        "setup_future_usage": ...,
        "shipping": ...,
        "statement_descriptor": ...,
        "statement_descriptor_suffix": ...,
        "transfer_group": ...,
    },
    "payment_method_collection": ...,
    "phone_number_collection": {"enabled": ...},
    "redirect_on_completion": ...,
    "return_url": ...,
    "saved_payment_method_options": {
        "allow_redisplay_filters": ...,
        "payment_method_remove": ...,
        "payment_method_save": ...,
    },
    "setup_intent_data": {"description": ..., "metadata": ..., "on_behalf_of": ...},
    "shipping_address_collection": {"allowed_countries": ...},
    "shipping_options": {
        "shipping_rate": ...,
        "shipping_rate_data": {
            "delivery_estimate": {"maximum": ..., "minimum": ...},
            "display_name": ...,
            "fixed_amount": {"amount": ..., "currency": ...},
            "metadata": ...,
            "tax_behavior": ...,
            "tax_code": ...,
            "type": ...,
        },
    },
    "submit_type": ...,
    "subscription_data": {
        "description": ...,
        "metadata": ...,
        "on_behalf_of": ...,
        "trial_end": ...,
        "trial_period_days": ...,
        "trial_settings": {"end_behavior": {"missing_payment_method": ...}},
    },
    "success_url": ...,
    "tax_id_collection": {"enabled": ..., "required": ...},
    "ui_mode": ...,
}

#: Parameters of which the sandbox models only some values: path -> (allowed values, why).
ONLY_VALUES: dict[tuple[str, ...], tuple[frozenset[object], str]] = {
    ("automatic_tax", "enabled"): (
        frozenset({False}),
        "the sandbox calculates no tax, so automatic_tax[enabled] can only be false",
    ),
    ("invoice_creation", "enabled"): (
        frozenset({False}),
        "the sandbox creates no invoices, so invoice_creation[enabled] can only be false",
    ),
}


def refuse_unmodelled(params: dict[str, Any], tree: Tree = SESSION_CREATE) -> None:
    """Raise a 400 ``parameter_unknown`` for the first parameter of ``params`` outside ``tree``
    (or with a value :data:`ONLY_VALUES` refuses)."""
    _walk(params, tree, "", ())


def _walk(value: object, tree: Any, where: str, path: tuple[str, ...]) -> None:
    if tree is ...:
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, tree, f"{where}[{i}]", path)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        name = f"{where}[{key}]" if where else str(key)
        sub = tree.get(key) if isinstance(key, str) else None
        if sub is None:
            raise ApiError(
                400,
                f"Received unknown parameter: {name}. The checkoutkit sandbox does not model "
                f"{name}, so it refuses it rather than ignore it (see the sandbox's list of "
                "modelled parameters in the testing guide).",
                code="parameter_unknown",
                param=name,
            )
        only = ONLY_VALUES.get((*path, key))
        if only is not None and item not in only[0]:
            raise ApiError(
                400,
                f"Invalid {name}: {only[1]}.",
                param=name,
            )
        _walk(item, sub, name, (*path, key))
