"""The hosted payment page: laid out like Stripe Checkout, server-rendered, everything escaped.

Two columns (one on a phone): the order summary on one side (merchant name and a "Test mode"
badge, the headline amount, the line items with their billing interval and trial, the summary
rows and the total) and the payment form on the other (contact, the sections of
:func:`form_sections`, the payment method, :func:`closing_sections`, the button). Each field
shows its own error under it; an error that belongs to no field (a decline, a failed
authentication) shows above the form. No JavaScript, nothing loaded from the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

from werkzeug.wrappers import Response

from checkoutkit._currencies import currency_exponent, from_minor_units
from checkoutkit._look import document, money, result_page
from checkoutkit._rules import is_web_url
from checkoutkit.sandbox import _collect, _methods, _page_sections
from checkoutkit.sandbox._core import Core, PayResult
from checkoutkit.sandbox._errors import ApiError
from checkoutkit.sandbox._page_kit import (
    AUTH_CSS,
    CHECKOUT_CSS,
    card_group,
    section,
    text_field,
)
from checkoutkit.sandbox._page_summary import (
    items_of,
    merchant_name,
    summary_html,
    theme,
    trial_days,
)
from checkoutkit.sandbox._params import parse_decimal, parse_int
from checkoutkit.sandbox._state import PRIVATE

#: The query the page is redirected to after a failed 3D Secure authentication.
AUTHENTICATION_FAILED = "authentication=failed"

#: Which form field a payment error belongs to, by Stripe error code.
_FIELD_OF_CODE = {
    "incorrect_number": "cardnumber",
    "invalid_number": "cardnumber",
    "invalid_expiry_month": "expiry",
    "invalid_expiry_year": "expiry",
    "invalid_cvc": "cvc",
    "incorrect_cvc": "cvc",
}

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_TEST_CARDS = (
    ("4242 4242 4242 4242", "pays"),
    ("4000 0025 0000 3155", "asks for 3D Secure"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 9995", "has insufficient funds"),
)


def _html(title: str, body: str, status: int = 200, *, theme: str = "") -> Response:
    page = document(title, body, css=CHECKOUT_CSS + theme)
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def message_page(
    message: str, *, status: int = 200, title: str = "Checkout", back: str | None = None
) -> Response:
    """A page with one message (unknown, expired or completed sessions), with a way back."""
    actions = [("Back to the shop", back)] if back else []
    page = result_page(title, message=message, actions=actions)
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def _session(core: Core, session_id: str) -> dict[str, Any] | Response:
    try:
        session = core.get("checkout.session", session_id, param="session")
    except ApiError:
        return message_page("This checkout page does not exist.", status=404)
    if session["status"] == "expired":
        return message_page(
            "This Checkout Session has expired: nothing was charged.",
            status=410,
            back=_web_url(session.get("cancel_url")),
        )
    if session["status"] == "complete":
        return message_page("This Checkout Session is already complete.", status=410)
    return session


# -- the payment form --------------------------------------------------------------------


def form_sections(
    core: Core, session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> list[str]:
    """Sections between the contact section and the payment method (quantities, shipping,
    addresses, phone and tax ID, custom fields, a promotion code)."""
    return _page_sections.form_sections(core, session, form, errors)


def closing_sections(
    core: Core, session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> list[str]:
    """Sections just above the button (consent, terms, the submit text)."""
    return _page_sections.closing_sections(session, form, errors)


def _custom_amount(core: Core, session: Mapping[str, Any]) -> dict[str, Any] | None:
    for _, price in items_of(core, session):
        if price.get("custom_unit_amount"):
            found: dict[str, Any] = price["custom_unit_amount"]
            return found
    return None


def _card_fields(form: Mapping[str, str], errors: Mapping[str, str]) -> str:
    return card_group(form, errors, label="Card information") + text_field(
        "postal_code",
        "ZIP / postal code",
        form.get("postal_code", ""),
        errors,
        autocomplete="postal-code",
    )


def _methods_html(
    session: Mapping[str, Any], form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    offered = session.get("payment_method_types") or ["card"]
    choices = []
    if "card" in offered:
        choices.append(("card", "Card", _card_fields(form, errors)))
    if "sepa_debit" in offered and session["currency"] in {None, "eur"}:
        iban = text_field(
            "iban", "IBAN", form.get("iban", ""), errors, placeholder="DE00 0000 0000 0000 0000 00"
        )
        mandate = (
            "<p class=fineprint>By providing your IBAN you authorise the merchant to debit "
            "your account for this payment (a test mandate: no money moves).</p>"
        )
        choices.append(("sepa_debit", "SEPA Direct Debit", iban + mandate))
    if len(choices) == 1:
        value, _, fields = choices[0]
        return f'<input type=hidden name=method value="{value}">{fields}'
    chosen = form.get("method") or choices[0][0]
    tiles = "".join(
        f"<div class=method><label class=method-choice><input type=radio name=method "
        f'value="{value}"{" checked" if value == chosen else ""}> {escape(label)}</label>'
        f"<div class=method-fields>{fields}</div></div>"
        for value, label, fields in choices
    )
    return (
        f"<fieldset class=methods><legend class=sr-only>Payment method</legend>{tiles}</fieldset>"
    )


def _form(
    core: Core,
    session: Mapping[str, Any],
    form: Mapping[str, str],
    errors: Mapping[str, str],
    error: str | None,
) -> str:
    parts = []
    if error:
        parts.append(f"<p class=alert id=error role=alert>{escape(error)}</p>")
    parts.append(f'<form method=post action="/c/pay/{escape(session["id"])}" novalidate>')
    email = form.get("email") or session.get("customer_email") or ""
    contact = text_field(
        "email", "Email", str(email), errors, kind="email", autocomplete="email", required=True
    )
    parts.append(section("Contact information", contact, ident="contact"))
    parts.extend(form_sections(core, session, form, errors))
    payment = ""
    custom = _custom_amount(core, session)
    if custom is not None:
        currency = session["currency"]
        preset = form.get("amount") or (
            str(from_minor_units(custom["preset"], currency)) if custom.get("preset") else ""
        )
        payment += text_field(
            "amount", f"Amount to pay ({currency.upper()})", preset, errors, inputmode="decimal"
        )
    payment += _methods_html(session, form, errors)
    saved = session.get("saved_payment_method_options") or {}
    if saved.get("payment_method_save") == "enabled":
        payment += (
            "<label class=check><input type=checkbox name=save value=true> "
            "Save my payment details for next time</label>"
        )
    parts.append(section("Payment method", payment, ident="payment-method"))
    parts.extend(closing_sections(core, session, form, errors))
    trial = session["mode"] == "subscription" and trial_days(core, session) is not None
    label = _page_sections.button_label(session, trial=trial)
    parts.append(f"<button class=button type=submit id=submit>{escape(label)}</button>")
    parts.append(_page_sections.after_button(session))
    if session["mode"] == "subscription":
        merchant = merchant_name(session)
        parts.append(
            "<p class=fineprint>By confirming your subscription, you allow "
            f"{escape(merchant)} to charge you for this payment and future payments in "
            "accordance with their terms. You can always cancel your subscription.</p>"
        )
    parts.append("</form>")
    cards = "".join(
        f"<li><code>{escape(number)}</code> {escape(what)}</li>" for number, what in _TEST_CARDS
    )
    parts.append(
        "<footer class=footer>A test page of the checkoutkit sandbox: no real payment is made."
        f"<details><summary>Test cards</summary><ul>{cards}</ul>Any future expiry date and "
        "any CVC.</details></footer>"
    )
    return "".join(parts)


def show(
    core: Core,
    session_id: str,
    *,
    error: str | None = None,
    errors: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    """The payment page of an open session, with the errors of a failed attempt if any.

    ``notice="failed"`` (the page's URL after a failed authentication) shows that failure
    and the email the shopper typed before it.
    """
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    session = found
    form = dict(form or {})
    errors = dict(errors or {})
    last = session[PRIVATE].get("error") or {}
    if notice == "failed" and last.get("code") == "payment_intent_authentication_failure":
        error = error or last.get("message")
        form.setdefault("email", last.get("email") or "")
    title = f"{merchant_name(session)} | Checkout"
    body = (
        "<div class=panel aria-hidden=true></div><main class=layout>"
        "<div class=summary id=summary aria-label='Order summary'>"
        f"{summary_html(core, session)}</div>"
        f"<div class=pay id=payment>{_form(core, session, form, errors, error)}</div></main>"
    )
    failed = bool(errors) or (error is not None and notice is None)
    return _html(title, body, 402 if failed else 200, theme=theme(session))


# -- submitting the form -----------------------------------------------------------------


def _parse_expiry(raw: str) -> tuple[int, int] | None:
    month, sep, year = raw.replace(" ", "").partition("/")
    if not sep or len(month) > 2 or len(year) > 4:
        return None
    exp_month, exp_year = parse_int(month), parse_int(year)
    if exp_month is None or exp_year is None:
        return None
    return exp_month, exp_year


def _parse_amount(raw: str, currency: str) -> int | None:
    value = parse_decimal(raw.strip().replace(",", "."))
    if value is None:
        return None
    return int((value * 10 ** currency_exponent(currency)).to_integral_value())


def _check(
    session: Mapping[str, Any], values: Mapping[str, str]
) -> tuple[dict[str, str], _methods.Card | _methods.Iban | None, int | None]:
    """Every field error at once, else the payment method and the amount (pay what you want)."""
    errors: dict[str, str] = {}
    email = values.get("email", "").strip()
    if not email and not session.get("customer_email"):
        errors["email"] = "Your email address is incomplete."
    elif email and not _EMAIL.fullmatch(email):
        errors["email"] = "Your email address is invalid."
    amount = None
    if values.get("amount"):
        amount = _parse_amount(values["amount"], session["currency"] or "usd")
        if amount is None:
            errors["amount"] = "Enter a valid amount."
    method: _methods.Card | _methods.Iban | None = None
    if values.get("method") == "sepa_debit":
        iban = _methods.normalize_iban(values.get("iban", ""))
        if not iban:
            errors["iban"] = "Your IBAN is incomplete."
        method = _methods.Iban(iban)
    else:
        number = _methods.normalize_number(values.get("cardnumber", ""))
        if not number:
            errors["cardnumber"] = "Your card number is incomplete."
        expiry = _parse_expiry(values.get("expiry", ""))
        if expiry is None:
            errors["expiry"] = "Your card's expiration date is incomplete."
        cvc = values.get("cvc", "").strip()
        if not cvc:
            errors["cvc"] = "Your card's security code is incomplete."
        if expiry is not None:
            postal = values.get("postal_code", "").strip()
            method = _methods.Card(number, expiry[0], expiry[1], cvc, postal)
    return errors, (None if errors else method), amount


def submit(core: Core, session_id: str, form: Mapping[str, str]) -> Response:
    """Handle the payment form: pay, ask for 3D Secure, or show the errors on the page."""
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    values = dict(form.items())
    if _page_sections.code_to_apply(core, found, values):
        errors = _page_sections.enter_code(core, session_id, values)
        return show(core, session_id, errors=errors, form=values)
    errors, method, amount = _check(found, values)
    if errors or method is None:
        return show(core, session_id, errors=errors, form=values)
    try:
        result = core.pay(
            session_id,
            method,
            email=values.get("email", "").strip() or None,
            save=values.get("save") == "true",
            amount=amount,
            collected=_collect.collected_from(values),
        )
    except ApiError as exc:
        return message_page(exc.message, status=410)
    return _after(core, session_id, result, values)


def _after(core: Core, session_id: str, result: PayResult, values: dict[str, str]) -> Response:
    if result.status == "failed":
        field = result.field or _FIELD_OF_CODE.get(result.code or "")
        message = result.message or "The payment failed."
        if field is not None:
            return show(core, session_id, errors={field: message}, form=values)
        return show(core, session_id, error=message, form=values)
    if result.status == "requires_action":
        return _redirect(f"/c/pay/{session_id}/authenticate")
    session = result.session
    target = session.get("success_url") or session.get("return_url")
    if target and is_web_url(target):
        return _redirect(target.replace("{CHECKOUT_SESSION_ID}", session["id"]))
    return message_page("Thank you: your payment is complete.", title="Payment complete")


def _redirect(location: str) -> Response:
    response = Response("", status=303)
    response.headers["Location"] = location
    return response


# -- 3D Secure ---------------------------------------------------------------------------


def show_authentication(core: Core, session_id: str) -> Response:
    """The 3D Secure test page: Complete or Fail the authentication."""
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    if not found[PRIVATE].get("pending_auth"):
        return _redirect(f"/c/pay/{session_id}")
    action = escape(f"/c/pay/{session_id}/authenticate")
    amount = money(found["amount_total"], found["currency"])
    body = (
        "<main class=result><header class=merchant><span class=merchant-name>"
        f"{escape(merchant_name(found))}</span><span class=badge id=test-mode>Test mode</span>"
        "</header><h1>3D Secure authentication</h1>"
        f"<p class=message>{escape(amount)}: this test page stands in for your bank's check. "
        "Complete or fail the authentication.</p>"
        f'<form method=post action="{action}" class=actions>'
        "<button class=button type=submit name=result value=complete id=complete>Complete"
        "</button><button class='button secondary' type=submit name=result value=fail id=fail>"
        "Fail</button></form></main>"
    )
    return _html("Authenticate", body, theme=theme(found) + AUTH_CSS)


def submit_authentication(core: Core, session_id: str, form: Mapping[str, str]) -> Response:
    """Handle Complete / Fail on the 3D Secure page; a failure goes back to the payment page."""
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    if not found[PRIVATE].get("pending_auth"):
        return _redirect(f"/c/pay/{session_id}")
    result = core.authenticate(session_id, complete=form.get("result") == "complete")
    if result.status == "failed":
        return _redirect(f"/c/pay/{session_id}?{AUTHENTICATION_FAILED}")
    return _after(core, session_id, result, {})


def _web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL a page may link to, else None."""
    return url if url and is_web_url(url) else None
