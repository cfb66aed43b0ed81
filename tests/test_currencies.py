"""Currency knowledge and exact major/minor unit conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import checkoutkit
from budget import examples
from checkoutkit import _currencies as cur
from checkoutkit._currencies import (
    currency_exponent,
    from_minor_units,
    is_supported_currency,
    maximum_amount,
    minimum_charge,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("19.99"), "usd", 1999),
        ("19.99", "USD", 1999),
        (5, "usd", 500),
        ("0.5", "eur", 50),
        (500, "jpy", 500),
        ("500", "JPY", 500),
        (Decimal("5.124"), "kwd", 5124),
        (5, "isk", 500),
        ("5.00", "isk", 500),
        (1000, "ugx", 100000),
        ("10.45", "huf", 1045),
        ("-3.10", "usd", -310),
        (" 7.5 ", "gbp", 750),
    ],
)
def test_to_minor_units_converts_exactly(amount: object, currency: str, minor: int) -> None:
    """Major-unit amounts become the integer Stripe expects for the currency's exponent."""
    assert to_minor_units(amount, currency) == minor  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("19.999", "usd", "amount_too_precise"),
        (Decimal("1.5"), "jpy", "zero_decimal_currency_amounts"),
        ("5.50", "isk", "zero_decimal_currency_amounts"),
        ("0.01", "ugx", "zero_decimal_currency_amounts"),
        ("1.0001", "kwd", "amount_too_precise"),
        (19.99, "usd", "invalid_type"),
        (True, "usd", "invalid_type"),
        (None, "usd", "invalid_type"),
        ("abc", "usd", "invalid_type"),
        ("NaN", "usd", "invalid_type"),
        (Decimal("Infinity"), "usd", "invalid_type"),
        ("1", "usdollar", "currency_iso_format"),
        ("1", "us", "currency_iso_format"),
        ("1", "zzz", "currency_supported"),
        ("1", 840, "invalid_type"),
    ],
)
def test_to_minor_units_rejects_unrepresentable_amounts(
    amount: object, currency: object, code: str
) -> None:
    """Amounts a currency cannot hold, floats and non-currencies raise InvalidSessionError."""
    with pytest.raises(checkoutkit.InvalidSessionError) as info:
        to_minor_units(amount, currency, param="line_items[0][price_data]")  # type: ignore[arg-type]
    (problem,) = info.value.problems
    assert problem.code == code
    assert problem.param == "line_items[0][price_data]"
    assert problem.message


def test_float_error_explains_why() -> None:
    """Refusing a float says to use Decimal or a string."""
    with pytest.raises(checkoutkit.InvalidSessionError, match="floats are inexact"):
        to_minor_units(0.1, "usd")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "amount", ["1e30", Decimal("99999999999999999999999999.995"), "1e-50", "1" * 101]
)
def test_absurd_amounts_are_refused_not_rounded(amount: object) -> None:
    """Amounts beyond any Stripe limit, or too long to parse, raise instead of rounding."""
    with pytest.raises(checkoutkit.InvalidSessionError):
        to_minor_units(amount, "usd")  # type: ignore[arg-type]


def test_from_minor_units_gives_major_decimals() -> None:
    """Minor units convert back to an exact Decimal in major units."""
    assert from_minor_units(1999, "usd") == Decimal("19.99")
    assert from_minor_units(500, "JPY") == Decimal(500)
    assert from_minor_units(5124, "kwd") == Decimal("5.124")
    assert from_minor_units(500, "isk") == Decimal(5)


def test_from_minor_units_rejects_non_integers() -> None:
    """A float or bool minor amount is a typed problem, not a silent conversion."""
    for bad in (19.99, True, "1999"):
        with pytest.raises(checkoutkit.InvalidSessionError):
            from_minor_units(bad, "usd")  # type: ignore[arg-type]


def test_exponents() -> None:
    """Zero-decimal, three-decimal and special-case currencies have Stripe's exponents."""
    assert currency_exponent("JPY") == 0
    assert currency_exponent("krw") == 0
    assert currency_exponent("usd") == 2
    assert currency_exponent("isk") == 2
    assert currency_exponent("ugx") == 2
    assert currency_exponent("huf") == 2
    assert currency_exponent("twd") == 2
    assert currency_exponent("kwd") == 3
    with pytest.raises(checkoutkit.InvalidSessionError):
        currency_exponent("zzz")


def test_minimum_and_maximum_amounts() -> None:
    """Minimum charges and maximum amounts follow Stripe's currency table."""
    assert minimum_charge("usd") == 50
    assert minimum_charge("GBP") == 30
    assert minimum_charge("huf") == 17500
    assert minimum_charge("jpy") == 50
    assert minimum_charge("pyg") is None
    assert maximum_amount("usd") == 99_999_999
    assert maximum_amount("IDR") == 999_999_999_999
    assert maximum_amount("inr") == 999_999_999
    assert maximum_amount("lbp") == 99_999_999_999
    assert maximum_amount("jpy") == 9_999_999_999


def test_supported_currencies() -> None:
    """Stripe's presentment currencies are supported in any case; other codes are not."""
    assert is_supported_currency("usd")
    assert is_supported_currency("EUR")
    assert not is_supported_currency("zzz")
    assert not is_supported_currency("xau")  # ISO 4217, but not a Stripe presentment currency
    assert not is_supported_currency(None)  # type: ignore[arg-type]
    assert len(cur.STRIPE_CURRENCIES) >= 135
    assert cur.ZERO_DECIMAL <= cur.STRIPE_CURRENCIES
    assert cur.THREE_DECIMAL <= cur.STRIPE_CURRENCIES


@settings(max_examples=examples(200), deadline=None)
@given(
    currency=st.sampled_from(sorted(cur.STRIPE_CURRENCIES)),
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    upper=st.booleans(),
)
def test_minor_units_round_trip(currency: str, minor: int, upper: bool) -> None:
    """from_minor_units then to_minor_units returns the same integer for every currency."""
    if currency in cur.WHOLE_UNITS_ONLY:
        minor -= minor % 100
    code = currency.upper() if upper else currency
    major = from_minor_units(minor, code)
    assert to_minor_units(major, code) == minor
    assert to_minor_units(str(major), code) == minor


@settings(max_examples=examples(200), deadline=None)
@given(
    currency=st.sampled_from(sorted(cur.STRIPE_CURRENCIES)),
    amount=st.decimals(min_value=-(10**15), max_value=10**15, places=4),
)
def test_to_minor_units_is_exact_or_refuses(currency: str, amount: Decimal) -> None:
    """Every Decimal either converts exactly (and back) or raises InvalidSessionError."""
    exponent = currency_exponent(currency)
    representable = amount.is_finite() and amount == round(amount, exponent)
    if currency in cur.WHOLE_UNITS_ONLY:
        representable = representable and amount == round(amount, 0)
    if not representable:
        with pytest.raises(checkoutkit.InvalidSessionError):
            to_minor_units(amount, currency)
        return
    assert from_minor_units(to_minor_units(amount, currency), currency) == amount


@pytest.mark.parametrize("currency", sorted(cur.ISO_CURRENCIES))
def test_every_currency_round_trips(currency: str) -> None:
    """For every ISO currency, sample amounts survive minor -> major -> minor unchanged."""
    for minor in (0, 100, 500, 1999 * 100, 99_999_900, -700, 10**14):
        assert to_minor_units(from_minor_units(minor, currency), currency) == minor
        assert to_minor_units(from_minor_units(minor, currency.upper()), currency.upper()) == minor


def test_long_amounts_convert_without_rounding() -> None:
    """Minor amounts longer than Decimal's default precision convert back and forth exactly."""
    minor = 12345678901234567890123456789012345
    assert from_minor_units(minor, "usd") == Decimal("123456789012345678901234567890123.45")
    assert to_minor_units(Decimal("1234567890123456789.01"), "usd") == 123456789012345678901
