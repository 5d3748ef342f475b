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


def test_unknown_currency_is_named() -> None:
    with pytest.raises(CurrencyError, match="unknown currency 'EURO'"):
        currency_digits("EURO")


def test_money_does_not_mix_currencies() -> None:
    assert Money.of("10.00", "EUR") + Money.of("0.50", "EUR") == Money(1050, "EUR")
    with pytest.raises(CurrencyError, match="EUR and USD"):
        Money.of("1", "EUR") + Money.of("1", "USD")
    assert str(Money(-150, "EUR")) == "-1.50 EUR"
