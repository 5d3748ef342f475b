"""Exact money: integer minor units plus an ISO 4217 currency code.

Currencies and their minor units are ISO 4217's (gateway/domain/currencies.py): a code that is
not a current tender currency is refused.

Amounts never pass through floats. At the edges (files, JSON, configuration) they are
`Decimal`; inside they are `Money`, whose `minor` is the amount in the currency's smallest unit
(cents for EUR, yen for JPY, fils for KWD).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from functools import cache

from gateway.domain.currencies import TENDER_DIGITS, currency_problem

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


def is_known_currency(code: str) -> bool:
    """Whether `code` is a currency an invoice can be in: on ISO 4217's current list, with
    minor units, and not a fund code (XXX, XAU, CLF and withdrawn DEM are not)."""
    return code in TENDER_DIGITS


@cache
def currency_digits(code: str) -> int:
    """Number of minor-unit digits of `code` in ISO 4217 (EUR 2, JPY 0, KWD 3, HUF 2).

    Raises:
        CurrencyError: `code` is not a currency an invoice can be in (the message says why).
    """
    problem = currency_problem(code)
    if problem is not None:
        raise CurrencyError(problem)
    return TENDER_DIGITS[code]


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Convert a major-unit amount to integer minor units, exactly.

    Raises:
        CurrencyError: the currency is unknown, the amount has more decimals than it allows
            (12.345 EUR is refused, never rounded) or more than 40 digits.
    """
    scale = _SCALES.get(currency)  # this runs for every amount of every export
    if scale is None:
        digits = currency_digits(currency)
        scale = _SCALES.setdefault(currency, (Decimal(1).scaleb(-digits), digits))
    quantum, digits = scale
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation as exc:
        raise CurrencyError(f"{_shown(repr(amount))} is not a number") from exc
    if not value.is_finite():
        raise CurrencyError(f"{amount!r} is not a finite amount")
    # In a context where rounding is an error, not a result: 12.340 EUR becomes 12.34, 12.345
    # raises Inexact; 1E+999999999 or 1.000...0 with a million zeros cost no more than their
    # length (no huge integer is computed).
    try:
        exact = value.quantize(quantum, None, _EXACT)
        return int(exact.scaleb(digits, _EXACT))
    except Inexact:
        raise CurrencyError(
            f"{_shown(str(value))} has more decimals than {currency} allows ({digits})"
        ) from None
    except InvalidOperation:
        raise CurrencyError(f"{_shown(str(value))} is too large an amount") from None


def _shown(text: str) -> str:
    """An amount as an error message shows it: a runaway one cut short."""
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


# The smallest unit and its number of decimals, per currency met so far (known ones only: an
# unknown code raises before it is added), e.g. EUR → (0.01, 2), JPY → (1, 0).
_SCALES: dict[str, tuple[Decimal, int]] = {}
# 40 digits hold any amount an ERP or an agency sends; beyond, the amount is refused.
_EXACT = Context(prec=40, traps=[Inexact, InvalidOperation, Overflow])


def minor_to_decimal(minor: int, currency: str) -> Decimal:
    """The major-unit `Decimal` of `minor` units of `currency` (1234, EUR → Decimal('12.34'))."""
    return Decimal(minor).scaleb(-currency_digits(currency), _EXACT)


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
