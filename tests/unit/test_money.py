from decimal import Decimal

import pytest

from gateway.domain.money import CurrencyError, Money, currency_digits, minor_to_decimal, to_minor


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


def test_money_does_not_mix_currencies() -> None:
    assert Money.of("10.00", "EUR") + Money.of("0.50", "EUR") == Money(1050, "EUR")
    with pytest.raises(CurrencyError, match="EUR and USD"):
        Money.of("1", "EUR") + Money.of("1", "USD")
    assert str(Money(-150, "EUR")) == "-1.50 EUR"
