"""Sections of the hosted payment page for what a session collects beyond payment details.

Each function returns an HTML fragment with every value escaped: quantities, shipping address
and options, billing address, phone, tax ID, custom fields, a promotion code field, the
consent checkboxes and the session's custom text. Field names are those
:func:`._collect.collected_from` reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from checkoutkit._currencies import from_minor_units
from checkoutkit.sandbox._errors import ApiError

#: ``State.get``: an object by ID and type, or None.
Lookup = Callable[[str, str], "dict[str, Any] | None"]

_ADDRESS_LABELS = (
    ("line1", "Address line 1", "address-line1"),
    ("line2", "Address line 2", "address-line2"),
    ("city", "City", "address-level2"),
    ("state", "State", "address-level1"),
    ("postal_code", "Postal code", "postal-code"),
    ("country", "Country (2 letters)", "country"),
)


def _money(amount: int, currency: str | None) -> str:
    return f"{from_minor_units(amount, currency)} {currency.upper()}" if currency else ""


def _input(name: str, label: str, form: Mapping[str, Any], **attrs: str) -> str:
    extra = "".join(f' {k}="{escape(v)}"' for k, v in attrs.items())
    value = escape(str(form.get(name, "")))
    return (
        f'<label>{escape(label)} <input type=text name="{escape(name)}" '
        f'value="{value}"{extra}></label>'
    )


def _message(session: dict[str, Any], key: str, css: str) -> str:
    block = (session.get("custom_text") or {}).get(key)
    if not block:
        return ""
    return f"<p class={css} id={css}>{escape(block['message'])}</p>"


def summary_rows(session: dict[str, Any]) -> str:
    """Table rows for the discount and shipping above the total."""
    totals = session.get("total_details") or {}
    currency = session.get("currency")
    rows = []
    if totals.get("amount_discount"):
        rows.append(
            "<tr class=discount><td>Discount</td><td class=amt id=discount>-"
            f"{escape(_money(totals['amount_discount'], currency))}</td></tr>"
        )
    if session.get("shipping_cost"):
        rows.append(
            "<tr class=shipping><td>Shipping</td><td class=amt id=shipping>"
            f"{escape(_money(session['shipping_cost']['amount_total'], currency))}</td></tr>"
        )
    return "".join(rows)


def details(
    session: dict[str, Any], items: list[dict[str, Any]], form: Mapping[str, Any], get: Lookup
) -> str:
    """The form sections a session asks for, between the email and the payment method."""
    parts = [_quantities(items, form), _shipping(session, form, get)]
    if session.get("billing_address_collection") == "required":
        parts.append(_address("billing", "Billing address", form))
    if (session.get("phone_number_collection") or {}).get("enabled"):
        parts.append(_input("phone", "Phone number", form, autocomplete="tel", inputmode="tel"))
    if (session.get("tax_id_collection") or {}).get("enabled"):
        parts.append(
            "<fieldset id=tax-id><legend>Tax ID</legend>"
            + _input("tax_id_type", "Type (e.g. eu_vat)", form)
            + _input("tax_id_value", "Number", form)
            + "</fieldset>"
        )
    parts.extend(_custom_field(f, form) for f in session.get("custom_fields") or [])
    if session.get("allow_promotion_codes"):
        parts.append(
            "<fieldset id=promotion><legend>Promotion code</legend>"
            + _input("promotion_code", "Code", form)
            + "<button type=submit name=apply_code value=1 formnovalidate id=apply-code>"
            "Apply</button></fieldset>"
        )
    return "".join(parts)


def _quantities(items: list[dict[str, Any]], form: Mapping[str, Any]) -> str:
    out = []
    for li in items:
        adjustable = li.get("adjustable_quantity") or {}
        if not adjustable.get("enabled"):
            continue
        name = f"quantity.{li['id']}"
        value = escape(str(form.get(name, li["quantity"])))
        out.append(
            f"<label>Quantity of {escape(str(li['description'] or ''))} "
            f'<input type=number name="{escape(name)}" value="{value}" '
            f'min="{adjustable.get("minimum") or 0}" max="{adjustable.get("maximum") or 99}">'
            "</label>"
        )
    return "".join(out)


def _address(prefix: str, legend: str, form: Mapping[str, Any]) -> str:
    fields = "".join(
        _input(f"{prefix}_{key}", label, form, autocomplete=f"{prefix} {auto}")
        for key, label, auto in _ADDRESS_LABELS
    )
    return f"<fieldset id={prefix}-address><legend>{escape(legend)}</legend>{fields}</fieldset>"


def _shipping(session: dict[str, Any], form: Mapping[str, Any], get: Lookup) -> str:
    parts = []
    collection = session.get("shipping_address_collection")
    if collection:
        countries = ", ".join(collection["allowed_countries"])
        parts.append(
            "<fieldset id=shipping-address><legend>Shipping address</legend>"
            + _message(session, "shipping_address", "shipping-text")
            + _input("shipping_name", "Name", form, autocomplete="shipping name")
            + "".join(
                _input(f"shipping_{key}", label, form, autocomplete=f"shipping {auto}")
                for key, label, auto in _ADDRESS_LABELS
            )
            + f"<p class=hint>We ship to {escape(countries)}.</p></fieldset>"
        )
    options = session.get("shipping_options") or []
    if options:
        chosen = form.get("shipping_rate") or (session.get("shipping_cost") or {}).get(
            "shipping_rate"
        )
        radios = []
        for option in options:
            rate = get(option["shipping_rate"], "shipping_rate") or {}
            checked = " checked" if option["shipping_rate"] == chosen else ""
            radios.append(
                f'<label><input type=radio name=shipping_rate value="'
                f'{escape(option["shipping_rate"])}"{checked}> '
                f"{escape(str(rate.get('display_name') or ''))} "
                f"{escape(_money(option['shipping_amount'], session.get('currency')))}</label>"
            )
        parts.append(
            f"<fieldset id=shipping-options><legend>Shipping</legend>{''.join(radios)}</fieldset>"
        )
    return "".join(parts)


def _custom_field(field: dict[str, Any], form: Mapping[str, Any]) -> str:
    name = f"custom.{field['key']}"
    label = field["label"]["custom"] or field["key"]
    if field["optional"]:
        label += " (optional)"
    block = field[field["type"]] or {}
    current = str(form.get(name, block.get("default_value") or ""))
    if field["type"] == "dropdown":
        options = "".join(
            f'<option value="{escape(o["value"])}"'
            f"{' selected' if o['value'] == current else ''}>{escape(o['label'])}</option>"
            for o in block["options"]
        )
        return (
            f'<label>{escape(label)} <select name="{escape(name)}">'
            f'<option value="">Choose…</option>{options}</select></label>'
        )
    mode = "numeric" if field["type"] == "numeric" else "text"
    return (
        f'<label>{escape(label)} <input type=text name="{escape(name)}" '
        f'inputmode={mode} value="{escape(current)}"></label>'
    )


def near_submit(session: dict[str, Any]) -> str:
    """Consent checkboxes and the custom text shown around the submit button."""
    consent = session.get("consent_collection") or {}
    parts = []
    if consent.get("promotions") == "auto":
        parts.append(
            "<label><input type=checkbox name=promotions value=opt_in id=promotions> "
            "Keep me updated with news and offers</label>"
        )
    if consent.get("terms_of_service") == "required":
        text = (session.get("custom_text") or {}).get("terms_of_service_acceptance")
        words = text["message"] if text else "I agree to the terms of service"
        parts.append(
            "<label><input type=checkbox name=terms value=accepted id=terms> "
            f"{escape(words)}</label>"
        )
    parts.append(_message(session, "submit", "submit-text"))
    parts.append(_message(session, "after_submit", "after-submit-text"))
    return "".join(parts)


def submit_label(session: dict[str, Any]) -> str:
    """The submit button's words, as ``submit_type`` asks (Stripe's defaults otherwise)."""
    if session["mode"] == "setup":
        return "Save"
    if session["mode"] == "subscription":
        return "Subscribe"
    return {"book": "Book", "donate": "Donate"}.get(session.get("submit_type") or "", "Pay")


def enter_code(core: Any, session_id: str, form: Mapping[str, Any]) -> str | None:
    """Apply the promotion code the shopper typed; the error to show, if any."""
    code = str(form.get("promotion_code", "")).strip()
    if not code:
        return "Enter a promotion code."
    try:
        core.enter_promotion_code(session_id, code)
    except ApiError as exc:
        return exc.message
    return None
