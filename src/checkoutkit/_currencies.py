"""What Stripe expects of amounts in each currency, and exact major/minor unit conversion.

Stripe takes every amount as an integer in the currency's *minor unit*: cents for ``usd``
(``1999`` is 19.99 USD), whole yen for the zero-decimal ``jpy`` (``500`` is 500 JPY), and
thousandths for the three-decimal ``kwd``. Getting the exponent wrong charges 100x too much or too
little, so :func:`to_minor_units` converts exactly (no floats) and refuses amounts a currency
cannot represent.

Special cases (https://docs.stripe.com/currencies#special-cases):

* ``isk`` and ``ugx`` are sent with two decimals (``500`` is 5 ISK) but only whole units can be
  charged, so minor amounts must be divisible by 100.
* ``huf`` and ``twd`` are zero-decimal for payouts only; charges use two decimals.
* ``bhd``, ``jod``, ``kwd``, ``omr`` and ``tnd`` have three decimals. Stripe asks that the last
  digit be ``0`` for PaymentIntents; that is not known to be enforced when a Checkout Session is
  created, so it is not enforced here.

Currency codes are case-insensitive here and normalized to lowercase, the form Stripe documents.
"""

from __future__ import annotations

import re
from decimal import Decimal

from checkoutkit._problems import Problem
from checkoutkit.exceptions import InvalidSessionError

__all__ = [
    "currency_exponent",
    "from_minor_units",
    "is_iso_currency",
    "is_supported_currency",
    "maximum_amount",
    "minimum_charge",
    "to_minor_units",
]

#: Stripe's documented presentment currencies (https://docs.stripe.com/currencies).
#: Which of them an account may use depends on its country, which cannot be known offline.
STRIPE_CURRENCIES: frozenset[str] = frozenset(
    """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp
    byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip
    gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt
    lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr
    nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sll sos
    srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xcg xof xpf
    yer zar zmw
    """.split()  # noqa: SIM905 - a word list reads better than 150 quoted strings
)

#: ISO 4217 codes (current, plus the withdrawn codes Stripe has used), lowercase.
ISO_CURRENCIES: frozenset[str] = STRIPE_CURRENCIES | frozenset(
    """
    bov btn che chw clf cou cuc cup ern ghs hrk iqd irr kpw lyd mro mru mxv sdg ssp stn svc syp
    tmt usn uyi uyw ved vef ves xag xau xba xbb xbc xbd xdr xpd xpt xsu xts xua xxx zwg zwl
    """.split()  # noqa: SIM905 - a word list reads better than 150 quoted strings
)

#: Amounts are whole units: the minor unit is the major unit.
ZERO_DECIMAL: frozenset[str] = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)

#: Sent with two decimals, but only whole units can be charged (minor amount divisible by 100).
WHOLE_UNITS_ONLY: frozenset[str] = frozenset({"isk", "ugx"})

#: Three-decimal currencies.
THREE_DECIMAL: frozenset[str] = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

#: Minimum charge per settlement currency, in minor units (https://docs.stripe.com/currencies).
MINIMUM_CHARGE: dict[str, int] = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

#: The largest amount in minor units where Stripe documents more than the default 8 digits.
MAXIMUM_AMOUNT: dict[str, int] = {
    "idr": 10**12 - 1,
    "lbp": 10**11 - 1,
    "cop": 10**10 - 1,
    "huf": 10**10 - 1,
    "jpy": 10**10 - 1,
    "inr": 10**9 - 1,
}
#: The largest amount in minor units in every other currency (8 digits: 999,999.99).
DEFAULT_MAXIMUM_AMOUNT = 10**8 - 1

# Major amounts of 10**20 and more are refused outright (no currency allows more than 12 digits).
_MAX_ADJUSTED = 20

# An amount written as text: ASCII digits with at most one decimal point and an optional minus
# sign. Decimal() also reads exponents (1e999999), underscores (12_00) and non-ASCII digits,
# none of which is a way to write a price.
_AMOUNT_TEXT = re.compile(r"[ \t]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t]*")
_TOO_LARGE = 10**_MAX_ADJUSTED
_SCALE: tuple[int, ...] = (1, 10, 100, 1000)
# Integers below this have fewer digits than the default Decimal precision (28).
_EXACT = 10**27


def _normalize(currency: object, param: str) -> str:
    """Return ``currency`` lowercased, or raise if it is not an ISO 4217 code."""
    if not isinstance(currency, str):
        raise InvalidSessionError(
            [Problem(param, "invalid_type", f"A currency must be a string, not {currency!r}.")]
        )
    code = currency.lower()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise InvalidSessionError(
            [
                Problem(
                    param,
                    "currency_iso_format",
                    f"{currency!r} is not a three-letter ISO 4217 currency code.",
                )
            ]
        )
    if code not in ISO_CURRENCIES:
        raise InvalidSessionError(
            [Problem(param, "currency_supported", f"{currency!r} is not an ISO 4217 currency.")]
        )
    return code


def is_iso_currency(currency: str) -> bool:
    """Whether ``currency`` (any case) is an ISO 4217 currency code."""
    return isinstance(currency, str) and currency.lower() in ISO_CURRENCIES


def is_supported_currency(currency: str) -> bool:
    """Whether ``currency`` (any case) is one of Stripe's documented presentment currencies.

    Which of them a given account may charge in depends on its country; that is not known
    offline.
    """
    return isinstance(currency, str) and currency.lower() in STRIPE_CURRENCIES


def _exponent_of(code: str) -> int:
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


#: Lowercase and uppercase spellings of every code -> (lowercase code, exponent).
_LOOKUP: dict[str, tuple[str, int]] = {
    spelling: (code, _exponent_of(code))
    for code in ISO_CURRENCIES
    for spelling in (code, code.upper())
}


def _lookup(currency: object, param: str) -> tuple[str, int]:
    """The lowercase code and exponent of ``currency``, or raise if it is not ISO 4217."""
    found = _LOOKUP.get(currency) if type(currency) is str else None
    if found is None:
        code = _normalize(currency, param)
        found = (code, _exponent_of(code))
    return found


def currency_exponent(currency: str) -> int:
    """The number of decimals Stripe's API uses for ``currency``: 0, 2 or 3.

    ``isk`` and ``ugx`` are 2 (they are sent with two decimals, see the module docstring).
    Raises :class:`~checkoutkit.InvalidSessionError` for a code that is not ISO 4217.
    """
    return _lookup(currency, "currency")[1]


def minimum_charge(currency: str) -> int | None:
    """The smallest total Stripe charges in ``currency``, in minor units, or ``None`` if unknown.

    Stripe applies the minimum in the *settlement* currency after conversion; offline, the
    presentment currency is assumed to be the settlement currency.
    """
    return MINIMUM_CHARGE.get(_normalize(currency, "currency"))


def maximum_amount(currency: str) -> int:
    """The largest amount Stripe accepts in ``currency``, in minor units.

    Stripe documents 8 digits (``99999999``) for most currencies, 12 for ``idr`` and 9 for
    ``inr``; for card payments ``lbp`` allows 11 digits and ``cop``, ``huf`` and ``jpy`` 10.
    Which payment method a customer will use is not known when a session is created, so the
    larger card limit is used: only what every payment method would reject is rejected.
    """
    return MAXIMUM_AMOUNT.get(_normalize(currency, "currency"), DEFAULT_MAXIMUM_AMOUNT)


def to_minor_units(amount: Decimal | int | str, currency: str, *, param: str = "") -> int:
    """Convert an amount in major units (``Decimal("19.99")``, ``"19.99"`` or ``5``) to minor units.

    The conversion is exact. Floats are refused because they cannot hold most decimal amounts
    (``0.1 + 0.2``). An amount the currency cannot represent (``"19.999"`` in ``usd``, ``"1.5"``
    in ``jpy``, ``"5.50"`` in ``isk``) raises :class:`~checkoutkit.InvalidSessionError` with one
    :class:`~checkoutkit.Problem` whose ``param`` is ``param``.

    >>> from decimal import Decimal
    >>> from checkoutkit import to_minor_units
    >>> to_minor_units(Decimal("19.99"), "usd")
    1999
    >>> to_minor_units(500, "JPY")
    500
    """
    fast = minor_units_or_none(amount, currency)
    if fast is not None:
        return fast
    code, exponent = _lookup(currency, param)
    if type(amount) is int or (isinstance(amount, int) and not isinstance(amount, bool)):
        if not -_TOO_LARGE < amount < _TOO_LARGE:
            raise _absurd(param)
        result = int(amount) * _SCALE[exponent]
    elif isinstance(amount, (Decimal, str)):
        numerator, denominator = _parse(amount, param).as_integer_ratio()
        # Exact integer arithmetic: Decimal operations would round to the context's precision.
        result, remainder = divmod(numerator * _SCALE[exponent], denominator)
        if remainder:
            if code in ZERO_DECIMAL:
                message = f"{code} is a zero-decimal currency: {amount} has a fractional part."
                rule = "zero_decimal_currency_amounts"
            else:
                message = f"{code} has {exponent} decimals; {amount} has more."
                rule = "amount_too_precise"
            raise InvalidSessionError([Problem(param, rule, message)])
    else:
        hint = " Use Decimal or a string; floats are inexact." if isinstance(amount, float) else ""
        raise InvalidSessionError(
            [Problem(param, "invalid_type", f"An amount must be a Decimal, int or str.{hint}")]
        )
    if code in WHOLE_UNITS_ONLY and result % 100:
        raise InvalidSessionError(
            [
                Problem(
                    param,
                    "zero_decimal_currency_amounts",
                    f"{code} can only be charged in whole units: {amount} has a fractional part.",
                )
            ]
        )
    return result


def minor_units_or_none(amount: object, currency: object) -> int | None:
    """:func:`to_minor_units` for the common inputs it accepts, or None for any other input.

    The fast path: an ``int`` or ``Decimal`` (exact types) in a known currency spelling whose
    value the currency represents exactly. It returns what :func:`to_minor_units` returns for
    them; for anything else it returns None, and :func:`to_minor_units` decides (and explains).
    """
    found = _LOOKUP.get(currency) if type(currency) is str else None
    if found is None:
        return None
    code, exponent = found
    scale = _SCALE[exponent]
    if type(amount) is int:
        if not -_TOO_LARGE < amount < _TOO_LARGE:
            return None
        result = amount * scale
    elif type(amount) is Decimal:
        try:
            # Sizes first: the exact ratio of a far too large or small value is a huge int.
            # Within these bounds the value has fewer than 20 digits before the point.
            if not -4 <= amount.adjusted() < _MAX_ADJUSTED:
                return None
            numerator, denominator = amount.as_integer_ratio()
        except (ValueError, OverflowError):  # NaN or infinity
            return None
        # A reduced fraction is a whole number of minor units only if its denominator divides
        # the scale.
        if scale % denominator:
            return None
        result = numerator * (scale // denominator)
    else:
        return None
    if result % 100 and code in WHOLE_UNITS_ONLY:
        return None
    return result


def _absurd(param: str) -> InvalidSessionError:
    return InvalidSessionError(
        [
            Problem(
                param,
                "maximum_amount_8_digits",
                "The amount is far larger or smaller than any amount Stripe accepts.",
            )
        ]
    )


def _parse(amount: Decimal | str, param: str) -> Decimal:
    """A finite Decimal of sane size from ``amount``, or raise InvalidSessionError."""
    if isinstance(amount, Decimal):
        value = amount
    elif len(amount) <= 100 and _AMOUNT_TEXT.fullmatch(amount):
        value = Decimal(amount.strip(" \t"))
    else:
        shown = repr(amount) if len(amount) <= 40 else repr(amount[:37] + "...")
        raise InvalidSessionError(
            [
                Problem(
                    param,
                    "invalid_type",
                    f"{shown} is not an amount: write ASCII digits with at most one decimal "
                    "point, e.g. '12.50'.",
                )
            ]
        )
    if not value.is_finite():
        raise InvalidSessionError(
            [Problem(param, "invalid_type", f"{amount!r} is not a finite decimal amount.")]
        )
    if not value.is_zero() and not -40 <= value.adjusted() < _MAX_ADJUSTED:
        raise _absurd(param)
    return value


def from_minor_units(minor: int, currency: str) -> Decimal:
    """Convert an amount in minor units back to a ``Decimal`` in major units, exactly.

    >>> from checkoutkit import from_minor_units
    >>> from_minor_units(1999, "usd")
    Decimal('19.99')
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise InvalidSessionError(
            [Problem("", "invalid_type", f"A minor-unit amount must be an int, not {minor!r}.")]
        )
    exponent = _lookup(currency, "currency")[1]
    if -_EXACT < minor < _EXACT:
        return Decimal(minor).scaleb(-exponent)  # exact: fewer digits than the precision
    sign, digits, _ = Decimal(int(minor)).as_tuple()
    # Built from its digits: Decimal arithmetic would round past the context's precision.
    return Decimal((sign, digits, -exponent))
