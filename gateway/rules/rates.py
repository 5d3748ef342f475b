"""Reference rates per half-year: the data file shipped with claimbridge, plus the
configuration's `reference_rates` (which take precedence, and add newer half-years).

A rate is looked up for a half-year only; a half-year the data does not hold has no rate
(`None`), never the nearest one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "RateSeries",
    "RateTable",
    "half_year_start",
    "next_half_year",
    "parse_rate_entries",
    "shipped_rates",
]


class RateSeries(enum.StrEnum):
    DE_BASE_RATE = "de_base_rate"  # Basiszinssatz, § 247 BGB
    ECB_REFINANCING_RATE = "ecb_refinancing_rate"  # in force on 1 January / 1 July
    FR_LEGAL_RATE = "fr_legal_rate"  # taux de l'intérêt légal, "autres cas"


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year(start: date) -> date:
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def parse_rate_entries(raw: Any, where: str) -> dict[date, Decimal]:
    """{half-year start: percent} from YAML-like data.

    Raises:
        ValueError: a date that does not start a half-year, or a rate that is not a number.
    """
    if not isinstance(raw, Mapping):
        raise ValueError(f'{where}: expected dates with their rates, e.g. 2026-01-01: "1.27"')
    entries: dict[date, Decimal] = {}
    for key, value in raw.items():
        try:
            day = key if isinstance(key, date) else date.fromisoformat(str(key))
        except ValueError:
            raise ValueError(f"{where}: {key!r} is not a date (YYYY-MM-DD)") from None
        if day.day != 1 or day.month not in (1, 7):
            raise ValueError(f"{where}: {day} does not start a half-year (1 January or 1 July)")
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueError(f"{where}.{day}: {value!r} is not a rate in percent")
        try:
            rate = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError(f"{where}.{day}: {value!r} is not a rate in percent") from None
        if not rate.is_finite() or abs(rate) > 100:
            raise ValueError(f"{where}.{day}: {value!r} is not a rate in percent")
        entries[day] = rate
    return entries


@dataclass(frozen=True)
class RateTable:
    """Percent per year, per series and half-year (keyed by the half-year's first day)."""

    series: Mapping[RateSeries, Mapping[date, Decimal]]

    def rate(self, series: RateSeries, day: date) -> Decimal | None:
        """The rate of `series` for the half-year holding `day`; None when unknown."""
        return self.series.get(series, {}).get(half_year_start(day))

    def with_overrides(self, overrides: Mapping[RateSeries, Mapping[date, Decimal]]) -> RateTable:
        """This table with `overrides` added (an override replaces a shipped half-year)."""
        merged = {s: dict(entries) for s, entries in self.series.items()}
        for series, entries in overrides.items():
            merged.setdefault(series, {}).update(entries)
        return RateTable(merged)

    def latest(self, series: RateSeries) -> date | None:
        entries = self.series.get(series)
        return max(entries) if entries else None

    def covered_until(self) -> date | None:
        """The last day every series has a rate for (the end of the earliest latest
        half-year), or None for an empty table."""
        ends = [next_half_year(max(e)) - timedelta(days=1) for e in self.series.values() if e]
        return min(ends) if ends else None


@cache
def shipped_rates() -> RateTable:
    """The rates in gateway/rules/reference_rates.yaml."""
    text = resources.files("gateway.rules").joinpath("reference_rates.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return RateTable(
        {
            RateSeries(name): parse_rate_entries(entries, f"reference_rates.yaml: {name}")
            for name, entries in data.items()
        }
    )
