"""The hosted payment page: server-rendered HTML, no JavaScript, everything escaped."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from werkzeug.wrappers import Response

from checkoutkit._currencies import currency_exponent, from_minor_units
from checkoutkit._rules import is_web_url
from checkoutkit.sandbox import _collect, _methods, _page_sections
from checkoutkit.sandbox._core import Core, PayResult
from checkoutkit.sandbox._errors import ApiError
from checkoutkit.sandbox._params import parse_decimal, parse_int
from checkoutkit.sandbox._state import PRIVATE

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}
table{width:100%;border-collapse:collapse}td{padding:.3rem 0}td.amt{text-align:right}
fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.8rem}
label{display:block;margin:.4rem 0}input[type=text],input[type=email]{width:100%;padding:.4rem;
box-sizing:border-box}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:6px}
button{padding:.6rem 1.2rem;font-size:1rem}.total{font-weight:bold}
"""


def _html(title: str, body: str, status: int = 200) -> Response:
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def message_page(message: str, *, status: int = 200, title: str = "Checkout") -> Response:
    """A page with one message (unknown, expired or completed sessions)."""
    return _html(title, f"<h1>{escape(title)}</h1><p id=message>{escape(message)}</p>", status)


def _money(amount: int | None, currency: str | None) -> str:
    if amount is None or currency is None:
        return ""
    return f"{from_minor_units(amount, currency)} {currency.upper()}"


def _session(core: Core, session_id: str) -> dict[str, Any] | Response:
    try:
        session = core.get("checkout.session", session_id, param="session")
    except ApiError:
        return message_page("This checkout page does not exist.", status=404)
    if session["status"] == "expired":
        return message_page("This Checkout Session has expired.", status=410)
    if session["status"] == "complete":
        return message_page("This Checkout Session is already complete.", status=410)
    return session


def show(core: Core, session_id: str, *, error: str | None = None, form: Any = None) -> Response:
    """The payment form for an open session."""
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    session = found
    form = form or {}
    private = session[PRIVATE]
    currency = session["currency"]
    rows = []
    custom = None
    for li in private["line_items"]:
        price = core.state.get(li["price"], "price") or {}
        if price.get("custom_unit_amount"):
            custom = price["custom_unit_amount"]
        rows.append(
            f"<tr class=item><td>{escape(str(li['description'] or ''))} x {li['quantity']}</td>"
            f"<td class=amt>{escape(_money(li['amount_total'], currency))}</td></tr>"
        )
    if session["mode"] != "setup":
        rows.append(_page_sections.summary_rows(session))
        rows.append(
            "<tr class=total><td>Total</td>"
            f"<td class=amt id=total>{escape(_money(session['amount_total'], currency))}</td></tr>"
        )
    parts = [f"<h1>{'Save a payment method' if session['mode'] == 'setup' else 'Pay'}</h1>"]
    parts.append(f"<table>{''.join(rows)}</table>")
    if error:
        parts.append(f"<p class=error id=error role=alert>{escape(error)}</p>")
    action = escape(f"/c/pay/{session['id']}")
    email = form.get("email") or session.get("customer_email") or ""
    fields = [
        f'<form method=post action="{action}">',
        f'<label>Email <input type=email name=email required value="{escape(str(email))}"></label>',
    ]
    fields.append(_page_sections.details(session, private["line_items"], form, core.state.get))
    if custom is not None:
        preset = form.get("amount") or (
            str(from_minor_units(custom["preset"], currency)) if custom.get("preset") else ""
        )
        fields.append(
            "<label>Amount to pay "
            f'<input type=text name=amount inputmode=decimal value="{escape(str(preset))}">'
            "</label>"
        )
    offered = session.get("payment_method_types") or ["card"]
    method = form.get("method", "card" if "card" in offered else "sepa_debit")
    card_checked = "checked" if method != "sepa_debit" else ""
    sepa_checked = "checked" if method == "sepa_debit" else ""
    if "card" in offered:
        fields.append(
            f"<fieldset><legend><label><input type=radio name=method value=card {card_checked}> "
            "Card</label></legend>"
            f"<label>Card number <input type=text name=cardnumber inputmode=numeric "
            f'autocomplete=cc-number value="{escape(str(form.get("cardnumber", "")))}"></label>'
            f"<label>Expiry (MM / YY) <input type=text name=expiry autocomplete=cc-exp "
            f'placeholder="MM / YY" value="{escape(str(form.get("expiry", "")))}"></label>'
            "<label>CVC <input type=text name=cvc inputmode=numeric autocomplete=cc-csc></label>"
            f"<label>Postal code <input type=text name=postal_code autocomplete=postal-code "
            f'value="{escape(str(form.get("postal_code", "")))}"></label></fieldset>'
        )
    if "sepa_debit" in offered and currency in {None, "eur"}:
        fields.append(
            f"<fieldset><legend><label><input type=radio name=method value=sepa_debit "
            f"{sepa_checked}> SEPA Direct Debit</label></legend>"
            f'<label>IBAN <input type=text name=iban value="{escape(str(form.get("iban", "")))}">'
            "</label></fieldset>"
        )
    saved = session.get("saved_payment_method_options") or {}
    if saved.get("payment_method_save") == "enabled":
        fields.append(
            "<label><input type=checkbox name=save value=true> "
            "Save my payment details for next time</label>"
        )
    fields.append(_page_sections.near_submit(session))
    label = _page_sections.submit_label(session)
    fields.append(f"<button type=submit id=submit>{label}</button></form>")
    parts.extend(fields)
    if is_web_url(session.get("cancel_url") or ""):
        parts.append(
            f'<p><a id=cancel href="{escape(session["cancel_url"])}">Cancel and go back</a></p>'
        )
    return _html("Checkout", "".join(parts), 200 if error is None else 402)


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


def submit(core: Core, session_id: str, form: Mapping[str, str]) -> Response:
    """Handle the payment form: pay, ask for 3D Secure, or show the error on the page."""
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    values = dict(form.items())
    if values.get("apply_code"):
        error = _page_sections.enter_code(core, session_id, values)
        return show(core, session_id, error=error, form=values)
    amount = None
    if values.get("amount"):
        amount = _parse_amount(values["amount"], found["currency"] or "usd")
        if amount is None:
            return show(core, session_id, error="Enter a valid amount.", form=values)
    if values.get("method") == "sepa_debit":
        method: _methods.Card | _methods.Iban = _methods.Iban(
            _methods.normalize_iban(values.get("iban", ""))
        )
    else:
        expiry = _parse_expiry(values.get("expiry", ""))
        if expiry is None:
            return show(
                core, session_id, error="Your card's expiration date is incomplete.", form=values
            )
        method = _methods.Card(
            _methods.normalize_number(values.get("cardnumber", "")),
            expiry[0],
            expiry[1],
            values.get("cvc", "").strip(),
            values.get("postal_code", "").strip(),
        )
        if not method.cvc:
            return show(
                core, session_id, error="Your card's security code is incomplete.", form=values
            )
    try:
        result = core.pay(
            session_id,
            method,
            email=values.get("email") or None,
            save=values.get("save") == "true",
            amount=amount,
            collected=_collect.collected_from(values),
        )
    except ApiError as exc:
        return message_page(exc.message, status=410)
    return _after(core, session_id, result, values)


def _after(core: Core, session_id: str, result: PayResult, values: dict[str, str]) -> Response:
    if result.status == "failed":
        return show(core, session_id, error=result.message, form=values)
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


def show_authentication(core: Core, session_id: str) -> Response:
    """The 3D Secure test page: Complete or Fail the authentication."""
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    if not found[PRIVATE].get("pending_auth"):
        return _redirect(f"/c/pay/{session_id}")
    action = escape(f"/c/pay/{session_id}/authenticate")
    body = (
        "<h1>3D Secure authentication</h1>"
        "<p>This is a test authentication page. Complete or fail the authentication.</p>"
        f'<form method=post action="{action}">'
        "<button type=submit name=result value=complete id=complete>Complete</button> "
        "<button type=submit name=result value=fail id=fail>Fail</button></form>"
    )
    return _html("Authenticate", body)


def submit_authentication(core: Core, session_id: str, form: Mapping[str, str]) -> Response:
    """Handle Complete / Fail on the 3D Secure page."""
    found = _session(core, session_id)
    if isinstance(found, Response):
        return found
    if not found[PRIVATE].get("pending_auth"):
        return _redirect(f"/c/pay/{session_id}")
    result = core.authenticate(session_id, complete=form.get("result") == "complete")
    return _after(core, session_id, result, {})
