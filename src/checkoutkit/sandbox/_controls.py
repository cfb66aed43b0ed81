"""The ``/_sandbox`` test controls: pay a session without a browser."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from checkoutkit.sandbox import _collect, _methods
from checkoutkit.sandbox._core import Core, PayResult
from checkoutkit.sandbox._errors import invalid


def method_from(params: dict[str, Any], today: _dt.date) -> _methods.Card | _methods.Iban:
    """A card (``card``/``number``, ``exp_month``, ``exp_year``, ``cvc``) or an ``iban``.

    Expiry defaults to December three years ahead; the CVC to ``123`` (``1234`` for Amex).
    """
    iban = params.get("iban")
    number = params.get("card", params.get("number"))
    if bool(iban) == bool(number):
        raise invalid("Give exactly one of card and iban.", param="card")
    if iban:
        return _methods.Iban(_methods.normalize_iban(str(iban)))
    number = _methods.normalize_number(str(number))
    exp_month = params.get("exp_month", 12)
    exp_year = params.get("exp_year", today.year + 3)
    if not isinstance(exp_month, int) or not isinstance(exp_year, int):
        raise invalid("exp_month and exp_year must be integers.", param="exp_month")
    card = _methods.Card(number, exp_month, exp_year, "", str(params.get("postal_code", "")))
    cvc = params.get("cvc")
    if cvc is None:
        cvc = "1234" if card.brand == "amex" else "123"
    return _methods.Card(number, exp_month, exp_year, str(cvc), card.postal_code)


def pay(core: Core, session_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """``POST /_sandbox/sessions/{id}/pay``; ``three_d_secure=complete|fail`` finishes 3DS.

    ``promotion_code`` is entered first; the details a session collects take the page's field
    names (see :func:`._collect.collected_from`).
    """
    today = _dt.datetime.fromtimestamp(core.clock.now(), _dt.timezone.utc).date()
    method = method_from(params, today)
    amount = params.get("amount")
    if amount is not None and not isinstance(amount, int):
        raise invalid("amount must be an integer.", param="amount")
    code = params.get("promotion_code")
    if isinstance(code, str) and code:
        core.enter_promotion_code(session_id, code)
    collected = _collect.collected_from(params)
    result = core.pay(
        session_id,
        method,
        email=params.get("email"),
        save=params.get("save") in {True, "True", "1", "on", "yes"},
        amount=amount,
        collected=collected,
    )
    three_ds = params.get("three_d_secure")
    if result.status == "requires_action" and three_ds in {"complete", "fail"}:
        result = core.authenticate(session_id, complete=three_ds == "complete")
    return outcome(core, result)


def outcome(core: Core, result: PayResult) -> dict[str, Any]:
    """The JSON answer for a payment attempt: its status, any error, and the session."""
    error = None
    if result.code is not None:
        error = {
            "code": result.code,
            "decline_code": result.decline_code,
            "message": result.message,
        }
    return {"status": result.status, "error": error, "session": core.render(result.session)}
