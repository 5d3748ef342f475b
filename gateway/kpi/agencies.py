"""Agency performance, per agency and currency (and per handover month, the cohort):

- cases at the agency now by time since the handover (count and outstanding amount);
- recovery rate = principal the agency collected ÷ principal handed over; beside it, what was
  recovered in all (agency + paid directly to the creditor) ÷ handed over;
- average days from the handover to the first agency payment (cases with one), and to the
  close (closed cases);
- commission share = commission ÷ what the agency collected (principal, interest and fees);
- cases returned uncollectible (closed uncollectible or partially paid with a write-off), and
  the amount written off.

Only cases that were handed over (submitted) count. Days are whole calendar days (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import and_, case, extract, func, literal, select
from sqlalchemy.orm import Session

from gateway.domain.cases import AT_AGENCY, TERMINAL, CaseState
from gateway.domain.events import EventKind
from gateway.kpi.day_count import days_between
from gateway.kpi.formulas import rounded
from gateway.storage.models import CaseEventRow, CaseRow

__all__ = ["AGE_EDGES", "AgencyLine", "agency_performance"]

AGE_EDGES = (30, 90, 180, 365)  # days since the handover: 0-30, 31-90, 91-180, 181-365, >365
_AT_AGENCY = tuple(sorted(s.value for s in AT_AGENCY))
_TERMINAL = tuple(sorted(s.value for s in TERMINAL))
_UNCOLLECTIBLE = (CaseState.CLOSED_UNCOLLECTIBLE.value, CaseState.CLOSED_PARTIALLY_PAID.value)


def age_labels() -> list[str]:
    labels, low = [], 0
    for edge in AGE_EDGES:
        labels.append(f"{low}-{edge}")
        low = edge + 1
    return [*labels, f">{AGE_EDGES[-1]}"]


def _ratio(numerator: int, denominator: int, scale: int = 100) -> Decimal | None:
    return rounded(Fraction(numerator * scale, denominator)) if denominator > 0 else None


@dataclass(slots=True)
class AgencyLine:
    """One agency and currency, over all its cases or those of one handover month."""

    agency: str
    currency: str
    cohort: date | None  # first day of the handover month; None: all months
    cases: int = 0
    handed_over: int = 0
    collected_principal: int = 0
    collected_other: int = 0  # interest and fees
    commission: int = 0
    paid_directly: int = 0
    written_off: int = 0
    uncollectible_cases: int = 0
    closed_cases: int = 0
    days_to_close_sum: int = 0
    paying_cases: int = 0
    days_to_first_payment_sum: int = 0
    open_by_age: list[tuple[int, int]] = field(default_factory=list)  # (cases, outstanding)

    @property
    def recovery_rate(self) -> Decimal | None:
        """Collected principal ÷ handed-over principal, in percent."""
        return _ratio(self.collected_principal, self.handed_over)

    @property
    def recovered_rate(self) -> Decimal | None:
        """(Collected principal + paid directly) ÷ handed over, in percent."""
        return _ratio(self.collected_principal + self.paid_directly, self.handed_over)

    @property
    def commission_share(self) -> Decimal | None:
        return _ratio(self.commission, self.collected_principal + self.collected_other)

    @property
    def average_days_to_close(self) -> Decimal | None:
        return _ratio(self.days_to_close_sum, self.closed_cases, 1)

    @property
    def average_days_to_first_payment(self) -> Decimal | None:
        return _ratio(self.days_to_first_payment_sum, self.paying_cases, 1)


def agency_performance(
    session: Session,
    as_of: date,
    by_cohort: bool = False,
    agency: str | None = None,
) -> list[AgencyLine]:
    """Every agency and currency that has handed-over cases (per handover month if
    `by_cohort`), counted on `as_of`."""
    dialect = session.get_bind().dialect.name
    c = CaseRow
    first_payment = (
        select(CaseEventRow.case_id, func.min(CaseEventRow.occurred_at).label("first"))
        .where(CaseEventRow.kind == EventKind.PAYMENT.value)
        .group_by(CaseEventRow.case_id)
        .subquery("first_payment")
    )
    cohort = (
        [extract("year", c.submitted_at).label("y"), extract("month", c.submitted_at).label("m")]
        if by_cohort
        else [literal(0).label("y"), literal(0).label("m")]
    )
    terminal = c.state.in_(_TERMINAL)
    uncollectible = and_(c.state.in_(_UNCOLLECTIBLE), c.written_off_minor > 0)
    to_close = days_between(dialect, c.submitted_at, c.state_since)
    to_pay = days_between(dialect, c.submitted_at, first_payment.c.first)
    query = (
        select(
            c.agency,
            c.currency,
            *cohort,
            func.count(),
            func.sum(c.handed_over_minor),
            func.sum(c.collected_principal_minor),
            func.sum(c.collected_interest_minor + c.collected_fees_minor),
            func.sum(c.commission_minor),
            func.sum(c.paid_directly_minor),
            func.sum(c.written_off_minor),
            func.sum(case((uncollectible, 1), else_=0)),
            func.sum(case((terminal, 1), else_=0)),
            func.sum(case((terminal, to_close), else_=0)),
            func.count(first_payment.c.first),
            func.sum(case((first_payment.c.first.is_not(None), to_pay), else_=0)),
        )
        .outerjoin(first_payment, first_payment.c.case_id == c.id)
        .where(c.submitted_at.is_not(None))
        .group_by(c.agency, c.currency, *cohort)
    )
    if agency:
        query = query.where(c.agency == agency)
    lines: dict[tuple[str, str, date | None], AgencyLine] = {}
    for row in session.execute(query):
        name, currency, year, month, *n = row
        cohort_day = date(int(year), int(month), 1) if by_cohort else None
        counts = [int(v or 0) for v in n]
        line = AgencyLine(name, currency, cohort_day)
        (
            line.cases,
            line.handed_over,
            line.collected_principal,
            line.collected_other,
            line.commission,
            line.paid_directly,
            line.written_off,
            line.uncollectible_cases,
            line.closed_cases,
            line.days_to_close_sum,
            line.paying_cases,
            line.days_to_first_payment_sum,
        ) = counts
        lines[(name, currency, cohort_day)] = line
    for key, ages in _open_by_age(session, as_of, by_cohort, agency).items():
        if key in lines:
            lines[key].open_by_age = ages
    return sorted(lines.values(), key=lambda x: (x.agency, x.currency, x.cohort or date.min))


def _open_by_age(
    session: Session, as_of: date, by_cohort: bool, agency: str | None
) -> dict[tuple[str, str, date | None], list[tuple[int, int]]]:
    c = CaseRow
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(0), UTC)
    # A case handed over on or after `bound` (an instant) is at most `edge` days old on as_of.
    bounds = [end_of_day - timedelta(days=edge + 1) for edge in AGE_EDGES]
    age = case(
        *((c.submitted_at >= bound, literal(i)) for i, bound in enumerate(bounds)),
        else_=literal(len(bounds)),
    ).label("age")
    cohort = (
        [extract("year", c.submitted_at).label("y"), extract("month", c.submitted_at).label("m")]
        if by_cohort
        else [literal(0).label("y"), literal(0).label("m")]
    )
    outstanding = (
        c.handed_over_minor
        - c.collected_principal_minor
        - c.paid_directly_minor
        - c.written_off_minor
    )
    query = (
        select(c.agency, c.currency, *cohort, age, func.count(), func.sum(outstanding))
        .where(c.state.in_(_AT_AGENCY), c.submitted_at.is_not(None))
        .group_by(c.agency, c.currency, *cohort, age)
    )
    if agency:
        query = query.where(c.agency == agency)
    out: dict[tuple[str, str, date | None], list[tuple[int, int]]] = {}
    for row in session.execute(query):
        name, currency, year, month, bucket, count, amount = tuple(row)
        key = (name, currency, date(int(year), int(month), 1) if by_cohort else None)
        ages = out.setdefault(key, [(0, 0)] * (len(AGE_EDGES) + 1))
        ages[bucket] = (int(count), int(amount or 0))
    return out
