"""The look every page checkoutkit serves shares: type, colours, buttons, money as shoppers read it.

The hosted payment page of the sandbox, the default success, cancel and "Stripe unreachable"
pages of the adapters and the demo shop all build on :func:`document` and :data:`BASE_CSS`, so
they read like Stripe Checkout and like each other. Pages are plain server-rendered HTML: no
JavaScript, no fonts, images or stylesheets from the network, every text escaped by the caller
through :func:`html.escape` (the helpers here escape what they are given).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from checkoutkit._currencies import from_minor_units
from checkoutkit.exceptions import CheckoutKitError

if TYPE_CHECKING:
    from checkoutkit._checkout import FulfilOutcome
    from checkoutkit._events import CheckoutSession

#: Stripe Checkout's type: the platform's UI font, 14 px body, 600 for headings and amounts.
FONT_STACK = (
    '-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Ubuntu,'
    '"Noto Sans",system-ui,sans-serif'
)

BASE_CSS = (
    """
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:"""
    + FONT_STACK
    + """;font-size:14px;line-height:1.45;
color:rgba(26,26,26,.9);background:#fff;-webkit-font-smoothing:antialiased}
h1,h2,h3{margin:0;font-weight:600;color:rgba(26,26,26,.9)}
p{margin:0}
a{color:#0074d4;text-decoration:none}a:hover{text-decoration:underline}
.muted{color:rgba(26,26,26,.6)}
.badge{display:inline-block;padding:1px 6px;border-radius:4px;background:#ffde92;
color:#bb5504;font-size:11px;font-weight:600;line-height:16px;letter-spacing:.02em;
text-transform:uppercase;white-space:nowrap;vertical-align:middle}
.button,.actions a{display:block;width:100%;min-height:44px;padding:11px 16px;border:0;
border-radius:6px;background:var(--accent,#0074d4);color:#fff;font:inherit;font-size:16px;
font-weight:600;line-height:22px;text-align:center;cursor:pointer;text-decoration:none;
box-shadow:inset 0 0 0 1px rgba(50,50,93,.1),0 2px 5px 0 rgba(50,50,93,.1),
0 1px 1px 0 rgba(0,0,0,.07)}
.button:hover,.actions a:hover{filter:brightness(.93);text-decoration:none}
.button:focus-visible,.actions a:focus-visible{outline:none;
box-shadow:0 0 0 3px rgba(0,116,212,.35)}
.actions a+a,.actions a.secondary{background:#fff;color:rgba(26,26,26,.9);
box-shadow:0 0 0 1px #e0e0e0,0 2px 4px rgba(0,0,0,.07)}
.actions{display:grid;gap:12px;margin-top:24px}
"""
)

RESULT_CSS = """
body{background:#f6f9fc}
.result{max-width:440px;margin:48px auto;padding:32px;background:#fff;border-radius:8px;
box-shadow:0 0 0 1px rgba(50,50,93,.06),0 6px 24px rgba(50,50,93,.08)}
.result h1{font-size:24px;line-height:32px;margin-bottom:8px}
.result .message{margin-top:8px;font-size:15px}
.state{display:inline-block;margin:4px 0 8px;padding:2px 8px;border-radius:10px;font-size:12px;
font-weight:600;line-height:18px}
.state-paid,.state-saved{background:#d7f7c2;color:#05690d}
.state-processing{background:#cff5f6;color:#0055bc}
.state-unpaid,.state-expired,.state-canceled,.state-unknown{background:#ebeef1;color:#545969}
.state-unavailable{background:#fcedb9;color:#a82c00}
.summary{margin:24px 0 0;padding:16px 0 0;border-top:1px solid #ebebeb;display:grid;
grid-template-columns:1fr auto;gap:8px 16px}
.summary dt{color:rgba(26,26,26,.6)}.summary dd{margin:0;text-align:right;font-weight:500;
overflow-wrap:anywhere}
@media (max-width:520px){.result{margin:0;min-height:100vh;border-radius:0;box-shadow:none;
padding:24px 16px}}
"""


def document(title: str, body: str, *, css: str = "", head: str = "") -> str:
    """A whole HTML page: ``title`` (escaped here), ``body`` (HTML, escaped by the caller).

    ``css`` is added after :data:`BASE_CSS`; ``head`` is extra markup for ``<head>``.
    """
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        "<meta name=color-scheme content=light>"
        f"{head}<title>{escape(title)}</title><style>{BASE_CSS}{css}</style></head>\n"
        f"<body>{body}</body></html>\n"
    )


#: Symbols Stripe Checkout writes before an amount (en-US); other currencies read "CHF 12.00".
_SYMBOLS = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "cad": "CA$",
    "aud": "A$",
    "nzd": "NZ$",
    "hkd": "HK$",
    "mxn": "MX$",
    "brl": "R$",
    "inr": "₹",
    "krw": "₩",
    "cny": "CN¥",
    "ils": "₪",
    "twd": "NT$",
}


def money(amount: int | None, currency: str | None) -> str:
    """An amount in minor units as a shopper reads it: ``$15.00``, ``¥1,500``, ``CHF 9.50``."""
    if amount is None or not currency:
        return ""
    try:
        value = from_minor_units(amount, currency)
    except CheckoutKitError:  # a currency this library does not know: show what Stripe sent
        return f"{amount} {currency.upper()}"
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):,}"
    symbol = _SYMBOLS.get(currency.lower())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency.upper()} {digits}"


class OrderState(enum.Enum):
    """Where an order stands, in the words a shopper reads on the success page."""

    PAID = "paid"
    """Paid (or nothing to pay): the order goes through."""
    PROCESSING = "processing"
    """Checkout completed with a delayed method (SEPA Direct Debit): the money is on its way."""
    UNPAID = "unpaid"
    """The session is still open and was never paid: the shopper can go back and pay."""
    EXPIRED = "expired"
    """The session expired unpaid: nothing was charged."""
    SAVED = "saved"
    """A setup session completed: the payment details are saved."""
    UNKNOWN = "unknown"
    """No session to tell from."""


def order_state(session: CheckoutSession | None, outcome: FulfilOutcome | None) -> OrderState:
    """The :class:`OrderState` of ``session`` after the success page's ``outcome``."""
    if session is None:
        return OrderState.UNKNOWN
    if session.mode == "setup" and session.status == "complete":
        return OrderState.SAVED
    if session.is_paid:
        return OrderState.PAID
    if session.status == "complete":
        return OrderState.PROCESSING
    if session.status == "expired":
        return OrderState.EXPIRED
    return OrderState.UNPAID


#: The state pill's words, by state.
STATE_LABELS = {
    OrderState.PAID: "Paid",
    OrderState.PROCESSING: "Payment processing",
    OrderState.UNPAID: "Not paid yet",
    OrderState.EXPIRED: "Not paid: expired",
    OrderState.SAVED: "Saved",
    OrderState.UNKNOWN: "Unknown",
}


def order_summary(session: CheckoutSession | None) -> list[tuple[str, str]]:
    """The rows a success page shows of an order: total, email, reference."""
    if session is None:
        return []
    rows = []
    if session.amount_total is not None and session.mode != "setup":
        rows.append(("Total", money(session.amount_total, session.currency)))
    if session.email:
        rows.append(("Email", session.email))
    if session.client_reference_id:
        rows.append(("Reference", session.client_reference_id))
    return rows


def result_page(
    title: str,
    *,
    message: str,
    state: str = "",
    state_label: str = "",
    summary: Sequence[tuple[str, str]] = (),
    actions: Sequence[tuple[str, str]] = (),
    head: str = "",
    before: str = "",
) -> str:
    """A success, cancel or error page: the heading first, the state, a message, a summary.

    Every text is escaped here; ``actions`` are ``(label, href)`` links shown as buttons (the
    first one primary); ``before`` is HTML above the card (a navigation bar), ``head`` HTML for
    ``<head>`` (a refresh).
    """
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in summary)
    links = "".join(f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in actions)
    body = (
        f"{before}<main class=result>\n<h1>{escape(title)}</h1>\n"
        + (
            f'<p class="state state-{escape(state)}" id=state>{escape(state_label)}</p>\n'
            if state_label
            else ""
        )
        + f"<p class=message id=message>{escape(message)}</p>\n"
        + (f"<dl class=summary id=summary>{rows}</dl>\n" if rows else "")
        + (f"<p class=actions>{links}</p>\n" if links else "")
        + "</main>"
    )
    return document(title, body, css=RESULT_CSS, head=head)
