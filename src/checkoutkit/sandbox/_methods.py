"""Test cards and IBANs: number checks and the outcomes of Stripe's published test data.

Sources: Stripe's testing docs (https://docs.stripe.com/testing). Any other number that passes
the Luhn check (13-19 digits) with a future expiry succeeds, as in Stripe's test mode.
"""

from __future__ import annotations

import datetime as _dt
from typing import Final

import attrs

from checkoutkit.sandbox._errors import STRIPE_ERROR_CODES

#: Card numbers with a fixed outcome: (error code, decline code, message).
DECLINES: Final[dict[str, tuple[str, str | None, str]]] = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000000069": ("expired_card", None, "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", None, "Your card's security code is incorrect."),
}

#: Card numbers that require 3D Secure authentication for every payment.
REQUIRES_AUTHENTICATION: Final = frozenset({"4000002500003155"})

#: Card numbers that attach and pay at checkout but fail every later (off-session) charge.
FAILS_LATER: Final = frozenset({"4000000000000341"})

#: IBANs whose SEPA Direct Debit payment fails after the processing delay.
FAILING_IBANS: Final = frozenset({"DE62370400440532013001"})

_BRANDS: Final = (
    ("34", "amex"),
    ("37", "amex"),
    ("62", "unionpay"),
    ("6011", "discover"),
    ("65", "discover"),
    ("35", "jcb"),
    ("30", "diners"),
    ("36", "diners"),
    ("38", "diners"),
    ("4", "visa"),
)


class MethodError(Exception):
    """Card or bank details the payment page refuses, with Stripe's error code and message.

    ``field`` names the form field the error belongs to (``phone``, ``shipping_city``), where
    the page shows it; None for an error of the whole attempt (a decline).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        decline_code: str | None = None,
        field: str | None = None,
    ) -> None:
        if code not in STRIPE_ERROR_CODES:
            raise ValueError(f"{code!r} is not one of Stripe's error codes")
        super().__init__(message)
        self.code = code
        self.message = message
        self.decline_code = decline_code
        self.field = field


@attrs.frozen
class Card:
    """Card details as entered on the payment page."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str = ""
    postal_code: str = ""

    @property
    def brand(self) -> str:
        """Card brand from the number's prefix (``visa``, ``mastercard``, ``unionpay``, …)."""
        for prefix, brand in _BRANDS:
            if self.number.startswith(prefix):
                return brand
        if self.number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= self.number[:4] <= "2720":
            return "mastercard"
        return "unknown"


@attrs.frozen
class Iban:
    """A bank account for SEPA Direct Debit."""

    iban: str


def luhn_ok(number: str) -> bool:
    """True when ``number`` (digits only) passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """True when ``iban`` has a valid shape and ISO 13616 mod-97 checksum."""
    if not (15 <= len(iban) <= 34) or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    if not iban.isalnum() or not iban.isascii():
        return False
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def normalize_number(raw: str) -> str:
    """Strip spaces and dashes people type into a card number."""
    return raw.replace(" ", "").replace("-", "")


def check_card(card: Card, today: _dt.date) -> None:
    """Raise :class:`MethodError` when the page would refuse the card before charging it."""
    number = card.number
    if not number.isdigit() or not 13 <= len(number) <= 19 or not luhn_ok(number):
        raise MethodError("incorrect_number", "Your card number is incorrect.")
    if not 1 <= card.exp_month <= 12:
        raise MethodError("invalid_expiry_month", "Your card's expiration month is invalid.")
    year = card.exp_year + 2000 if card.exp_year < 100 else card.exp_year
    if year < today.year:
        raise MethodError("invalid_expiry_year", "Your card's expiration year is in the past.")
    if (year, card.exp_month) < (today.year, today.month):
        raise MethodError("invalid_expiry_month", "Your card's expiration date is in the past.")
    want = 4 if card.brand == "amex" else 3
    if card.cvc and (not card.cvc.isdigit() or len(card.cvc) != want):
        raise MethodError("invalid_cvc", "Your card's security code is invalid.")


def decline_for(card: Card) -> MethodError | None:
    """The decline Stripe's test data defines for this card number, if any."""
    found = DECLINES.get(card.number)
    if found is None:
        return None
    code, decline_code, message = found
    return MethodError(code, message, decline_code=decline_code)


def check_iban(iban: Iban) -> None:
    """Raise :class:`MethodError` for an IBAN with a bad shape or checksum."""
    if not iban_ok(iban.iban):
        raise MethodError(
            "payment_method_invalid_parameter", "The IBAN you entered is invalid.", field="iban"
        )


def normalize_iban(raw: str) -> str:
    """Upper-case and strip the spaces people type into an IBAN."""
    return raw.replace(" ", "").upper()
