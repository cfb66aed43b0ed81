"""The order summary column of the hosted payment page: merchant, items, rows, total.

It reads like Stripe Checkout's: the merchant's name with a "Test mode" badge, a headline (the
amount, or the free trial and what follows it), each line item with its quantity and billing
interval, then the subtotal, the :func:`summary_rows` (shipping, discounts, tax), the total after
a trial and the total due today.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from html import escape
from typing import Any

from checkoutkit._look import money
from checkoutkit._rules import is_web_url
from checkoutkit.sandbox._core import Core
from checkoutkit.sandbox._page_kit import SummaryRow, colour
from checkoutkit.sandbox._state import PRIVATE

#: The merchant name the page shows when the session's ``branding_settings`` names none.
DEFAULT_MERCHANT = "checkoutkit sandbox"


def merchant_name(session: Mapping[str, Any]) -> str:
    """The name shown at the top: ``branding_settings.display_name``, else the sandbox's."""
    branding = session.get("branding_settings") or {}
    name = branding.get("display_name") if isinstance(branding, dict) else None
    return name if isinstance(name, str) and name.strip() else DEFAULT_MERCHANT


def theme(session: Mapping[str, Any]) -> str:
    branding = session.get("branding_settings") or {}
    if not isinstance(branding, dict):
        return ""
    rules = []
    if button := colour(branding.get("button_color")):
        rules.append(f"--accent:{button}")
    if background := colour(branding.get("background_color")):
        rules.append(f"--summary-bg:{background}")
    return ":root{" + ";".join(rules) + "}" if rules else ""


def interval_text(recurring: Mapping[str, Any]) -> str:
    """``per month``, ``every 3 months``: how often a recurring price is billed."""
    count = int(recurring.get("interval_count") or 1)
    unit = str(recurring.get("interval") or "month")
    return f"per {unit}" if count == 1 else f"every {count} {unit}s"


def trial_days(core: Core, session: Mapping[str, Any]) -> int | None:
    """The free trial of a subscription session, in days (``trial_end`` rounded up)."""
    data = session[PRIVATE].get("subscription_data") or {}
    try:
        days = int(data.get("trial_period_days") or 0)
        end = int(data.get("trial_end") or 0)
    except (TypeError, ValueError):
        return None
    if not days and end:
        days = max(1, math.ceil((end - core.clock.timestamp()) / 86400))
    return days or None


def items_of(core: Core, session: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each line item with its price."""
    return [
        (li, core.state.get(li["price"], "price") or {}) for li in session[PRIVATE]["line_items"]
    ]


def _off(coupon: Mapping[str, Any]) -> str:
    if coupon.get("percent_off") is not None:
        return f"{Decimal(str(coupon['percent_off'])).normalize():f}% off"
    return f"{money(coupon.get('amount_off'), coupon.get('currency'))} off"


def summary_rows(core: Core, session: Mapping[str, Any]) -> list[SummaryRow]:
    """Rows between the subtotal and the total: the discount (the coupon's name, the code the
    shopper entered) and the chosen shipping rate. The sandbox calculates no tax."""
    currency = session["currency"]
    rows = []
    off = (session.get("total_details") or {}).get("amount_discount")
    discounts = session.get("discounts") or []
    if off and discounts:
        coupon = core.coupon_of(discounts[0]) or {}
        promo = core.state.get(discounts[0].get("promotion_code") or "", "promotion_code")
        note = " · ".join(
            n for n in ((promo or {}).get("code"), _off(coupon) if coupon else None) if n
        )
        label = str(coupon.get("name") or "Discount")
        rows.append(SummaryRow(label, money(-off, currency), id="discount", note=note or None))
    cost = session.get("shipping_cost")
    if cost:
        rate = core.state.get(cost["shipping_rate"], "shipping_rate") or {}
        amount = cost["amount_total"]
        rows.append(
            SummaryRow(
                "Shipping",
                money(amount, currency) if amount else "Free",
                id="shipping",
                note=str(rate.get("display_name") or "") or None,
            )
        )
    return rows


_BILLED = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}


def _item_html(
    li: Mapping[str, Any], price: Mapping[str, Any], currency: str, trial: int | None
) -> str:
    details = []
    quantity = int(li["quantity"] or 1)
    if quantity > 1:
        details.append(f"Qty {quantity}")
        unit = price.get("unit_amount")
        if isinstance(unit, int):
            details.append(f"{money(unit, currency)} each")
    amount = money(li["amount_subtotal"], currency)
    recurring = price.get("recurring")
    if recurring:
        per = interval_text(recurring)
        if trial:
            details.append(f"{trial} days free, then {amount} {per}")
        elif per.startswith("per "):
            details.append(f"Billed {_BILLED.get(str(recurring.get('interval')), per)}")
        else:
            details.append(f"Billed {per}")
        amount = f"{amount} {per}"
    detail = "".join(f"<div class=item-detail>{escape(d)}</div>" for d in details)
    return (
        f"<li class=item><div><div class=item-name>{escape(str(li['description'] or ''))}</div>"
        f"{detail}</div><div class=item-amount>{escape(amount)}</div></li>"
    )


def summary_html(core: Core, session: Mapping[str, Any]) -> str:
    merchant = merchant_name(session)
    back = session.get("cancel_url")
    if back and not is_web_url(back):
        back = None  # never a javascript: or data: link
    head = (
        f'<a class=back id=cancel href="{escape(back)}" aria-label="Back to {escape(merchant)}"'
        f' title="Back to {escape(merchant)}">&larr;</a>'
        if back
        else ""
    )
    header = (
        f"<header class=merchant>{head}<span class=merchant-name id=merchant>"
        f"{escape(merchant)}</span><span class=badge id=test-mode>Test mode</span></header>"
    )
    if session["mode"] == "setup":
        return header + (
            "<div class=headline><p class=lead>Save a payment method</p>"
            f"<p class=then>{escape(merchant)} will keep your payment details for later "
            "payments. Nothing is charged now.</p></div>"
        )
    currency = session["currency"]
    items = items_of(core, session)
    trial = trial_days(core, session) if session["mode"] == "subscription" else None
    recurring = [(li, p) for li, p in items if p.get("recurring")]
    intervals = {interval_text(p["recurring"]) for _, p in recurring}
    per = intervals.pop() if len(intervals) == 1 else None
    total = session["amount_total"]
    due_today = total
    if trial:
        due_today = sum(li["amount_total"] for li, p in items if not p.get("recurring"))
    names = ", ".join(str(li["description"] or "") for li, _ in items[:1])
    if trial and per is not None:
        recurring_total = sum(li["amount_total"] for li, _ in recurring)
        lead = f"Try {names}"
        big = f"{trial} days free"
        then = f"{trial} days free, then {money(recurring_total, currency)} {per}"
        then_html = f"<p class=then id=trial>{escape(then)}</p>"
    elif session["mode"] == "subscription":
        lead = f"Subscribe to {names}" if len(items) == 1 else f"Subscribe to {merchant}"
        big = money(total, currency)
        then_html = f"<p class=then id=interval>{escape(per)}</p>" if per else ""
    else:
        lead = f"Pay {merchant}"
        big = money(total, currency)
        then_html = ""
    headline = (
        f"<div class=headline><p class=lead>{escape(lead)}</p>"
        f"<p class=amount id=headline-amount>{escape(big)}</p>{then_html}</div>"
    )
    lines = "".join(_item_html(li, p, currency, trial) for li, p in items)
    rows = [
        SummaryRow("Subtotal", money(session["amount_subtotal"], currency), id="subtotal"),
        *summary_rows(core, session),
    ]
    if trial:
        rows.append(SummaryRow("Total after trial", money(total, currency), id="after-trial"))
    totals = "".join(row.html() for row in rows)
    grand = (
        f"<div class=grand><dt>Total due today</dt>"
        f"<dd id=total>{escape(money(due_today, currency))}</dd></div>"
    )
    return (
        f"{header}{headline}<ul class=items id=items>{lines}</ul>"
        f"<dl class=totals>{totals}{grand}</dl>"
    )
