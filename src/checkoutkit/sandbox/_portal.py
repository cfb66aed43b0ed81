"""The customer portal: ``/v1/billing_portal/sessions`` and the page its ``url`` leads to.

A portal session (``bps_…``) opens a server-rendered page for one customer, laid out like the
hosted payment page: the customer's subscriptions (product, price and interval, status, the end
of the current period, the card on file), with buttons to cancel at the end of the period, to
cancel now, to undo a pending cancellation, and a form to replace the card with one of Stripe's
test cards. Each change sends the events Stripe sends (``customer.subscription.updated`` with
``previous_attributes``, ``customer.subscription.deleted``, ``payment_method.attached``,
``customer.updated``) through the sandbox's webhook delivery. No JavaScript, nothing loaded from
the network, everything escaped.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from checkoutkit._look import document, money
from checkoutkit._rules import is_web_url
from checkoutkit.sandbox import _billing, _methods
from checkoutkit.sandbox._errors import ApiError, invalid, unknown_reference
from checkoutkit.sandbox._page_kit import CHECKOUT_CSS, card_group, section
from checkoutkit.sandbox._page_summary import DEFAULT_MERCHANT
from checkoutkit.sandbox._params import parse_int
from checkoutkit.sandbox._state import new_id

if TYPE_CHECKING:
    from checkoutkit.sandbox._api import Call
    from checkoutkit.sandbox._core import Core

#: (method, path, handler name) of the routes :class:`PortalRoutes` serves.
RULES = [
    ("POST", "/v1/billing_portal/sessions", "portal_session_create"),
    ("GET", "/p/session/<id>", "portal_show"),
    ("POST", "/p/session/<id>", "portal_submit"),
]

#: The id of the sandbox's one portal configuration (Stripe's default one in test mode).
CONFIGURATION = "bpc_checkoutkitsandbox"

_ACCEPTED = {"customer", "return_url", "locale", "expand"}
_UNMODELLED = ("configuration", "flow_data", "on_behalf_of", "after_expiration")

PORTAL_CSS = """
.sub{border-radius:6px;box-shadow:0 0 0 1px #e0e0e0;padding:16px;margin-bottom:16px}
.sub-name{font-size:16px;font-weight:600}.sub-price{font-size:15px;margin-top:2px}
.sub dl{display:grid;grid-template-columns:auto 1fr;gap:4px 16px;margin:12px 0 0}
.sub dt{color:rgba(26,26,26,.6)}.sub dd{margin:0;font-weight:500}
.sub form{margin-top:12px}.sub .button{margin-top:8px}
.sub-state{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;
font-weight:600;background:#d7f7c2;color:#05690d}
.sub-state.canceled,.sub-state.incomplete_expired{background:#ebeef1;color:#545969}
.sub-state.past_due,.sub-state.unpaid,.sub-state.incomplete{background:#fde8e8;color:#a41c1c}
.done{margin:0 0 16px;padding:12px;border-radius:6px;background:#d7f7c2;color:#05690d}
"""

#: What the page says after a change, by the ``done`` query parameter of its URL.
_DONE = {
    "cancel_at_period_end": "Your subscription will be canceled at the end of the period.",
    "cancel_now": "Your subscription has been canceled.",
    "renew": "Your subscription will renew.",
    "update_card": "Your card has been updated.",
}

_ENDED = frozenset({"canceled", "incomplete_expired"})

_INTERVALS = {"day": "day", "week": "week", "month": "month", "year": "year"}


class PortalRoutes:
    """Handlers of :data:`RULES` (a part of the sandbox's WSGI application)."""

    if TYPE_CHECKING:
        core: Core

    def portal_session_create(self, call: Call) -> Any:
        return self.core.render(create_session(self.core, call), call.expand)

    def portal_show(self, call: Call) -> Response:
        return show(self.core, call.id, done=call.request.args.get("done"))

    def portal_submit(self, call: Call) -> Response:
        return submit(self.core, call.id, call.request.form)


def create_session(core: Core, call: Call) -> dict[str, Any]:
    """``POST /v1/billing_portal/sessions``: a portal session for an existing customer."""
    params = call.params
    for name in _UNMODELLED:
        if name in params:
            raise invalid(
                f"The checkoutkit sandbox does not model `{name}` of portal sessions.", param=name
            )
    unknown = sorted(set(params) - _ACCEPTED)
    if unknown:
        raise invalid(f"Received unknown parameter: {unknown[0]}", param=unknown[0])
    customer = params.get("customer")
    if not customer:
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    if not isinstance(customer, str) or core.state.get(customer, "customer") is None:
        raise unknown_reference("customer", str(customer), param="customer")
    return_url = params.get("return_url")
    if return_url is not None and (not isinstance(return_url, str) or not is_web_url(return_url)):
        raise invalid("Not a valid URL", param="return_url", code="url_invalid")
    locale = params.get("locale")
    if locale is not None and not isinstance(locale, str):
        raise invalid("Invalid string", param="locale")
    session_id = new_id("bps_", 24)
    base = call.request.host_url.rstrip("/")
    session = {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": CONFIGURATION,
        "created": core.clock.timestamp(),
        "customer": customer,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": locale,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{base}/p/session/{session_id}",
    }
    with core.state.transaction():
        core.state.put(session)
    return session


# -- the page ----------------------------------------------------------------------------


def _page(title: str, body: str, status: int = 200) -> Response:
    page = document(title, body, css=CHECKOUT_CSS + PORTAL_CSS)
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def _gone(message: str, status: int = 404) -> Response:
    body = f"<main class=layout><p class=alert role=alert>{escape(message)}</p></main>"
    return _page("Billing", body, status)


def _date(timestamp: object) -> str:
    if not isinstance(timestamp, int):
        return "—"
    day = _dt.datetime.fromtimestamp(timestamp, tz=_dt.timezone.utc)
    return f"{day:%B} {day.day}, {day.year}"


def _price_text(price: Mapping[str, Any]) -> str:
    amount = money(price.get("unit_amount"), price.get("currency"))
    recurring = price.get("recurring") or {}
    interval = _INTERVALS.get(recurring.get("interval", ""), "")
    count = recurring.get("interval_count") or 1
    if not interval:
        return amount
    return f"{amount} per {interval}" if count == 1 else f"{amount} every {count} {interval}s"


def _period_end(sub: Mapping[str, Any]) -> int | None:
    ends = [i.get("current_period_end") for i in sub["items"]["data"]]
    found = [e for e in ends if isinstance(e, int)]
    return min(found) if found else sub.get("current_period_end")


def _card_text(core: Core, pm_id: object) -> str:
    pm = core.state.get(pm_id, "payment_method") if isinstance(pm_id, str) else None
    card = (pm or {}).get("card")
    if not card:
        return "None"
    return f"{str(card['brand']).title()} •••• {card['last4']}"


def _subscriptions(core: Core, customer: str) -> list[dict[str, Any]]:
    return [s for s in core.state.all("subscription") if s.get("customer") == customer]


def _button(label: str, action: str, sub_id: str, *, secondary: bool = False) -> str:
    css = "button secondary" if secondary else "button"
    return (
        f'<button class="{css}" type=submit name=action value="{escape(action)}" '
        f'id="{escape(action)}-{escape(sub_id)}">{escape(label)}</button>'
        f'<input type=hidden name=subscription value="{escape(sub_id)}">'
    )


def _subscription_html(core: Core, session_id: str, sub: Mapping[str, Any]) -> str:
    names, prices = [], []
    for item in sub["items"]["data"]:
        price = item.get("price") or {}
        product = core.state.get(str(price.get("product")), "product") or {}
        names.append(str(product.get("name") or price.get("nickname") or "Subscription"))
        prices.append(_price_text(price))
    status = str(sub["status"])
    sid = str(sub["id"])
    rows = [
        (
            "Status",
            f'<span class="sub-state {escape(status)}" id="status-{escape(sid)}">'
            f"{escape(status.replace('_', ' '))}</span>",
        ),
        (
            "Card",
            f'<span id="card-{escape(sid)}">'
            f"{escape(_card_text(core, sub.get('default_payment_method')))}</span>",
        ),
    ]
    end = _period_end(sub)
    if status != "canceled":
        label = "Cancels on" if sub.get("cancel_at_period_end") else "Renews on"
        rows.insert(1, (label, f'<span id="period-end-{escape(sid)}">{escape(_date(end))}</span>'))
    else:
        rows.insert(1, ("Canceled on", escape(_date(sub.get("canceled_at")))))
    listing = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    action = escape(f"/p/session/{session_id}")
    forms = ""
    if status not in {"canceled", "incomplete_expired"}:
        if sub.get("cancel_at_period_end"):
            first = _button("Renew subscription", "renew", sid)
        else:
            first = _button("Cancel at period end", "cancel_at_period_end", sid)
        forms = (
            f'<form method=post action="{action}">{first}</form>'
            f'<form method=post action="{action}">'
            f"{_button('Cancel now', 'cancel_now', sid, secondary=True)}</form>"
        )
    return (
        f'<article class=sub id="sub-{escape(sid)}"><div class=sub-name>'
        f"{escape(', '.join(names))}</div><div class=sub-price>{escape(', '.join(prices))}</div>"
        f"<dl>{listing}</dl>{forms}</article>"
    )


def _card_form(
    session_id: str, subs: list[dict[str, Any]], form: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    live = [s for s in subs if s["status"] not in {"canceled", "incomplete_expired"}]
    if not live:
        return ""
    inner = (
        f'<form method=post action="{escape(f"/p/session/{session_id}")}" novalidate>'
        "<input type=hidden name=action value=update_card>"
        f"{card_group(form, errors, label='New card', also_errors=('card',))}"
        "<button class=button type=submit id=update-card>Update card</button></form>"
        "<p class=fineprint>Test cards: <code>4242 4242 4242 4242</code> works; "
        "<code>4000 0000 0000 0341</code> is saved but fails when charged; "
        "<code>4000 0000 0000 0002</code> is declined.</p>"
    )
    return section("Payment method", inner, ident="payment-method")


def _shop(return_url: str | None) -> str:
    if not return_url:
        return DEFAULT_MERCHANT
    return urlsplit(return_url).hostname or DEFAULT_MERCHANT


def show(
    core: Core,
    session_id: str,
    *,
    done: str | None = None,
    error: str | None = None,
    errors: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    """The portal page of a session: the customer's subscriptions and the forms to change them."""
    session = core.state.get(session_id, "billing_portal.session")
    if session is None:
        return _gone("This billing portal link does not exist.")
    errors = dict(errors or {})
    customer = core.state.get(session["customer"], "customer") or {}
    subs = _subscriptions(core, session["customer"])
    return_url = session.get("return_url")
    shop = _shop(return_url)
    back = (
        f'<a class=back id=return href="{escape(return_url)}">← Return to {escape(shop)}</a>'
        if return_url and is_web_url(return_url)
        else f"<span class=merchant-name>{escape(shop)}</span>"
    )
    notes = ""
    if done in _DONE:
        notes += f"<p class=done id=done role=status>{escape(_DONE[done])}</p>"
    if error:
        notes += f"<p class=alert id=error role=alert>{escape(error)}</p>"
    listing = "".join(_subscription_html(core, session_id, s) for s in subs) or (
        "<p class=muted id=no-subscriptions>No subscriptions.</p>"
    )
    body = (
        "<div class=panel aria-hidden=true></div><main class=layout>"
        f"<div class=summary><header class=merchant>{back}"
        "<span class=badge id=test-mode>Test mode</span></header>"
        "<div class=headline><p class=lead>Billing</p>"
        f"<p class=then id=customer-email>{escape(str(customer.get('email') or ''))}</p></div>"
        "</div><div class=pay id=portal>"
        f"{notes}{section('Current subscriptions', listing, ident='subscriptions')}"
        f"{_card_form(session_id, subs, form or {}, errors)}"
        "<footer class=footer>A test page of the checkoutkit sandbox: no real payment is made."
        "</footer></div></main>"
    )
    failed = bool(errors) or error is not None
    return _page(f"{shop} | Billing", body, 402 if failed else 200)


def submit(core: Core, session_id: str, form: Mapping[str, str]) -> Response:
    """Handle one of the page's forms, then show the page again (303, so a reload is harmless)."""
    session = core.state.get(session_id, "billing_portal.session")
    if session is None:
        return _gone("This billing portal link does not exist.")
    action = form.get("action", "")
    try:
        if action == "update_card":
            errors, card = _check_card(form)
            if card is None:
                return show(core, session_id, errors=errors, form=form)
            failures = update_card(core, session["customer"], card)
            if failures:
                return show(core, session_id, done=action, error=" ".join(failures))
        elif action in {"cancel_at_period_end", "cancel_now", "renew"}:
            sub = _own_subscription(core, session["customer"], form.get("subscription", ""))
            if sub is None:
                return _gone("This subscription does not exist.")
            change_subscription(core, sub["id"], action)
        else:
            return _gone("Unknown action.", 400)
    except ApiError as exc:
        return show(core, session_id, error=exc.message, form=form)
    except _methods.MethodError as exc:
        return show(core, session_id, errors={"card": exc.message}, form=form)
    response = Response("", status=303)
    response.headers["Location"] = f"/p/session/{session_id}?done={action}"
    return response


def _own_subscription(core: Core, customer: str, sub_id: str) -> dict[str, Any] | None:
    sub = core.state.get(sub_id, "subscription") if sub_id else None
    return sub if sub is not None and sub.get("customer") == customer else None


def _check_card(form: Mapping[str, str]) -> tuple[dict[str, str], _methods.Card | None]:
    errors: dict[str, str] = {}
    number = _methods.normalize_number(form.get("cardnumber", ""))
    if not number:
        errors["cardnumber"] = "Your card number is incomplete."
    month, sep, year = form.get("expiry", "").replace(" ", "").partition("/")
    exp_month = parse_int(month) if sep and len(month) <= 2 else None
    exp_year = parse_int(year) if sep and len(year) <= 4 else None
    if exp_month is None or exp_year is None:
        errors["expiry"] = "Your card's expiration date is incomplete."
    cvc = form.get("cvc", "").strip()
    if not cvc:
        errors["cvc"] = "Your card's security code is incomplete."
    if errors or exp_month is None or exp_year is None:
        return errors, None
    return errors, _methods.Card(number, exp_month, exp_year, cvc)


# -- the changes -------------------------------------------------------------------------


def change_subscription(core: Core, sub_id: str, action: str) -> dict[str, Any]:
    """Cancel a subscription at the end of its period, now, or undo a pending cancellation.

    The same changes as the API's (:mod:`._billing`): ``customer.subscription.updated`` (with
    ``previous_attributes``) or, for ``cancel_now``, ``customer.subscription.deleted``.
    """
    sub = core.get("subscription", sub_id, param="subscription_exposed_id")
    if sub["status"] in _ENDED:
        raise invalid("This subscription is already canceled.", param="subscription")
    if action == "renew":
        return _billing.update_subscription(core, sub_id, {"cancel_at_period_end": False})
    return _billing.cancel_subscription(
        core, sub_id, at_period_end=action == "cancel_at_period_end"
    )


def update_card(core: Core, customer_id: str, card: _methods.Card) -> list[str]:
    """Attach a new card, make it the customer's default and that of their live subscriptions,
    then retry the open invoice of each ``past_due`` one, as Stripe's portal does.

    Refuses the card as the payment page would (:class:`._methods.MethodError`);
    ``4000 0000 0000 0341`` is attached and fails only when charged. Sends
    ``payment_method.attached``, ``customer.updated``, ``customer.subscription.updated`` for each
    live subscription, and the retried invoices' events. Returns the messages of retries that
    failed (the card stays saved).
    """
    with core.state.transaction():
        pm = _billing.attach_card(core, customer_id, card)
        _billing.set_default_payment_method(core, customer_id, pm["id"])
        live = [s for s in _subscriptions(core, customer_id) if s["status"] not in _ENDED]
        for sub in live:
            _billing.set_default_payment_method(core, sub["id"], pm["id"])
    failures = []
    for sub in live:
        invoice = core.state.get(str(sub.get("latest_invoice") or ""), "invoice")
        if sub["status"] != "past_due" or invoice is None or invoice["status"] != "open":
            continue
        try:
            _billing.pay_invoice(core, invoice["id"])
        except ApiError as exc:
            failures.append(f"The open invoice could not be paid: {exc.message}")
    return failures
