"""Money, numbers, dates and times written the way a reader of a language expects
("1,234.50 €" in English, "1 234,50 €" in French, "1.234,50 €" in German), by babel's CLDR data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from gateway.domain.money import minor_to_decimal

__all__ = ["LocaleFormats"]


@dataclass(frozen=True, slots=True)
class LocaleFormats:
    """Formatting in one language. `zone`: the time zone instants are shown in (default: the
    server's local zone)."""

    language: str
    zone: tzinfo | None = None

    def money(self, minor: int, currency: str) -> str:
        """An amount in minor units with its currency symbol, the currency's own decimals and
        the language's thousands separator."""
        return self.amount(minor_to_decimal(minor, currency), currency)

    def amount(self, value: Decimal, currency: str) -> str:
        return str(format_currency(value, currency, locale=self.language))

    def number(self, value: int | Decimal) -> str:
        return str(format_decimal(value, locale=self.language))

    def date(self, value: date | None) -> str:
        return str(format_date(value, "medium", locale=self.language)) if value else ""

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        zone = self.zone or datetime.now().astimezone().tzinfo
        return str(format_datetime(value, "medium", tzinfo=zone, locale=self.language))
