"""Subscriptions over time: the first invoice, renewals, failed charges and cancellation.

A subscription lives in its customer's time: the frozen time of the customer's test clock
(:mod:`._clocks`) when it has one, else the sandbox clock. Renewals run when a test clock
advances past a period's end (:func:`run_renewals`): each period gets an invoice charged to the
subscription's default payment method (else the customer's), and Stripe's test card
``4000 0000 0000 0341`` attaches at checkout but fails every later charge.

The module-level functions take the sandbox's :class:`Host` (the ``Core``) and are the typed
seam other parts of the sandbox (the payment page, the customer portal) call.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from typing import TYPE_CHECKING, Any, Final, Protocol

from checkoutkit.sandbox import _invoices, _methods
from checkoutkit.sandbox._common import RequestInfo
from checkoutkit.sandbox._common import round_half_up as _round
from checkoutkit.sandbox._errors import ApiError, invalid, missing, unknown_reference
from checkoutkit.sandbox._params import reject_unknown
from checkoutkit.sandbox._shapes import subscription_fields
from checkoutkit.sandbox._state import PRIVATE, new_id, snapshot

if TYPE_CHECKING:
    from decimal import Decimal

    from checkoutkit.sandbox._state import Clock, State

#: Subscription statuses that never renew again.
ENDED: Final = frozenset({"canceled", "incomplete", "incomplete_expired"})

#: An event to emit: (type, object, previous attributes or None).
Event = tuple[str, dict[str, Any], "dict[str, Any] | None"]


class Host(Protocol):
    """What billing needs of the sandbox (the ``Core`` provides it)."""

    state: State
    clock: Clock

    def emit(
        self,
        type_: str,
        obj: dict[str, Any],
        request: RequestInfo | None,
        previous: dict[str, Any] | None = None,
    ) -> None: ...

    def new_payment_method(
        self, method: _methods.Card | _methods.Iban, email: str | None
    ) -> dict[str, Any]: ...


# time ------------------------------------------------------------------------------------


def now_for(host: Host, customer_id: str | None) -> int:
    """The time a customer lives in: its test clock's frozen time, else the sandbox clock."""
    customer = host.state.get(customer_id or "", "customer")
    clock_id = customer.get("test_clock") if customer else None
    clock = host.state.get(clock_id or "", "test_helpers.test_clock")
    if clock is not None:
        return int(clock["frozen_time"])
    return host.clock.timestamp()


def add_interval(anchor: int, interval: str, count: int, periods: int) -> int:
    """``anchor`` moved ``periods`` billing intervals on, in calendar months as Stripe bills.

    A monthly subscription anchored on 31 January renews on the last day of February, then on
    31 March: each period end is computed from the anchor, never from the previous end.
    """
    if interval in {"day", "week"}:
        return anchor + periods * count * (86400 if interval == "day" else 7 * 86400)
    months = periods * count * (12 if interval == "year" else 1)
    start = _dt.datetime.fromtimestamp(anchor, _dt.timezone.utc)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return int(start.replace(year=year, month=month + 1, day=day).timestamp())


def period_end(sub: dict[str, Any]) -> int:
    """When the subscription's current period (or trial) ends."""
    cycle = sub[PRIVATE]["cycle"]
    if cycle["periods"] == 0:
        return int(sub["trial_end"])
    return add_interval(
        sub["billing_cycle_anchor"], cycle["interval"], cycle["count"], cycle["periods"]
    )


def shortest_interval(subs: list[dict[str, Any]], start: int) -> int | None:
    """The end of two billing intervals of the shortest-billed subscription after ``start``."""
    ends = [
        add_interval(start, s[PRIVATE]["cycle"]["interval"], s[PRIVATE]["cycle"]["count"], 2)
        for s in subs
        if s["status"] not in ENDED
    ]
    return min(ends) if ends else None


# subscriptions ---------------------------------------------------------------------------


def start_subscription(
    host: Host,
    session: dict[str, Any],
    pm: dict[str, Any],
    customer_id: str | None,
    *,
    active: bool,
) -> tuple[dict[str, Any], list[Event]]:
    """The Subscription a completed subscription-mode session starts, with its first invoice.

    ``active`` is False while a SEPA debit settles (the subscription is ``incomplete`` and the
    invoice ``open`` until :func:`settle_first_invoice`). Returns the subscription and the
    events to emit after ``checkout.session.completed``.
    """
    data = session[PRIVATE]["subscription_data"]
    now = now_for(host, customer_id)
    sub_id = new_id("sub_")
    trial_days = data.get("trial_period_days")
    trial_end = now + trial_days * 86400 if trial_days else None
    first: dict[str, Any] | None = None
    items = []
    for li in session[PRIVATE]["line_items"]:
        price = host.state.get(li["price"], "price") or {}
        if not price.get("recurring"):
            continue
        first = first or price["recurring"]
        items.append(_invoices.subscription_item(price, li["quantity"], sub_id, now))
    recurring = first or {"interval": "month", "interval_count": 1}
    cycle = {
        "interval": recurring["interval"],
        "count": recurring.get("interval_count", 1),
        "periods": 0 if trial_end else 1,
    }
    sub: dict[str, Any] = {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": trial_end or now,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": session["currency"],
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": pm["id"],
        "description": data.get("description"),
        "discounts": [],
        "ended_at": None,
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": data.get("metadata", {}),
        "pending_setup_intent": None,
        "pending_update": None,
        "start_date": now,
        "status": ("trialing" if trial_days else "active") if active else "incomplete",
        "trial_end": trial_end,
        "trial_start": now if trial_days else None,
        **subscription_fields(data, currency=session["currency"], sepa=pm["type"] == "sepa_debit"),
        PRIVATE: {"cycle": cycle},
    }
    customer = host.state.get(customer_id or "", "customer")
    sub["test_clock"] = customer.get("test_clock") if customer else None
    _set_period(sub, now, period_end(sub))
    lines = []
    for li in session[PRIVATE]["line_items"]:
        price = host.state.get(li["price"], "price") or {}
        si = next((i for i in items if i["price"]["id"] == price.get("id")), None)
        amount = 0 if (trial_end and price.get("recurring")) else li["amount_total"]
        lines.append(
            _invoices.invoice_line(
                price,
                sub,
                si,
                quantity=li["quantity"],
                amount=amount,
                start=now,
                end=period_end(sub),
            )
        )
    invoice = _invoices.new_invoice(
        host.state,
        sub,
        reason="subscription_create",
        lines=lines,
        start=now,
        end=period_end(sub),
    )
    host.state.put(sub)
    events: list[Event] = [("customer.subscription.created", sub, None)]
    events += _invoices.finalize(invoice, now)
    if active or invoice["amount_due"] == 0:
        events += _invoices.mark_paid(invoice, now)
    sub["latest_invoice"] = invoice["id"]
    host.state.put(invoice)
    host.state.put(sub)
    return sub, events


def settle_first_invoice(host: Host, sub: dict[str, Any], ok: bool) -> list[Event]:
    """A settled (``ok``) or failed SEPA debit for a subscription's first invoice."""
    before = {"status": sub["status"]}
    sub["status"] = "active" if ok else "incomplete_expired"
    events: list[Event] = []
    invoice = host.state.get(sub.get("latest_invoice") or "", "invoice")
    now = now_for(host, sub["customer"])
    if invoice is not None and invoice["status"] == "open":
        if ok:
            events += _invoices.mark_paid(invoice, now)
        else:
            invoice["attempt_count"] += 1
            invoice["attempted"] = True
            events.append(("invoice.payment_failed", invoice, None))
        host.state.put(invoice)
    host.state.put(sub)
    events.append(("customer.subscription.updated", sub, before))
    return events


def cancel_subscription(
    host: Host, sub_id: str, *, at_period_end: bool, request: RequestInfo | None = None
) -> dict[str, Any]:
    """Cancel a subscription at the end of its period, or now.

    ``at_period_end=True`` sets ``cancel_at_period_end`` and ``cancel_at`` and emits
    ``customer.subscription.updated``; the subscription is deleted when a test clock reaches the
    period's end. ``at_period_end=False`` ends it now: status ``canceled`` and
    ``customer.subscription.deleted``. A subscription already canceled is a 400.
    """
    with host.state.transaction():
        sub = _subscription(host, sub_id)
        _check_live(sub)
        now = now_for(host, sub["customer"])
        if at_period_end:
            _update(host, sub, {"cancel_at_period_end": True}, request)
        else:
            _end(host, sub, now, request)
    return sub


def update_subscription(
    host: Host, sub_id: str, params: dict[str, Any], request: RequestInfo | None = None
) -> dict[str, Any]:
    """``POST /v1/subscriptions/{id}``: ``cancel_at_period_end``, ``default_payment_method``,
    ``description``, ``metadata`` and ``cancellation_details``."""
    reject_unknown(
        params,
        [
            "cancel_at_period_end",
            "cancellation_details",
            "default_payment_method",
            "description",
            "metadata",
        ],
    )
    with host.state.transaction():
        sub = _subscription(host, sub_id)
        _check_live(sub)
        _update(host, sub, params, request)
    return sub


def delete_subscription(
    host: Host, sub_id: str, params: dict[str, Any], request: RequestInfo | None = None
) -> dict[str, Any]:
    """``DELETE /v1/subscriptions/{id}``: cancel now."""
    for key in ("invoice_now", "prorate"):
        if params.get(key):
            raise invalid(
                f"The sandbox does not model `{key}`: it cancels without a final invoice or "
                "proration.",
                param=key,
            )
    reject_unknown(params, ["cancellation_details", "invoice_now", "prorate"])
    with host.state.transaction():
        sub = _subscription(host, sub_id)
        _check_live(sub)
        _cancellation_details(sub, params.get("cancellation_details"))
        _end(host, sub, now_for(host, sub["customer"]), request)
    return sub


def set_default_payment_method(
    host: Host, target_id: str, pm_id: str, request: RequestInfo | None = None
) -> dict[str, Any]:
    """Make ``pm_id`` the default payment method of a subscription (``sub_…``) or a customer
    (``cus_…``, its ``invoice_settings.default_payment_method``); later renewals charge it.

    An unattached payment method is attached to the subscription's customer first
    (``payment_method.attached``); one attached to another customer is a 400. Emits
    ``customer.subscription.updated`` or ``customer.updated``. Returns the changed object.
    """
    with host.state.transaction():
        target = host.state.get(target_id)
        if target is None or target.get("object") not in {"subscription", "customer"}:
            raise missing("subscription or customer", target_id)
        customer_id = target["customer"] if target["object"] == "subscription" else target["id"]
        pm = _attach(host, pm_id, customer_id, request)
        if target["object"] == "subscription":
            _update(host, target, {"default_payment_method": pm["id"]}, request)
        else:
            settings = target["invoice_settings"]
            before = {
                "invoice_settings": {
                    "default_payment_method": settings.get("default_payment_method")
                }
            }
            settings["default_payment_method"] = pm["id"]
            host.state.put(target)
            host.emit("customer.updated", target, request, before)
    return target


def attach_card(
    host: Host, customer_id: str, card: _methods.Card, request: RequestInfo | None = None
) -> dict[str, Any]:
    """A card PaymentMethod for ``customer_id`` from test card details.

    The card is checked as the payment page checks it (:class:`._methods.MethodError` for a bad
    number or expiry, or a card Stripe's test data declines); ``4000 0000 0000 0341`` attaches
    and fails later charges. Emits ``payment_method.attached``.
    """
    today = _dt.datetime.fromtimestamp(now_for(host, customer_id), _dt.timezone.utc).date()
    _methods.check_card(card, today)
    decline = _methods.decline_for(card)
    if decline is not None:
        raise decline
    with host.state.transaction():
        if host.state.get(customer_id, "customer") is None:
            raise unknown_reference("customer", customer_id, param="customer")
        customer = host.state.get(customer_id, "customer") or {}
        pm = host.new_payment_method(card, customer.get("email"))
        return _attach(host, pm["id"], customer_id, request)


def pay_invoice(host: Host, invoice_id: str, request: RequestInfo | None = None) -> dict[str, Any]:
    """``POST /v1/invoices/{id}/pay``: charge an open invoice to the default payment method.

    A failed charge is Stripe's 402 ``card_declined`` (and ``invoice.payment_failed``); a paid
    invoice makes a ``past_due`` subscription ``active`` again.
    """
    with host.state.transaction():
        invoice = host.state.get(invoice_id, "invoice")
        if invoice is None:
            raise missing("invoice", invoice_id, param="invoice")
        if invoice["status"] != "open":
            raise invalid(f"Invoice is already {invoice['status']}.", param="invoice")
        sub = host.state.get(_invoices.invoice_subscription(invoice) or "", "subscription")
        now = now_for(host, invoice["customer"])
        events = _charge(host, invoice, sub, now)
        for type_, obj, previous in events:
            host.emit(type_, obj, request, previous)
        if invoice["status"] != "paid":
            raise ApiError(
                402,
                "Your card was declined.",
                type="card_error",
                code="card_declined",
                decline_code="generic_decline",
            )
    return invoice


# renewals --------------------------------------------------------------------------------


def clock_subscriptions(host: Host, clock_id: str) -> list[dict[str, Any]]:
    """The subscriptions of the customers of a test clock, oldest first."""
    return [s for s in reversed(host.state.all("subscription")) if s.get("test_clock") == clock_id]


def run_renewals(host: Host, clock: dict[str, Any], until: int) -> None:
    """Move a test clock to ``until``, running every period end it passes, oldest first.

    Each passed period end of a live subscription either ends it (``cancel_at_period_end``) or
    starts the next period with a ``subscription_cycle`` invoice charged to the default
    payment method.
    """
    while True:
        due = [
            (period_end(s), i, s)
            for i, s in enumerate(clock_subscriptions(host, clock["id"]))
            if s["status"] not in ENDED and period_end(s) <= until
        ]
        if not due:
            break
        when, _, sub = min(due, key=lambda d: (d[0], d[1]))
        clock["frozen_time"] = when
        host.state.put(clock)
        _renew(host, sub, when)
    clock["frozen_time"] = until
    host.state.put(clock)


def _renew(host: Host, sub: dict[str, Any], when: int) -> None:
    if sub["cancel_at_period_end"]:
        _end(host, sub, when, None)
        return
    cycle = sub[PRIVATE]["cycle"]
    cycle["periods"] += 1
    end = period_end(sub)
    before = {
        "status": sub["status"],
        "items": snapshot(sub["items"]),
        "latest_invoice": sub["latest_invoice"],
    }
    _set_period(sub, when, end)
    lines = []
    for si in sub["items"]["data"]:
        price = host.state.get(si["price"]["id"], "price") or si["price"]
        amount = _round(_unit(price) * si["quantity"])
        lines.append(
            _invoices.invoice_line(
                price, sub, si, quantity=si["quantity"], amount=amount, start=when, end=end
            )
        )
    invoice = _invoices.new_invoice(
        host.state, sub, reason="subscription_cycle", lines=lines, start=when, end=end
    )
    sub["latest_invoice"] = invoice["id"]
    events = _invoices.finalize(invoice, when) + _charge(host, invoice, sub, when, emit_sub=False)
    host.state.put(invoice)
    host.state.put(sub)
    events.append(("customer.subscription.updated", sub, before))
    for type_, obj, previous in events:
        host.emit(type_, obj, None, previous)


def _charge(
    host: Host,
    invoice: dict[str, Any],
    sub: dict[str, Any] | None,
    now: int,
    *,
    emit_sub: bool = True,
) -> list[Event]:
    """Charge an open invoice; set the subscription's status from the outcome."""
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    pm = _default_method(host, sub, invoice["customer"])
    ok = invoice["amount_due"] == 0 or (
        pm is not None and not pm.get(PRIVATE, {}).get("fails_later")
    )
    events: list[Event] = []
    before = {"status": sub["status"]} if sub is not None else None
    if ok:
        events += _invoices.mark_paid(invoice, now)
        status = "active"
    else:
        invoice["default_payment_method"] = pm["id"] if pm else None
        events.append(("invoice.payment_failed", snapshot(invoice), None))
        status = "past_due"
    host.state.put(invoice)
    if sub is not None and sub["status"] != status:
        sub["status"] = status
        host.state.put(sub)
        if emit_sub:
            events.append(("customer.subscription.updated", sub, before))
    return events


def _default_method(
    host: Host, sub: dict[str, Any] | None, customer_id: str | None
) -> dict[str, Any] | None:
    pm_id = sub.get("default_payment_method") if sub else None
    if not pm_id:
        customer = host.state.get(customer_id or "", "customer") or {}
        pm_id = (customer.get("invoice_settings") or {}).get("default_payment_method")
    return host.state.get(pm_id or "", "payment_method")


# helpers ---------------------------------------------------------------------------------


def _subscription(host: Host, sub_id: str) -> dict[str, Any]:
    sub = host.state.get(sub_id, "subscription")
    if sub is None:
        raise missing("subscription", sub_id, param="subscription_exposed_id")
    return sub


def _check_live(sub: dict[str, Any]) -> None:
    if sub["status"] in {"canceled", "incomplete_expired"}:
        raise invalid(
            "A canceled subscription can only update its cancellation_details and metadata.",
            param="subscription",
        )


def _cancellation_details(sub: dict[str, Any], given: Any) -> None:
    if given is None:
        return
    if not isinstance(given, dict):
        raise invalid("Invalid object", param="cancellation_details")
    reject_unknown(dict(given), ["comment", "feedback"])
    sub["cancellation_details"].update(given)


def _update(
    host: Host, sub: dict[str, Any], params: dict[str, Any], request: RequestInfo | None
) -> None:
    before: dict[str, Any] = {}

    def change(key: str, value: Any) -> None:
        if sub[key] != value:
            before[key] = snapshot(sub[key])
            sub[key] = value

    if "cancel_at_period_end" in params:
        flag = params["cancel_at_period_end"]
        if not isinstance(flag, bool):
            raise invalid("Invalid boolean", param="cancel_at_period_end")
        now = now_for(host, sub["customer"])
        change("cancel_at_period_end", flag)
        change("cancel_at", period_end(sub) if flag else None)
        change("canceled_at", now if flag else None)
        sub["cancellation_details"]["reason"] = "cancellation_requested" if flag else None
    if "default_payment_method" in params:
        pm_id = params["default_payment_method"]
        pm = _attach(host, pm_id, sub["customer"], request, param="default_payment_method")
        change("default_payment_method", pm["id"])
    if "description" in params:
        change("description", params["description"] or None)
    if "metadata" in params:
        meta = params["metadata"]
        if not isinstance(meta, dict):
            raise invalid("Invalid object", param="metadata")
        merged = {k: v for k, v in {**sub["metadata"], **meta}.items() if v != ""}
        change("metadata", merged)
    _cancellation_details(sub, params.get("cancellation_details"))
    host.state.put(sub)
    if before:
        host.emit("customer.subscription.updated", sub, request, before)


def _end(host: Host, sub: dict[str, Any], now: int, request: RequestInfo | None) -> None:
    sub["status"] = "canceled"
    sub["ended_at"] = now
    sub["canceled_at"] = sub["canceled_at"] or now
    sub["cancellation_details"]["reason"] = "cancellation_requested"
    host.state.put(sub)
    host.emit("customer.subscription.deleted", sub, request)


def _attach(
    host: Host,
    pm_id: str,
    customer_id: str,
    request: RequestInfo | None,
    *,
    param: str = "payment_method",
) -> dict[str, Any]:
    pm = host.state.get(pm_id, "payment_method") if isinstance(pm_id, str) else None
    if pm is None:
        raise unknown_reference("payment_method", str(pm_id), param=param)
    if pm["customer"] not in {None, customer_id}:
        raise invalid(f"The payment method `{pm_id}` belongs to another customer.", param=param)
    if pm["customer"] is None:
        pm["customer"] = customer_id
        host.state.put(pm)
        host.emit("payment_method.attached", pm, request)
    return pm


def _unit(price: dict[str, Any]) -> Decimal:
    from decimal import Decimal

    return Decimal(price.get("unit_amount_decimal") or price.get("unit_amount") or 0)


def _set_period(sub: dict[str, Any], start: int, end: int) -> None:
    for si in sub["items"]["data"]:
        si["current_period_start"] = start
        si["current_period_end"] = end
