"""Exact money: integer minor units plus an ISO 4217 currency code.

Amounts never pass through floats. At the edges (files, JSON, configuration) they are
`Decimal`; inside they are `Money`, whose `minor` is the amount in the currency's smallest unit
(cents for EUR, yen for JPY, fils for KWD).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

__all__ = [
    "CurrencyError",
    "Money",
    "currency_digits",
    "is_known_currency",
    "minor_to_decimal",
    "to_minor",
]


class CurrencyError(ValueError):
    """A currency code is unknown, or an amount has more decimals than its currency allows."""


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_known_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 code known to the CLDR data (current or historical)."""
    return code in _known_currencies()


@cache
def currency_digits(code: str) -> int:
    """Number of minor-unit digits of `code` (EUR 2, JPY 0, KWD 3).

    Raises:
        CurrencyError: `code` is not a known ISO 4217 currency.
    """
    if not is_known_currency(code):
        raise CurrencyError(f"unknown currency {code!r} (expected an ISO 4217 code such as EUR)")
    return int(get_currency_precision(code))


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Convert a major-unit amount to integer minor units, exactly.

    Raises:
        CurrencyError: the currency is unknown or the amount has more decimals than it allows
            (12.345 EUR is refused, never rounded).
    """
    units = _UNITS.get(currency)  # this runs for every amount of every export
    if units is None:
        units = _UNITS.setdefault(currency, 10 ** currency_digits(currency))
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation as exc:
        raise CurrencyError(f"{amount!r} is not a number") from exc
    if not value.is_finite():
        raise CurrencyError(f"{amount!r} is not a finite amount")
    if -_REACH <= value.adjusted() <= _REACH:
        # Exact: the amount as a reduced fraction, whose denominator must divide the units
        # (12.340 EUR is 617/50, and 50 divides 100; 12.345 EUR is 2469/200, and 200 does not).
        numerator, denominator = value.as_integer_ratio()
        factor, rest = divmod(units, denominator)
        if not rest:
            return numerator * factor
    elif not value:
        return 0  # zero written with an extreme exponent (0E-999999)
    elif value.adjusted() > 0:
        raise CurrencyError(f"{value} is too large an amount")
    raise CurrencyError(
        f"{value} has more decimals than {currency} allows ({currency_digits(currency)})"
    )


# Minor units per major unit of the currencies met so far (known ones only: an unknown code
# raises before it is added), e.g. EUR → 100, JPY → 1, KWD → 1000.
_UNITS: dict[str, int] = {}
# An amount whose leading digit is further than this from the decimal point is zero, too large
# or has too many decimals (its exact fraction would be a huge integer: it is not computed).
_REACH = 40


def minor_to_decimal(minor: int, currency: str) -> Decimal:
    """The major-unit `Decimal` of `minor` units of `currency` (1234, EUR → Decimal('12.34'))."""
    return Decimal(minor).scaleb(-currency_digits(currency))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: `minor` units of `currency`."""

    minor: int
    currency: str

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Money from a major-unit amount, e.g. `Money.of("12.34", "EUR")`."""
        return cls(to_minor(amount, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def amount(self) -> Decimal:
        """The major-unit amount as a `Decimal` with the currency's digits."""
        return minor_to_decimal(self.minor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __bool__(self) -> bool:
        return self.minor != 0

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"
