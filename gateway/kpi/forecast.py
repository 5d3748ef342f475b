"""The cash forecast: collections expected per week for 13 weeks, per currency.

Weeks run Monday to Sunday; week 1 is the week of `as_of` (from `as_of` on). Two streams:

1. **Agency promises and payment plans** still pending (gateway.kpi.promises): the amount still
   to come, on the promised day (a day already passed but within the grace days: `as_of`),
   multiplied by the share of promises kept before: the debtor's own if it has resolved
   promises, else the agency's, else 100 %. Each expected amount is rounded half up to the
   minor unit.
2. **Open items** (debits, not disputed, not at an agency): the open amount, on the net due date
   plus the debtor's delay (its weighted days late rounded to whole days, from the stored
   scores; a debtor without payment history gets the portfolio's delay). An expected day
   already passed counts on `as_of` if it passed less than `STALE_DAYS` ago; older ones are
   not forecast (they are a matter for collection, not for the cash plan).

What is not forecast is totalled per currency with its reason: items at an agency without a
pending promise, items past their expected day by more than STALE_DAYS, disputed items, and
what falls after the 13th week.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import ColumnElement, Date, Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session

from gateway.domain.cases import AT_AGENCY
from gateway.kpi.behaviour import whole_days
from gateway.kpi.promise_book import promise_outcomes
from gateway.kpi.promises import PromiseStatus
from gateway.storage.models import CaseItemRow, CaseRow, DebtorScoreRow, OpenItemRow

__all__ = ["STALE_DAYS", "WEEKS", "CashForecast", "ForecastWeek", "cash_forecast"]

WEEKS = 13
STALE_DAYS = 30
_AT_AGENCY = tuple(sorted(s.value for s in AT_AGENCY))


@dataclass(slots=True)
class ForecastWeek:
    number: int
    start: date
    end: date
    promises: dict[str, int] = field(default_factory=dict)  # currency → minor units
    items: dict[str, int] = field(default_factory=dict)

    def total(self, currency: str) -> int:
        return self.promises.get(currency, 0) + self.items.get(currency, 0)


@dataclass(slots=True)
class CashForecast:
    as_of: date
    weeks: list[ForecastWeek]
    portfolio_delay_days: int | None
    not_forecast: dict[str, dict[str, int]] = field(default_factory=dict)  # reason → cur → sum
    notes: list[str] = field(default_factory=list)

    @property
    def currencies(self) -> list[str]:
        found = {c for w in self.weeks for c in (*w.promises, *w.items)}
        return sorted(found | {c for r in self.not_forecast.values() for c in r})


def _weeks(as_of: date) -> list[ForecastWeek]:
    monday = as_of - timedelta(days=as_of.weekday())
    return [
        ForecastWeek(
            n + 1, max(as_of, monday + timedelta(weeks=n)), monday + timedelta(weeks=n, days=6)
        )
        for n in range(WEEKS)
    ]


def _week_of(weeks: list[ForecastWeek], day: date) -> ForecastWeek | None:
    index = (day - weeks[0].end).days
    if day <= weeks[0].end:
        return weeks[0]
    number = (index - 1) // 7 + 1
    return weeks[number] if number < len(weeks) else None


def cash_forecast(session: Session, as_of: date, grace_days: int = 3) -> CashForecast:
    weeks = _weeks(as_of)
    portfolio = _portfolio_delay(session)
    result = CashForecast(as_of, weeks, portfolio)
    missing: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    # 1. Pending agency promises, weighted by how often promises were kept before.
    outcomes = promise_outcomes(session, as_of, grace_days)
    kept_by_debtor: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    kept_by_agency: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for found in outcomes:
        status = found.outcome.status
        if status is PromiseStatus.PENDING:
            continue
        hit = 1 if status is PromiseStatus.KEPT else 0
        for tally in (
            kept_by_debtor[(found.source, found.debtor_number)],
            kept_by_agency[found.agency],
        ):
            tally[0] += hit
            tally[1] += 1
    for found in outcomes:
        outcome = found.outcome
        if outcome.status is not PromiseStatus.PENDING:
            continue
        rate = _kept_rate(
            kept_by_debtor.get((found.source, found.debtor_number)),
            kept_by_agency.get(found.agency),
        )
        expected = _half_up(outcome.remaining * rate)
        day = max(outcome.promise.due_on, as_of)
        week = _week_of(weeks, day)
        if week is None:
            missing["after the 13th week"][found.currency] += expected
        else:
            week.promises[found.currency] = week.promises.get(found.currency, 0) + expected

    # 2. Open items by net due date plus the debtor's delay, summed per week in SQL.
    _items(session, as_of, weeks, portfolio, missing)
    result.not_forecast = {reason: dict(v) for reason, v in missing.items()}
    if portfolio is None:
        result.notes.append(
            "no debtor has payment history yet: open items are expected on their due date"
        )
    stale = session.scalar(select(func.min(DebtorScoreRow.computed_on)))
    if stale is not None and stale < as_of:
        result.notes.append(
            f"payment behaviour as computed on {stale.isoformat()} (refreshed at each extraction)"
        )
    return result


def _kept_rate(debtor: list[int] | None, agency: list[int] | None) -> Fraction:
    """Kept ÷ resolved promises: the debtor's, else the agency's, else 1."""
    for tally in (debtor, agency):
        if tally and tally[1]:
            return Fraction(tally[0], tally[1])
    return Fraction(1)


def _half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2))


def _portfolio_delay(session: Session) -> int | None:
    """The delay of the whole portfolio: Σ (paid × weighted days late) ÷ Σ paid over the
    stored scores, weighting each debtor by its number of paid items."""
    rows = session.execute(
        select(DebtorScoreRow.weighted_days_late, DebtorScoreRow.paid_items).where(
            DebtorScoreRow.weighted_days_late != "", DebtorScoreRow.paid_items > 0
        )
    ).all()
    if not rows:
        return None
    total = sum((Fraction(Decimal(w)) * n for w, n in rows), Fraction(0))
    count = sum(n for _, n in rows)
    return whole_days(total / count)


def _items(
    session: Session,
    as_of: date,
    weeks: list[ForecastWeek],
    portfolio: int | None,
    missing: dict[str, dict[str, int]],
) -> None:
    dialect = session.get_bind().dialect.name
    i, s = OpenItemRow, DebtorScoreRow
    delay = func.coalesce(s.delay_days, literal(portfolio or 0, Integer))
    expected: ColumnElement[date] = (
        func.date(i.net_due_date, func.printf("%+d days", delay), type_=Date)
        if dialect == "sqlite"
        else cast(i.net_due_date + delay, Date)
    )
    at_agency = (
        select(CaseItemRow.item_id.label("item_id"))
        .join(CaseRow, CaseRow.id == CaseItemRow.case_id)
        .where(CaseRow.state.in_(_AT_AGENCY))
        .distinct()
        .subquery("at_agency")
    )
    stale_before = as_of - timedelta(days=STALE_DAYS)
    # Slot: -3 at an agency, -2 disputed, -1 stale, 0..12 a week, 13 after the horizon.
    slot = case(
        (at_agency.c.item_id.is_not(None), literal(-3)),
        (i.disputed.is_(True), literal(-2)),
        (expected < stale_before, literal(-1)),
        *((expected <= w.end, literal(n)) for n, w in enumerate(weeks)),
        else_=literal(WEEKS),
    ).label("slot")
    query = (
        select(i.currency, slot, func.sum(i.open_amount_minor))
        .select_from(i)
        .outerjoin(s, (s.source == i.source) & (s.debtor_number == i.debtor_number))
        .outerjoin(at_agency, at_agency.c.item_id == i.id)
        .where(i.is_open.is_(True), i.open_amount_minor > 0)
        .group_by(i.currency, slot)
    )
    reasons = {
        -3: "at an agency (expected only through the agency's promises)",
        -2: "disputed",
        -1: f"more than {STALE_DAYS} days past the expected day",
        WEEKS: "after the 13th week",
    }
    for currency, number, amount in session.execute(query):
        amount = int(amount or 0)
        if number in reasons:
            missing[reasons[number]][currency] += amount
        else:
            week = weeks[number]
            week.items[currency] = week.items.get(currency, 0) + amount
