"""Paying sessions: cards, 3D Secure, SEPA settlement, capture and cancel."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import attrs

from checkoutkit.sandbox import _billing, _collect, _methods, _shapes
from checkoutkit.sandbox._collect import Collected
from checkoutkit.sandbox._common import RequestInfo
from checkoutkit.sandbox._errors import invalid
from checkoutkit.sandbox._params import reject_unknown
from checkoutkit.sandbox._state import PRIVATE, new_id

if TYPE_CHECKING:
    from checkoutkit.sandbox._state import Clock, State


@attrs.frozen
class PayResult:
    """The outcome of one payment attempt on a session.

    ``status`` is ``succeeded``, ``processing`` (SEPA, settles later), ``requires_action``
    (3D Secure pending) or ``failed`` (``code``/``message`` say why, ``field`` names the form
    field at fault if one is; the session stays open).
    """

    status: str
    session: dict[str, Any]
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    field: str | None = None


class Payments:
    """Payment attempts and what follows them (a part of :class:`Core`)."""

    if TYPE_CHECKING:
        state: State
        clock: Clock
        async_delay: float

        def _now(self) -> int: ...

        def get(self, kind: str, object_id: str, *, param: str = "id") -> dict[str, Any]: ...

        def emit(
            self,
            type_: str,
            obj: dict[str, Any],
            request: RequestInfo | None,
            previous: dict[str, Any] | None = None,
        ) -> None: ...

        def _schedule(self, due: float, action: str, object_id: str) -> None: ...

        def take_choices(self, session: dict[str, Any], got: Collected) -> dict[str, Any]: ...

        def redeem(self, discounts: list[dict[str, Any]]) -> None: ...

        def _new_customer(
            self,
            *,
            email: str | None,
            name: str | None = None,
            metadata: dict[str, Any] | None = None,
            extra: dict[str, Any] | None = None,
        ) -> dict[str, Any]: ...

    def pay(
        self,
        session_id: str,
        method: _methods.Card | _methods.Iban,
        *,
        email: str | None = None,
        save: bool = False,
        amount: int | None = None,
        collected: Collected | None = None,
    ) -> PayResult:
        """One payment attempt, as the payment page makes it. See :class:`PayResult`.

        ``collected`` is what the page asked for beyond payment details (see :mod:`._collect`).
        """
        with self.state.transaction():
            session = self.get("checkout.session", session_id, param="session")
            self._check_open(session)
            private = session[PRIVATE]
            if private.get("pending_auth"):
                private["pending_auth"] = None
            try:
                self._apply_custom_amount(session, amount)
                details = self.take_choices(session, collected or Collected())
                today = _dt.datetime.fromtimestamp(self.clock.now(), _dt.timezone.utc).date()
                if isinstance(method, _methods.Card):
                    _methods.check_card(method, today)
                    decline = _methods.decline_for(method)
                    if decline is not None:
                        raise decline
                else:
                    _methods.check_iban(method)
                    if session["currency"] not in {None, "eur"}:
                        raise _methods.MethodError(
                            "payment_method_currency_mismatch",
                            "SEPA Direct Debit can only be used for payments in EUR.",
                        )
                kind = "card" if isinstance(method, _methods.Card) else "sepa_debit"
                if kind not in (session.get("payment_method_types") or ["card"]):
                    raise _methods.MethodError(
                        "payment_method_not_available",
                        "This payment method is not available for this Checkout Session.",
                    )
            except _methods.MethodError as exc:
                private["error"] = {"code": exc.code, "message": exc.message}
                self.state.put(session)
                return PayResult(
                    "failed",
                    session,
                    code=exc.code,
                    decline_code=exc.decline_code,
                    message=exc.message,
                    field=exc.field,
                )
            email = email or session.get("customer_email")
            if isinstance(method, _methods.Card) and method.number in (
                _methods.REQUIRES_AUTHENTICATION
            ):
                private["pending_auth"] = {
                    "card": attrs.asdict(method),
                    "email": email,
                    "save": save,
                    "details": details,
                }
                private["error"] = None
                self.state.put(session)
                return PayResult("requires_action", session)
            return self._succeed(session, method, email=email, save=save, details=details)

    def authenticate(self, session_id: str, *, complete: bool) -> PayResult:
        """Finish (``complete=True``) or fail a pending 3D Secure authentication."""
        with self.state.transaction():
            session = self.get("checkout.session", session_id, param="session")
            self._check_open(session)
            private = session[PRIVATE]
            pending = private.get("pending_auth")
            if not pending:
                raise invalid(
                    "This Checkout Session has no payment waiting for authentication.",
                    param="session",
                )
            private["pending_auth"] = None
            if not complete:
                message = (
                    "We are unable to authenticate your payment method. Please choose a "
                    "different payment method and try again."
                )
                private["error"] = {
                    "code": "payment_intent_authentication_failure",
                    "message": message,
                    "email": pending["email"],  # the payment page shows it again
                }
                self.state.put(session)
                return PayResult(
                    "failed",
                    session,
                    code="payment_intent_authentication_failure",
                    message=message,
                )
            card = _methods.Card(**pending["card"])
            return self._succeed(
                session,
                card,
                email=pending["email"],
                save=pending["save"],
                details=pending.get("details") or {},
            )

    def _check_open(self, session: dict[str, Any]) -> None:
        if session["status"] == "expired":
            raise invalid(
                "This Checkout Session is no longer active: it has expired.",
                param="session",
            )
        if session["status"] == "complete":
            raise invalid(
                "This Checkout Session is already complete: it cannot be paid again.",
                param="session",
            )

    def _apply_custom_amount(self, session: dict[str, Any], amount: int | None) -> None:
        items = session[PRIVATE]["line_items"]
        price = self.state.get(items[0]["price"], "price") if items else None
        custom = price["custom_unit_amount"] if price else None
        if custom is None:
            return
        chosen = amount if amount is not None else custom["preset"]
        if chosen is None:
            raise _methods.MethodError(
                "parameter_missing", "Enter the amount you want to pay.", field="amount"
            )
        lo, hi = custom["minimum"], custom["maximum"]
        if chosen < (lo if lo is not None else 1) or (hi is not None and chosen > hi):
            raise _methods.MethodError(
                "amount_too_large" if hi is not None and chosen > hi else "amount_too_small",
                f"Enter an amount between {lo or 1} and {hi if hi is not None else 'any'}.",
                field="amount",
            )
        items[0].update(amount_subtotal=chosen, amount_total=chosen)
        session["amount_subtotal"] = session["amount_total"] = chosen

    def new_payment_method(
        self, method: _methods.Card | _methods.Iban, email: str | None
    ) -> dict[str, Any]:
        """A PaymentMethod (not yet attached) for card or bank details already checked."""
        pm: dict[str, Any] = {
            "id": new_id("pm_"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {
                    "city": None,
                    "country": None,
                    "line1": None,
                    "line2": None,
                    "postal_code": getattr(method, "postal_code", None) or None,
                    "state": None,
                },
                "email": email,
                "name": None,
                "phone": None,
                "tax_id": None,
            },
            "created": self._now(),
            "customer": None,
            "livemode": False,
            "metadata": {},
            **_shapes.payment_method_fields(),
        }
        if isinstance(method, _methods.Card):
            pm["type"] = "card"
            pm["card"] = {
                "brand": method.brand,
                "country": "US",
                "exp_month": method.exp_month,
                "exp_year": method.exp_year if method.exp_year >= 100 else 2000 + method.exp_year,
                "funding": "credit",
                "last4": method.number[-4:],
                **_shapes.card_fields(method.brand, method.number),
            }
            pm[PRIVATE] = {"fails_later": method.number in _methods.FAILS_LATER}
        else:
            pm["type"] = "sepa_debit"
            pm["sepa_debit"] = {
                "bank_code": method.iban[4:12],
                "country": method.iban[:2],
                "last4": method.iban[-4:],
            }
        return self.state.put(pm)

    def _succeed(
        self,
        session: dict[str, Any],
        method: _methods.Card | _methods.Iban,
        *,
        email: str | None,
        save: bool,
        details: dict[str, Any],
    ) -> PayResult:
        private = session[PRIVATE]
        mode = session["mode"]
        sepa = isinstance(method, _methods.Iban)
        pm = self.new_payment_method(method, email)
        customer_id = session["customer"]
        if customer_id is None and (
            mode == "subscription" or session.get("customer_creation") == "always"
        ):
            customer_id = self._new_customer(email=email)["id"]
            session["customer"] = customer_id
        if customer_id and (save or mode != "payment"):
            pm["customer"] = customer_id
            if save:
                pm["allow_redisplay"] = "always"
        session["customer_details"] = {
            "address": pm["billing_details"]["address"],
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
            **details,
        }
        self.redeem(session.get("discounts") or [])
        session["status"] = "complete"
        session["url"] = None
        private["error"] = None
        events: list[_billing.Event] = []
        status = "succeeded"
        if mode == "payment":
            pi = self._payment_intent(session, pm, customer_id, save=save, sepa=sepa)
            session["payment_intent"] = pi["id"]
            if sepa:
                status = "processing"
                session["payment_status"] = "unpaid"
                events.append(("payment_intent.processing", pi, None))
            else:
                session["payment_status"] = "paid"
                if pi["status"] == "requires_capture":
                    events.append(("payment_intent.amount_capturable_updated", pi, None))
                else:
                    events.append(("payment_intent.succeeded", pi, None))
        elif mode == "setup":
            si = self._setup_intent(session, pm, customer_id)
            session["setup_intent"] = si["id"]
            events.append(("setup_intent.succeeded", si, None))
        else:
            sub, billed = _billing.start_subscription(
                self, session, pm, customer_id, active=not sepa
            )
            session["subscription"] = sub["id"]
            session["payment_status"] = "unpaid" if sepa else "paid"
            events += billed
            if sepa:
                status = "processing"
        if status == "processing":
            due = self.clock.now() + self.async_delay
            private["async"] = {
                "due": due,
                "succeed": method.iban not in _methods.FAILING_IBANS,  # type: ignore[union-attr]
            }
            self._schedule(due, "settle", session["id"])
        self.state.put(session)
        self.emit("checkout.session.completed", session, None)
        for type_, obj, previous in events:
            self.emit(type_, obj, None, previous)
        return PayResult(status, session)

    def _payment_intent(
        self,
        session: dict[str, Any],
        pm: dict[str, Any],
        customer_id: str | None,
        *,
        save: bool,
        sepa: bool,
    ) -> dict[str, Any]:
        data = session[PRIVATE]["payment_intent_data"]
        manual = data.get("capture_method") == "manual" and not sepa
        amount = session["amount_total"]
        status = "processing" if sepa else ("requires_capture" if manual else "succeeded")
        pi_id = new_id("pi_")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": amount if manual else 0,
            "amount_details": {"tip": {}},
            "amount_received": amount if status == "succeeded" else 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": data.get("capture_method", "automatic_async"),
            "client_secret": f"{pi_id}_secret_{new_id('', 24)}",
            "confirmation_method": "automatic",
            "created": self._now(),
            "currency": session["currency"],
            "customer": customer_id,
            "description": data.get("description"),
            "last_payment_error": None,
            "latest_charge": None if sepa or manual else new_id("ch_"),
            "livemode": False,
            "metadata": data.get("metadata", {}),
            "next_action": None,
            "on_behalf_of": data.get("on_behalf_of"),
            "payment_method": pm["id"],
            "payment_method_options": {},
            "payment_method_types": [pm["type"]],
            "processing": None,
            "receipt_email": data.get("receipt_email"),
            "review": None,
            "setup_future_usage": data.get("setup_future_usage")
            or ("off_session" if save else None),
            "shipping": _collect.payment_intent_shipping(session, data),
            "source": None,
            "statement_descriptor": data.get("statement_descriptor"),
            "statement_descriptor_suffix": data.get("statement_descriptor_suffix"),
            "status": status,
            "transfer_data": None,
            "transfer_group": data.get("transfer_group"),
            **_shapes.payment_intent_fields(amount, session["currency"]),
        }
        return self.state.put(pi)

    def _setup_intent(
        self, session: dict[str, Any], pm: dict[str, Any], customer_id: str | None
    ) -> dict[str, Any]:
        data = session[PRIVATE]["setup_intent_data"]
        si_id = new_id("seti_")
        si = {
            "id": si_id,
            "object": "setup_intent",
            "application": None,
            "automatic_payment_methods": None,
            "cancellation_reason": None,
            "client_secret": f"{si_id}_secret_{new_id('', 24)}",
            "created": self._now(),
            "customer": customer_id,
            "description": data.get("description"),
            "flow_directions": None,
            "last_setup_error": None,
            "latest_attempt": new_id("setatt_"),
            "livemode": False,
            "mandate": new_id("mandate_") if pm["type"] == "sepa_debit" else None,
            "metadata": data.get("metadata", {}),
            "next_action": None,
            "on_behalf_of": data.get("on_behalf_of"),
            "payment_method": pm["id"],
            "payment_method_options": {},
            "payment_method_types": [pm["type"]],
            "single_use_mandate": None,
            "status": "succeeded",
            "usage": "off_session",
            **_shapes.setup_intent_fields(),
        }
        return self.state.put(si)

    def _settle(self, session: dict[str, Any]) -> None:
        private = session[PRIVATE]
        pending = private.get("async")
        if not pending:
            return
        private["async"] = None
        ok = pending["succeed"]
        session_events: list[_billing.Event] = []
        if session["payment_intent"]:
            pi = self.state.get(session["payment_intent"], "payment_intent")
            if pi is not None:
                if ok:
                    pi.update(status="succeeded", amount_received=pi["amount"])
                    pi["latest_charge"] = new_id("ch_")
                else:
                    pi["status"] = "requires_payment_method"
                    pi["last_payment_error"] = {
                        "code": "insufficient_funds",
                        "message": "The account has insufficient funds to cover this payment.",
                        "type": "card_error",
                    }
                self.state.put(pi)
                session_events = [
                    (
                        "payment_intent.succeeded" if ok else "payment_intent.payment_failed",
                        pi,
                        None,
                    )
                ]
        else:
            sub = self.state.get(session["subscription"] or "", "subscription")
            session_events = _billing.settle_first_invoice(self, sub, ok) if sub else []
        if ok:
            session["payment_status"] = "paid"
        self.state.put(session)
        self.emit(
            "checkout.session.async_payment_succeeded"
            if ok
            else "checkout.session.async_payment_failed",
            session,
            None,
        )
        for type_, obj, previous in session_events:
            self.emit(type_, obj, None, previous)

    def capture(self, pi_id: str, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        """``POST /v1/payment_intents/{id}/capture``."""
        reject_unknown(params, ["amount_to_capture", "metadata", "final_capture"])
        with self.state.transaction():
            pi = self.get("payment_intent", pi_id, param="intent")
            if pi["status"] != "requires_capture":
                raise invalid(
                    "This PaymentIntent could not be captured because it has a status of "
                    f"{pi['status']}. Only a PaymentIntent with one of the following statuses "
                    "may be captured: requires_capture.",
                    param="intent",
                    code="payment_intent_unexpected_state",
                )
            amount = params.get("amount_to_capture", pi["amount_capturable"])
            if not isinstance(amount, int) or not 0 < amount <= pi["amount_capturable"]:
                raise invalid(
                    "The amount to capture must be positive and at most the amount capturable "
                    f"({pi['amount_capturable']}).",
                    param="amount_to_capture",
                )
            pi.update(
                status="succeeded",
                amount_received=amount,
                amount_capturable=0,
                latest_charge=new_id("ch_"),
            )
            pi["metadata"].update(params.get("metadata", {}))
            self.state.put(pi)
            self.emit("payment_intent.succeeded", pi, request)
        return pi

    def cancel(self, pi_id: str, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        """``POST /v1/payment_intents/{id}/cancel``."""
        reject_unknown(params, ["cancellation_reason"])
        with self.state.transaction():
            pi = self.get("payment_intent", pi_id, param="intent")
            if pi["status"] in {"succeeded", "canceled", "processing"}:
                raise invalid(
                    "You cannot cancel this PaymentIntent because it has a status of "
                    f"{pi['status']}. Only a PaymentIntent with one of the following statuses "
                    "may be canceled: requires_payment_method, requires_capture, "
                    "requires_confirmation, requires_action.",
                    param="intent",
                    code="payment_intent_unexpected_state",
                )
            pi.update(
                status="canceled",
                canceled_at=self._now(),
                cancellation_reason=params.get("cancellation_reason", "requested_by_customer"),
                amount_capturable=0,
            )
            self.state.put(pi)
            self.emit("payment_intent.canceled", pi, request)
        return pi
