"""Invoices and their lines, and the subscription items they bill (Stripe's pinned shapes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from checkoutkit.sandbox._state import new_id, public, snapshot

if TYPE_CHECKING:
    from checkoutkit.sandbox._billing import Event
    from checkoutkit.sandbox._state import State


def subscription_item(
    price: dict[str, Any], quantity: int, sub_id: str, now: int
) -> dict[str, Any]:
    """A subscription item of ``quantity`` of a recurring ``price`` (periods set later)."""
    recurring = price["recurring"]
    return {
        "id": new_id("si_", 14),
        "object": "subscription_item",
        "billed_until": None,
        "billing_thresholds": None,
        "created": now,
        "current_period_end": now,
        "current_period_start": now,
        "current_trial": None,
        "discounts": [],
        "metadata": {},
        "plan": {
            "id": price["id"],
            "object": "plan",
            "active": price["active"],
            "amount": price["unit_amount"],
            "amount_decimal": price["unit_amount_decimal"],
            "billing_scheme": price["billing_scheme"],
            "created": price["created"],
            "currency": price["currency"],
            "interval": recurring["interval"],
            "interval_count": recurring.get("interval_count", 1),
            "livemode": False,
            "metadata": price["metadata"],
            "meter": None,
            "nickname": price.get("nickname"),
            "product": price["product"],
            "tiers_mode": None,
            "transform_usage": None,
            "trial_period_days": None,
            "usage_type": recurring.get("usage_type", "licensed"),
        },
        "price": public(price),
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def invoice_line(
    price: dict[str, Any],
    sub: dict[str, Any],
    si: dict[str, Any] | None,
    *,
    quantity: int,
    amount: int,
    start: int,
    end: int,
) -> dict[str, Any]:
    """One line: ``quantity`` of ``price`` for ``sub``'s item ``si`` (None: a one-time price,
    billed once on the first invoice)."""
    return {
        "id": new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": price.get("currency") or sub["currency"],
        "description": f"{quantity} x {price.get('nickname') or price.get('product')}",
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": sub["id"],
                "subscription_item": si["id"] if si else new_id("si_", 14),
            },
            "type": "subscription_item_details",
        },
        "period": {"end": end if si else start, "start": start},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price.get("id"), "product": price.get("product")},
            "type": "price_details",
            "unit_amount_decimal": price.get("unit_amount_decimal"),
        },
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": sub["id"],
        "subtotal": amount,
        "taxes": [],
    }


def new_invoice(
    state: State,
    sub: dict[str, Any],
    *,
    reason: str,
    lines: list[dict[str, Any]],
    start: int,
    end: int,
) -> dict[str, Any]:
    """A draft invoice for one period of ``sub`` (finalised by :func:`_finalize`)."""
    customer = state.get(sub["customer"] or "", "customer") or {}
    invoice_id = new_id("in_")
    total = sum(line["amount"] for line in lines)
    for line in lines:
        line["invoice"] = invoice_id
    number = None
    if customer:
        number = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
        customer["next_invoice_sequence"] += 1
        state.put(customer)
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "checkoutkit sandbox",
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": start,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": sub["customer"],
        "customer_account": None,
        "customer_address": customer.get("address"),
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": customer.get("shipping"),
        "customer_tax_exempt": customer.get("tax_exempt", "none"),
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"account": None, "type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": number,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": snapshot(sub["metadata"]),
                "subscription": sub["id"],
                "subscription_proration_date": None,
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": start if reason == "subscription_create" else end,
        "period_start": start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_details": None,
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": sub.get("test_clock"),
        "threshold_reason": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def invoice_subscription(invoice: dict[str, Any]) -> str | None:
    """The ID of the subscription an invoice bills, if any."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    sub = details.get("subscription")
    return sub if isinstance(sub, str) else None


def finalize(invoice: dict[str, Any], now: int) -> list[Event]:
    """Open a draft invoice: the ``invoice.created`` and ``invoice.finalized`` events."""
    created = snapshot(invoice)
    invoice["status"] = "open"
    invoice["effective_at"] = now
    invoice["ending_balance"] = 0
    invoice["status_transitions"]["finalized_at"] = now
    return [("invoice.created", created, None), ("invoice.finalized", snapshot(invoice), None)]


def mark_paid(invoice: dict[str, Any], now: int) -> list[Event]:
    """Mark an invoice paid: ``invoice.paid`` and ``invoice.payment_succeeded``."""
    invoice["status"] = "paid"
    invoice["attempted"] = True
    invoice["amount_paid"] = invoice["amount_due"]
    invoice["amount_remaining"] = 0
    invoice["status_transitions"]["paid_at"] = now
    paid = snapshot(invoice)
    return [("invoice.paid", paid, None), ("invoice.payment_succeeded", paid, None)]


def invoice_filter(params: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """The ``keep`` predicate of ``GET /v1/invoices`` (``customer``, ``subscription``,
    ``status`` and ``collection_method``)."""

    def keep(o: dict[str, Any]) -> bool:
        if "subscription" in params and invoice_subscription(o) != params["subscription"]:
            return False
        return all(
            o.get(k) == params[k]
            for k in ("customer", "status", "collection_method")
            if k in params
        )

    return keep
