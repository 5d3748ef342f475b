"""DSO (standard and count-back), best possible DSO, average days delinquent and CEI per company
code and currency, at a month end, from the history (receivables) and the sales feed.

The period is the `months` calendar months ending with the month of `period_end` (which must be
a month's last day). Receivables at a month end are those of the latest snapshot taken on or
within `MAX_SNAPSHOT_AGE` days before it; "current" receivables are the snapshot's bucket 0 (not
yet due on the day it was taken). Where an input is missing, the figure is not computed and
says which input and why.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.kpi import formulas
from gateway.kpi.formulas import Figure, MonthSales
from gateway.kpi.history import HistoryTotals, totals_on
from gateway.kpi.sales import monthly_sales
from gateway.storage.models import CreditSalesRow

__all__ = ["MAX_SNAPSHOT_AGE", "DsoLine", "DsoReport", "dso_report", "month_end", "months_back"]

MAX_SNAPSHOT_AGE = 7
COUNT_BACK_MONTHS = 24


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_back(last: date, count: int) -> list[date]:
    """The first days of `count` months ending with `last`'s month, newest first."""
    out, month = [], last.replace(day=1)
    for _ in range(count):
        out.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return out


def _days(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


@dataclass(slots=True)
class DsoLine:
    company_code: str
    currency: str
    receivables: int | None
    current: int | None
    opening: int | None
    sales: int | None
    snapshot_on: date | None
    figures: list[Figure] = field(default_factory=list)


@dataclass(slots=True)
class DsoReport:
    period_end: date
    months: int
    period: tuple[date, date]
    lines: list[DsoLine]
    problem: str = ""


def _receivables(
    found: HistoryTotals, day: date
) -> tuple[dict[tuple[str, str], tuple[int, int]], date | None, str]:
    """(company code, currency) → (total, current) on `day`, the snapshot day, a problem."""
    if found.problem:
        return {}, None, found.problem
    oldest = min(r.taken_on for r in found.snapshots)
    if (day - oldest).days > MAX_SNAPSHOT_AGE:
        return (
            {},
            oldest,
            f"the latest snapshot before {day.isoformat()} was taken on {oldest.isoformat()}, "
            f"more than {MAX_SNAPSHOT_AGE} days before",
        )
    out = {(g.key[0], g.currency): (g.total, g.current) for g in found.groups}
    return out, oldest, ""


def dso_report(
    session: Session,
    period_end: date,
    months: int = 3,
    company_code: str | None = None,
    currency: str | None = None,
) -> DsoReport:
    """Every figure for every company code and currency that has receivables or sales.

    Raises:
        ValueError: `period_end` is not the last day of a month, or `months` is not 1–12.
    """
    if period_end != month_end(period_end):
        raise ValueError(
            f"DSO is computed at a month end; {period_end.isoformat()} is not one "
            f"(e.g. {month_end(period_end).isoformat()})"
        )
    if not 1 <= months <= 12:
        raise ValueError(f"months must be 1 to 12, not {months}")
    period = months_back(period_end, months)
    start = period[-1]
    opening_day = start - timedelta(days=1)
    where = {k: v for k, v in (("company_code", company_code), ("currency", currency)) if v}
    by = ("company_code", "currency")
    closing, closing_on, closing_problem = _receivables(
        totals_on(session, period_end, by, where), period_end
    )
    opening, _, opening_problem = _receivables(
        totals_on(session, opening_day, by, where), opening_day
    )
    sales = monthly_sales(session, company_code, currency)
    has_feed = session.scalar(select(func.count()).select_from(CreditSalesRow)) or 0
    report = DsoReport(period_end, months, (start, period_end), [])
    keys = sorted(set(closing) | set(sales))
    if not keys:
        reasons = [closing_problem or "no receivables on record"]
        if not has_feed:
            reasons.append("no credit sales feed is configured (`sales:` in the configuration)")
        report.problem = "; ".join(reasons)
    for key in keys:
        code, cur = key
        # A snapshot that has no open item of a company code and currency says they were 0.
        total, current = (None, None) if closing_problem else closing.get(key, (0, 0))
        opening_total = None if opening_problem else opening.get(key, (0, 0))[0]
        month_sales = sales.get(key, {})
        missing = [m for m in period if m not in month_sales]
        line = DsoLine(
            code,
            cur,
            total,
            current,
            opening_total,
            None if missing else sum(month_sales[m] for m in period),
            closing_on,
        )
        if not has_feed:
            no_sales = "no credit sales feed is configured (`sales:` in the configuration)"
        elif missing:
            shown = ", ".join(f"{m:%Y-%m}" for m in sorted(missing))
            no_sales = f"no credit sales for {shown} ({code}, {cur})"
        else:
            no_sales = ""
        line.figures = _figures(
            line,
            [MonthSales(month_sales[m], _days(m)) for m in period] if not no_sales else [],
            _count_back_months(month_sales, period_end),
            no_sales,
            closing_problem,
            opening_problem,
        )
        report.lines.append(line)
    return report


def _count_back_months(by_month: dict[date, int], period_end: date) -> list[MonthSales]:
    """Months of sales newest first from the period end, up to the first month missing."""
    out = []
    for month in months_back(period_end, COUNT_BACK_MONTHS):
        if month not in by_month:
            break
        out.append(MonthSales(by_month[month], _days(month)))
    return out


def _not(name: str, unit: str, formula: str, reason: str) -> Figure:
    return Figure(name, None, unit, formula, reason)


def _figures(
    line: DsoLine,
    months: list[MonthSales],
    count_back: list[MonthSales],
    no_sales: str,
    ar_problem: str,
    opening_problem: str,
) -> list[Figure]:
    f = formulas
    if ar_problem or no_sales or line.receivables is None or line.current is None:
        reason = ar_problem or no_sales
        out = [
            _not("dso", "days", f.STANDARD_DSO, reason),
            _not("count_back_dso", "days", f.COUNT_BACK_DSO, reason),
            _not("best_possible_dso", "days", f.BEST_POSSIBLE_DSO, reason),
            _not("average_days_delinquent", "days", f.ADD, reason),
            _not("cei", "%", f.CEI, reason),
        ]
        if not ar_problem and count_back and line.receivables is not None:
            out[1] = f.count_back_dso(line.receivables, count_back)
        return out
    cei = (
        f.cei(line.opening, line.sales, line.receivables, line.current)
        if line.opening is not None and line.sales is not None
        else _not("cei", "%", f.CEI, opening_problem or "no receivables at the period's start")
    )
    return [
        f.standard_dso(line.receivables, months),
        f.count_back_dso(line.receivables, count_back),
        f.best_possible_dso(line.current, months),
        f.average_days_delinquent(line.receivables, line.current, months),
        cei,
    ]
