"""Sections of the hosted payment page for what a session collects beyond payment details.

:func:`form_sections` are the sections between the contact section and the payment method
(quantities, shipping address and method, billing address, phone and tax ID, custom fields, a
promotion code with its Apply button); :func:`closing_sections` sit just above the button
(consent checkboxes, ``custom_text.submit``). They are built from the page's own parts
(:mod:`._page_kit`), so each field shows its own error under it. Field names are those
:func:`._collect.collected_from` reads; every value is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from checkoutkit._look import money
from checkoutkit.sandbox._core import Core
from checkoutkit.sandbox._errors import ApiError
from checkoutkit.sandbox._page_kit import field_error, input_tag, section, text_field
from checkoutkit.sandbox._state import PRIVATE

#: The address fields in the order the address group shows them, with their placement in it.
_ADDRESS = (
    ("country", "Country (2 letters, e.g. DE)", "country", "wide"),
    ("line1", "Address line 1", "address-line1", "span"),
    ("line2", "Address line 2 (optional)", "address-line2", "span"),
    ("city", "City", "address-level2", ""),
    ("postal_code", "Postal code", "postal-code", ""),
    ("state", "State or province (optional)", "address-level1", "below"),
)


def _message(session: Mapping[str, Any], key: str, ident: str, css: str = "notice") -> str:
    block = (session.get("custom_text") or {}).get(key)
    if not block:
        return ""
    return f"<p class={css} id={ident}>{escape(str(block['message']))}</p>"


def _address_group(
    prefix: str, title: str, form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    inputs = "".join(
        input_tag(
            f"{prefix}_{key}",
            form.get(f"{prefix}_{key}", ""),
            errors,
            css=css,
            placeholder=label,
            aria_label=label,
            autocomplete=f"{prefix} {auto}",
        )
        for key, label, auto, css in _ADDRESS
    )
    messages = "".join(field_error(f"{prefix}_{key}", errors) for key, _, _, _ in _ADDRESS)
    return (
        f"<div class=field role=group aria-labelledby={prefix}-address-label>"
        f"<span class=field-label id={prefix}-address-label>{escape(title)}</span>"
        f"<div class=group>{inputs}</div>{messages}</div>"
    )


def _quantities(
    session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    fields = []
    for li in session[PRIVATE]["line_items"]:
        adjustable = li.get("adjustable_quantity") or {}
        if not adjustable.get("enabled"):
            continue
        name = f"quantity.{li['id']}"
        fields.append(
            text_field(
                name,
                f"Quantity of {li['description'] or ''}",
                str(form.get(name, li["quantity"])),
                errors,
                kind="number",
                inputmode="numeric",
                min=str(adjustable.get("minimum") or 0),
                max=str(adjustable.get("maximum") or 99),
            )
        )
    return section("Quantity", "".join(fields), ident="quantities") if fields else ""


def _shipping_address(
    session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    collection = session.get("shipping_address_collection")
    if not collection:
        return ""
    countries = ", ".join(collection["allowed_countries"])
    inner = (
        _message(session, "shipping_address", "shipping-text")
        + text_field(
            "shipping_name",
            "Full name",
            form.get("shipping_name", ""),
            errors,
            autocomplete="shipping name",
        )
        + _address_group("shipping", "Address", form, errors)
        + f"<p class=notice id=ship-to>We ship to {escape(countries)}.</p>"
    )
    return section("Shipping address", inner, ident="shipping-address")


def _estimate(rate: Mapping[str, Any]) -> str:
    estimate = rate.get("delivery_estimate") or {}
    low, high = estimate.get("minimum") or {}, estimate.get("maximum") or {}
    unit = str(high.get("unit") or low.get("unit") or "").replace("_", " ")
    if not unit:
        return ""
    values = [str(b["value"]) for b in (low, high) if b.get("value") is not None]
    span = " to ".join(dict.fromkeys(values))  # "3 to 5", or "3" when both ends agree
    if not span:
        return ""
    return f"{span} {unit}" if span == "1" else f"{span} {unit}s"


def _shipping_options(
    core: Core, session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    options = session.get("shipping_options") or []
    if not options:
        return ""
    chosen = form.get("shipping_rate") or (session.get("shipping_cost") or {}).get("shipping_rate")
    choices = []
    for option in options:
        rate_id = option["shipping_rate"]
        rate = core.state.get(rate_id, "shipping_rate") or {}
        amount = option["shipping_amount"]
        note = _estimate(rate)
        choices.append(
            f'<label class=choice><input type=radio name=shipping_rate value="{escape(rate_id)}"'
            f"{' checked' if rate_id == chosen else ''}><span class=choice-name>"
            f"{escape(str(rate.get('display_name') or ''))}"
            + (f"<span class=choice-note>{escape(note)}</span>" if note else "")
            + "</span><span class=choice-amount>"
            f"{escape(money(amount, session['currency']) if amount else 'Free')}</span></label>"
        )
    inner = (
        "<fieldset class=choices><legend class=sr-only>Shipping method</legend>"
        f"{''.join(choices)}</fieldset>{field_error('shipping_rate', errors)}"
    )
    return section("Shipping method", inner, ident="shipping-options")


def _details(session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]) -> str:
    fields = []
    if (session.get("phone_number_collection") or {}).get("enabled"):
        fields.append(
            text_field(
                "phone",
                "Phone number",
                form.get("phone", ""),
                errors,
                kind="tel",
                autocomplete="tel",
            )
        )
    tax_ids = session.get("tax_id_collection") or {}
    if tax_ids.get("enabled"):
        optional = "" if tax_ids.get("required") == "if_supported" else " (optional)"
        fields.append(
            text_field("tax_id_value", f"Tax ID{optional}", form.get("tax_id_value", ""), errors)
            + text_field(
                "tax_id_type",
                "Tax ID type",
                form.get("tax_id_type", ""),
                errors,
                placeholder="eu_vat",
            )
        )
    return section("Your details", "".join(fields), ident="details") if fields else ""


def _select(
    name: str,
    label: str,
    options: list[tuple[str, str]],
    current: str,
    errors: Mapping[str, str],
) -> str:
    chosen = "".join(
        f'<option value="{escape(value)}"{" selected" if value == current else ""}>'
        f"{escape(text)}</option>"
        for value, text in [("", "Choose…"), *options]
    )
    invalid = (
        f' aria-invalid=true aria-describedby="{escape(name)}-error"' if name in errors else ""
    )
    return (
        f'<div class=field><label class=field-label for="{escape(name)}">{escape(label)}</label>'
        f'<select class=input name="{escape(name)}" id="{escape(name)}"{invalid}>{chosen}'
        f"</select>{field_error(name, errors)}</div>"
    )


def _custom_fields(
    session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    fields = []
    for field in session.get("custom_fields") or []:
        name = f"custom.{field['key']}"
        label = str(field["label"]["custom"] or field["key"])
        if field["optional"]:
            label += " (optional)"
        block = field[field["type"]] or {}
        current = str(form.get(name, block.get("default_value") or ""))
        if field["type"] == "dropdown":
            options = [(str(o["value"]), str(o["label"])) for o in block["options"]]
            fields.append(_select(name, label, options, current, errors))
        else:
            mode = "numeric" if field["type"] == "numeric" else "text"
            fields.append(text_field(name, label, current, errors, inputmode=mode))
    if not fields:
        return ""
    return section("Additional information", "".join(fields), ident="custom-fields")


def _applied_code(core: Core, session: Mapping[str, Any]) -> str | None:
    for discount in session.get("discounts") or []:
        promo = core.state.get(discount.get("promotion_code") or "", "promotion_code")
        if promo is not None:
            return str(promo["code"])
    return None


def _promotion(
    core: Core, session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    if not session.get("allow_promotion_codes"):
        return ""
    applied = _applied_code(core, session)
    code = form.get("promotion_code", applied or "")
    field = input_tag(
        "promotion_code",
        code,
        errors,
        placeholder="Add promotion code",
        aria_label="Promotion code",
        autocomplete="off",
    )
    # The form's first submit button is the one Enter presses: make it the payment's, so
    # Enter in any field pays (or applies a code typed and not applied yet, see submit).
    default = (
        "<button type=submit class=sr-only tabindex=-1 aria-hidden=true></button><div class=apply>"
    )
    note = (
        f"<p class=notice id=applied-code>{escape(applied)} applied.</p>"
        if applied and "promotion_code" not in errors
        else ""
    )
    inner = (
        f"{default}{field}<button class='button secondary' type=submit name=apply_code value=1 "
        f"id=apply-code>Apply</button></div>{field_error('promotion_code', errors)}{note}"
    )
    return section("Promotion code", inner, ident="promotion")


def form_sections(
    core: Core, session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> list[str]:
    """The sections a session asks for, between the contact section and the payment method."""
    parts = [
        _quantities(session, form, errors),
        _shipping_address(session, form, errors),
        _shipping_options(core, session, form, errors),
    ]
    if session.get("billing_address_collection") == "required":
        parts.append(
            section(
                "Billing address",
                _address_group("billing", "Address", form, errors),
                ident="billing-address",
            )
        )
    parts.append(_details(session, form, errors))
    parts.append(_custom_fields(session, form, errors))
    parts.append(_promotion(core, session, form, errors))
    return [part for part in parts if part]


def closing_sections(
    session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> list[str]:
    """Consent checkboxes and ``custom_text.submit``, just above the button."""
    consent = session.get("consent_collection") or {}
    parts = []
    if consent.get("promotions") == "auto":
        checked = " checked" if form.get("promotions") == "opt_in" else ""
        parts.append(
            f"<label class=check><input type=checkbox name=promotions value=opt_in "
            f"id=promotions{checked}> Keep me updated with news and offers</label>"
        )
    if consent.get("terms_of_service") == "required":
        text = (session.get("custom_text") or {}).get("terms_of_service_acceptance")
        words = text["message"] if text else "I agree to the terms of service"
        checked = " checked" if form.get("terms") == "accepted" else ""
        invalid = ' aria-invalid=true aria-describedby="terms-error"' if "terms" in errors else ""
        parts.append(
            f"<label class=check><input type=checkbox name=terms value=accepted id=terms"
            f"{checked}{invalid}> {escape(str(words))}</label>{field_error('terms', errors)}"
        )
    parts.append(_message(session, "submit", "submit-text"))
    inner = "".join(parts)
    return [f"<div class=closing id=consent>{inner}</div>"] if inner else []


def after_button(session: Mapping[str, Any]) -> str:
    """``custom_text.after_submit``, shown under the button."""
    return _message(session, "after_submit", "after-submit-text", css="fineprint")


def button_label(session: Mapping[str, Any], *, trial: bool) -> str:
    """The button's words: ``submit_type`` when the session gives one (``pay``, ``book``,
    ``donate``, ``subscribe``), else by mode: Save, Start trial, Subscribe or Pay."""
    submit_type = session.get("submit_type")
    if submit_type in {"book", "donate", "pay", "subscribe"}:
        return str(submit_type).capitalize()
    if session["mode"] == "setup":
        return "Save"
    if session["mode"] == "subscription":
        return "Start trial" if trial else "Subscribe"
    return "Pay"


def code_to_apply(core: Core, session: Mapping[str, Any], form: Mapping[str, str]) -> bool:
    """Whether this submission applies a promotion code rather than pays: Apply was pressed,
    or a code was typed that is not the one applied (the shopper sees the new total first)."""
    if form.get("apply_code"):
        return True
    typed = form.get("promotion_code", "").strip()
    if not typed or not session.get("allow_promotion_codes"):
        return False
    return typed.lower() != (_applied_code(core, session) or "").lower()


def enter_code(core: Core, session_id: str, form: Mapping[str, str]) -> dict[str, str]:
    """Apply the promotion code the shopper typed; the field's error, if any."""
    code = form.get("promotion_code", "").strip()
    if not code:
        return {"promotion_code": "Enter a promotion code."}
    try:
        core.enter_promotion_code(session_id, code)
    except ApiError as exc:
        return {"promotion_code": exc.message}
    return {}
