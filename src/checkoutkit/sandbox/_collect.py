"""What a session asks the shopper for beyond payment details, and what the shopper gave.

A session's ``custom_fields``, ``custom_text``, ``consent_collection``, ``phone_number_collection``,
``tax_id_collection``, ``shipping_address_collection`` and ``billing_address_collection`` decide
what the payment page asks; :class:`Collected` is what the shopper entered, and :func:`apply`
checks it against the session and records it where Stripe does (``custom_fields[].*.value``,
``consent``, ``customer_details``, ``collected_information.shipping_details``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from checkoutkit.sandbox._methods import MethodError

#: The address fields of ``shipping_details.address`` and ``customer_details.address``.
ADDRESS_KEYS = ("line1", "line2", "city", "state", "postal_code", "country")


@attrs.frozen
class Collected:
    """What the shopper entered on the page (or a test passed to the pay control)."""

    shipping_name: str = ""
    shipping_address: dict[str, str] = attrs.Factory(dict)
    billing_address: dict[str, str] = attrs.Factory(dict)
    phone: str = ""
    tax_id_type: str = ""
    tax_id_value: str = ""
    terms_accepted: bool = False
    promotions_opt_in: bool = False
    custom: dict[str, str] = attrs.Factory(dict)
    shipping_rate: str | None = None
    quantities: dict[str, int] = attrs.Factory(dict)


def _text(block: Any) -> dict[str, Any] | None:
    return {"message": block["message"]} if isinstance(block, dict) else None


def _field(raw: dict[str, Any]) -> dict[str, Any]:
    kind = raw.get("type")
    field: dict[str, Any] = {
        "dropdown": None,
        "key": raw.get("key"),
        "label": {
            "custom": (raw.get("label") or {}).get("custom"),
            "type": (raw.get("label") or {}).get("type", "custom"),
        },
        "numeric": None,
        "optional": bool(raw.get("optional", False)),
        "text": None,
        "type": kind,
    }
    given = (raw.get(kind) if isinstance(kind, str) else None) or {}
    if kind == "dropdown":
        field["dropdown"] = {
            "default_value": given.get("default_value"),
            "options": [{"label": o["label"], "value": o["value"]} for o in given["options"]],
            "value": None,
        }
    elif kind in {"numeric", "text"}:
        field[kind] = {
            "default_value": given.get("default_value"),
            "maximum_length": given.get("maximum_length"),
            "minimum_length": given.get("minimum_length"),
            "value": None,
        }
    return field


def session_fields(params: dict[str, Any]) -> dict[str, Any]:
    """The session's collection settings as Stripe answers them, from the create params."""
    consent = params.get("consent_collection")
    reuse = (consent or {}).get("payment_method_reuse_agreement")
    shipping = params.get("shipping_address_collection")
    text = params.get("custom_text") or {}
    return {
        "collected_information": {
            "business_name": None,
            "individual_name": None,
            "shipping_details": None,
        },
        "consent": None,
        "consent_collection": (
            {
                "payment_method_reuse_agreement": (
                    {"position": reuse.get("position", "auto")} if reuse else None
                ),
                "promotions": consent.get("promotions"),
                "terms_of_service": consent.get("terms_of_service"),
            }
            if isinstance(consent, dict)
            else None
        ),
        "custom_fields": [_field(f) for f in params.get("custom_fields") or []],
        "custom_text": {
            key: _text(text.get(key))
            for key in ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
        },
        "phone_number_collection": {
            "enabled": bool((params.get("phone_number_collection") or {}).get("enabled", False))
        },
        "shipping_address_collection": (
            {"allowed_countries": list(shipping.get("allowed_countries", []))}
            if isinstance(shipping, dict)
            else None
        ),
    }


def _address(given: dict[str, str]) -> dict[str, Any]:
    return {key: (given.get(key) or "").strip() or None for key in ADDRESS_KEYS}


def _fail(message: str, field: str) -> MethodError:
    return MethodError("parameter_missing", message, field=field)


def _first_empty(prefix: str, given: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The form field of the first of ``keys`` left empty in ``given``, if any."""
    return next((f"{prefix}_{key}" for key in keys if not given.get(key)), None)


def apply(session: dict[str, Any], got: Collected) -> dict[str, Any]:
    """Check what the shopper entered against what ``session`` asks; the ``customer_details``
    extras (address, name, phone, tax IDs) to record. Fills ``custom_fields`` values,
    ``consent`` and ``collected_information`` on ``session``. Raises :class:`MethodError`
    (shown on the page) for anything required that is missing or invalid."""
    details: dict[str, Any] = {}
    shipping = session.get("shipping_address_collection")
    if shipping:
        address = _address(got.shipping_address)
        if not got.shipping_name.strip():
            raise _fail("Enter the shipping name and address.", "shipping_name")
        empty = _first_empty("shipping", address, ("line1", "city"))
        if empty:
            raise _fail("Enter the shipping name and address.", empty)
        empty = _first_empty("shipping", address, ("postal_code", "country"))
        if empty:
            raise _fail("Enter the shipping postal code and country.", empty)
        address["country"] = address["country"].upper()
        if address["country"] not in shipping["allowed_countries"]:
            raise _fail(f"We cannot ship to {address['country']}.", "shipping_country")
        session["collected_information"]["shipping_details"] = {
            "address": address,
            "name": got.shipping_name.strip(),
        }
        details["name"] = got.shipping_name.strip()
    if session.get("billing_address_collection") == "required":
        billing = _address(got.billing_address)
        empty = _first_empty("billing", billing, ("line1", "city", "country"))
        if empty:
            raise _fail("Enter the billing address.", empty)
        billing["country"] = billing["country"].upper()
        details["address"] = billing
    if session["phone_number_collection"]["enabled"]:
        phone = got.phone.strip()
        if not phone or not all(c.isdigit() or c in "+-() " for c in phone) or len(phone) > 20:
            raise _fail("Enter a valid phone number.", "phone")
        details["phone"] = phone
    tax_ids = session.get("tax_id_collection") or {}
    if tax_ids.get("enabled") and got.tax_id_value.strip():
        details["tax_ids"] = [
            {"type": got.tax_id_type or "eu_vat", "value": got.tax_id_value.strip()}
        ]
    elif tax_ids.get("required") == "if_supported":
        raise _fail("Enter your tax ID.", "tax_id_value")
    consent = session.get("consent_collection") or {}
    if consent.get("terms_of_service") == "required" and not got.terms_accepted:
        raise _fail("Accept the terms of service to continue.", "terms")
    if consent.get("terms_of_service") == "required" or consent.get("promotions") == "auto":
        session["consent"] = {
            "promotions": (
                ("opt_in" if got.promotions_opt_in else "opt_out")
                if consent.get("promotions") == "auto"
                else None
            ),
            "terms_of_service": "accepted" if got.terms_accepted else None,
        }
    for field in session.get("custom_fields") or []:
        _custom_value(field, got.custom.get(field["key"], "").strip())
    return details


def _custom_value(field: dict[str, Any], value: str) -> None:
    label = field["label"]["custom"] or field["key"]
    kind = field["type"]
    block = field[kind]
    name = f"custom.{field['key']}"
    if not value:
        if not field["optional"]:
            raise _fail(f"{label} is required.", name)
        return
    if kind == "dropdown":
        if value not in {o["value"] for o in block["options"]}:
            raise _fail(f"Choose one of the options for {label}.", name)
    else:
        if kind == "numeric" and not (value.isascii() and value.isdigit()):
            raise _fail(f"{label} takes digits only.", name)
        lo, hi = block["minimum_length"] or 0, block["maximum_length"] or 255
        if not lo <= len(value) <= hi:
            raise _fail(f"{label} must be {lo} to {hi} characters long.", name)
    block["value"] = value


def payment_intent_shipping(session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any] | None:
    """A PaymentIntent's ``shipping``: what the shopper entered, else ``payment_intent_data``."""
    collected = (session.get("collected_information") or {}).get("shipping_details")
    given = collected or data.get("shipping")
    if not given:
        return None
    address = given.get("address") or {}
    return {
        "address": {k: address.get(k) for k in ADDRESS_KEYS},
        "carrier": given.get("carrier"),
        "name": given.get("name"),
        "phone": given.get("phone"),
        "tracking_number": given.get("tracking_number"),
    }


def collected_from(values: Mapping[str, Any]) -> Collected:
    """:class:`Collected` from the page's form fields (the pay control takes the same names):
    ``shipping_name``, ``shipping_<address key>``, ``billing_<address key>``, ``phone``,
    ``tax_id_type``, ``tax_id_value``, ``terms=accepted``, ``promotions=opt_in``,
    ``custom.<key>``, ``quantity.<line item id>`` and ``shipping_rate``."""

    def text(key: str) -> str:
        value = values.get(key)
        return value if isinstance(value, str) else ""

    quantities: dict[str, int] = {}
    for key, value in values.items():
        if key.startswith("quantity.") and isinstance(value, (str, int)):
            raw = str(value).strip()
            ok = raw.isascii() and raw.isdigit() and len(raw) <= 4
            quantities[key[len("quantity.") :]] = int(raw) if ok else -1  # refused by pay()
    return Collected(
        shipping_name=text("shipping_name"),
        shipping_address={k: text(f"shipping_{k}") for k in ADDRESS_KEYS},
        billing_address={k: text(f"billing_{k}") for k in ADDRESS_KEYS},
        phone=text("phone"),
        tax_id_type=text("tax_id_type"),
        tax_id_value=text("tax_id_value"),
        terms_accepted=text("terms") == "accepted",
        promotions_opt_in=text("promotions") == "opt_in",
        custom={
            k[len("custom.") :]: v
            for k, v in values.items()
            if k.startswith("custom.") and isinstance(v, str)
        },
        shipping_rate=text("shipping_rate") or None,
        quantities=quantities,
    )
