"""The receivables formulas, exact: amounts are integers (minor units of one currency), days are
whole days, and each result is computed as a fraction and rounded once, half up, at the end.

Every function returns a `Figure`: the value, or None and the reason it cannot be computed,
never a made-up zero. docs/kpis.md gives each definition with a worked example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

__all__ = [
    "Figure",
    "MonthSales",
    "average_days_delinquent",
    "best_possible_dso",
    "cei",
    "count_back_dso",
    "rounded",
    "standard_dso",
]


@dataclass(frozen=True, slots=True)
class Figure:
    """A KPI value (`value` None when it cannot be computed, then `reason` says why)."""

    name: str
    value: Decimal | None
    unit: str
    formula: str
    reason: str = ""

    @property
    def computed(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class MonthSales:
    """Credit sales of one period (minor units) and its length in days."""

    sales: int
    days: int


def rounded(value: Fraction, places: int = 1) -> Decimal:
    """`value` rounded half up to `places` decimals, computed without floats."""
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    # 28 significant digits are enough for any receivable we store (BigInteger minor units);
    # the quantize below rounds the one time.
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


STANDARD_DSO = "receivables at period end ÷ credit sales of the period × days in the period"
COUNT_BACK_DSO = (
    "walk back month by month from the period end: while the receivables left exceed the "
    "month's credit sales, subtract them and add the month's days; then add the part of the "
    "month the rest covers (rest ÷ month's sales × month's days)"
)
BEST_POSSIBLE_DSO = (
    "current (not yet due) receivables at period end ÷ credit sales of the period × days "
    "in the period"
)
ADD = "standard DSO − best possible DSO"
CEI = (
    "(opening receivables + credit sales − closing total receivables) ÷ "
    "(opening receivables + credit sales − closing current receivables) × 100"
)


def standard_dso(receivables: int, months: Sequence[MonthSales]) -> Figure:
    sales = sum(m.sales for m in months)
    days = sum(m.days for m in months)
    if not months:
        return Figure("dso", None, "days", STANDARD_DSO, "no credit sales for the period")
    if sales <= 0:
        return Figure("dso", None, "days", STANDARD_DSO, "credit sales of the period are zero")
    return Figure("dso", rounded(Fraction(receivables * days, sales)), "days", STANDARD_DSO)


def best_possible_dso(current: int, months: Sequence[MonthSales]) -> Figure:
    figure = standard_dso(current, months)
    return Figure("best_possible_dso", figure.value, "days", BEST_POSSIBLE_DSO, figure.reason)


def average_days_delinquent(receivables: int, current: int, months: Sequence[MonthSales]) -> Figure:
    """Standard DSO less best possible DSO, computed from the unrounded fractions."""
    sales = sum(m.sales for m in months)
    days = sum(m.days for m in months)
    if not months or sales <= 0:
        reason = "no credit sales for the period" if not months else "credit sales are zero"
        return Figure("average_days_delinquent", None, "days", ADD, reason)
    value = Fraction((receivables - current) * days, sales)
    return Figure("average_days_delinquent", rounded(value), "days", ADD)


def count_back_dso(receivables: int, newest_first: Sequence[MonthSales]) -> Figure:
    """Count-back DSO over months given newest first.

    Raises nothing: when the receivables exceed all the months' sales, the figure cannot be
    computed from the months given (more history is needed) and says so.
    """
    if not newest_first:
        return Figure("count_back_dso", None, "days", COUNT_BACK_DSO, "no credit sales")
    if receivables <= 0:
        return Figure("count_back_dso", Decimal("0.0"), "days", COUNT_BACK_DSO)
    left, days = receivables, Fraction(0)
    for month in newest_first:
        if month.sales <= 0:
            days += month.days  # a month without sales is passed over whole
            continue
        if left > month.sales:
            left -= month.sales
            days += month.days
            continue
        days += Fraction(left * month.days, month.sales)
        return Figure("count_back_dso", rounded(days), "days", COUNT_BACK_DSO)
    return Figure(
        "count_back_dso",
        None,
        "days",
        COUNT_BACK_DSO,
        f"the receivables exceed the credit sales of the {len(newest_first)} month(s) on record: "
        "more months of sales are needed",
    )


def cei(opening: int, sales: int, closing_total: int, closing_current: int) -> Figure:
    """Collection Effectiveness Index, the usual (Dun & Bradstreet style) variant; see CEI."""
    collectible = opening + sales - closing_current
    if collectible <= 0:
        return Figure(
            "cei",
            None,
            "%",
            CEI,
            "nothing was collectible in the period (opening + sales − closing current ≤ 0)",
        )
    collected = opening + sales - closing_total
    return Figure("cei", rounded(Fraction(collected * 100, collectible)), "%", CEI)
