from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.currencies import ISO_4217_PUBLISHED, TENDER_DIGITS
from gateway.domain.money import (
    CurrencyError,
    Money,
    currency_digits,
    is_known_currency,
    minor_to_decimal,
    to_minor,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "EUR", 1234),
        ("-0.01", "EUR", -1),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        (Decimal("12345678901234567.89"), "EUR", 1234567890123456789),
        ("12.340", "EUR", 1234),  # trailing zeros are not extra decimals
        ("1E+3", "EUR", 100000),
        ("-0.00", "EUR", 0),
        ("0E-999999999", "EUR", 0),  # zero, however it is written
        ("1." + "0" * 1_000_000, "EUR", 100),  # a million trailing zeros: still 1 EUR
        # more digits than the decimal module's default precision (28): not rounded
        ("12345678901234567890123456789.01", "EUR", 1234567890123456789012345678901),
    ],
)
def test_amounts_become_exact_minor_units(amount: str, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor
    assert minor_to_decimal(minor, currency) == Decimal(amount)


def test_more_decimals_than_the_currency_allows_are_refused_not_rounded() -> None:
    with pytest.raises(CurrencyError, match="more decimals than EUR allows"):
        to_minor("12.345", "EUR")
    with pytest.raises(CurrencyError, match="JPY"):
        to_minor("10.5", "JPY")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1E-999999999", "more decimals than EUR allows"),
        ("1E-41", "more decimals than EUR allows"),
        ("1." + "0" * 40 + "1", "more decimals than EUR allows"),
        ("1." + "0" * 1_000_000 + "1", r"1\.0{38}\.\.\. \(1000003 characters\) has more decimals"),
        ("1" * 41, "too large an amount"),
        ("1E+999999999", "too large an amount"),
        ("NaN", "not a finite amount"),
        ("-Infinity", "not a finite amount"),
        ("12,5", "not a number"),
    ],
)
def test_absurd_amounts_are_refused_at_once(amount: str, message: str) -> None:
    """Extreme exponents are refused without computing a huge integer (a bad cell must not
    stall an extraction), and never rounded to zero."""
    with pytest.raises(CurrencyError, match=message):
        to_minor(amount, "EUR")


def test_unknown_currency_is_named() -> None:
    with pytest.raises(CurrencyError, match="unknown currency 'EURO'"):
        currency_digits("EURO")


@pytest.mark.parametrize(
    ("currency", "digits", "amount", "minor"),
    [
        # ISO 4217's minor units, not CLDR's display digits (0 for all four)
        ("HUF", 2, "1234.56", 123456),
        ("IDR", 2, "150000.50", 15000050),
        ("COP", 2, "99.99", 9999),
        ("IQD", 3, "1.250", 1250),
        ("JPY", 0, "1500", 1500),
        ("KWD", 3, "0.125", 125),
        ("CLP", 0, "990", 990),
    ],
)
def test_minor_units_are_iso_4217_s(currency: str, digits: int, amount: str, minor: int) -> None:
    assert currency_digits(currency) == digits
    assert to_minor(amount, currency) == minor
    assert minor_to_decimal(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("DEM", r"unknown currency 'DEM': not on ISO 4217's current list .*German Mark"),
        ("FRF", r"unknown currency 'FRF': .*French Franc"),
        ("XXX", r"XXX \(.*no currency is involved\) has no minor unit in ISO 4217"),
        ("XAU", r"XAU \(Gold\) has no minor unit"),
        ("XTS", "has no minor unit"),
        ("CLF", r"CLF is an ISO 4217 fund code \(Unidad de Fomento\)"),
        ("USN", "fund code"),
        ("eur", "unknown currency 'eur'"),
    ],
)
def test_withdrawn_placeholder_and_fund_codes_are_refused(code: str, reason: str) -> None:
    with pytest.raises(CurrencyError, match=reason):
        to_minor("1", code)
    assert not is_known_currency(code)


def test_the_iso_list_is_dated() -> None:
    assert date(2026, 1, 1) <= ISO_4217_PUBLISHED
    assert TENDER_DIGITS["EUR"] == 2 and "BGN" not in TENDER_DIGITS  # Bulgaria: euro in 2026


def test_money_does_not_mix_currencies() -> None:
    assert Money.of("10.00", "EUR") + Money.of("0.50", "EUR") == Money(1050, "EUR")
    with pytest.raises(CurrencyError, match="EUR and USD"):
        Money.of("1", "EUR") + Money.of("1", "USD")
    assert str(Money(-150, "EUR")) == "-1.50 EUR"
