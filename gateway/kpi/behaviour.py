"""Payment behaviour per debtor, and the risk score computed from it.

Facts, over the 12 months before the day of the computation (`as_of`):

- **paid items**: debit items cleared in the window; each is *days late* = clearing date − net
  due date (negative: early). The clearing date is the ERP's when the source reports it, else
  the day of the first snapshot that no longer had the item.
- **weighted days late** = Σ (amount × days late) ÷ Σ amount over the paid items (amounts in
  major units of their currency);
- **payment index**: gateway.kpi.payment_index of the weighted days late;
- **broken promises**: agency promises (gateway.kpi.promises) and ERP promises (an item's
  `payment_promised_until`, broken when the item was still open, or cleared later, after that
  day plus the grace days) whose deadline fell in the window;
- **open balance** and its part more than 90 days past due; **cases returned uncollectible**.

`refresh_scores` stores every debtor's score (table debtor_scores) so that a policy can select
on it in SQL; `debtor_behaviour` computes one debtor's facts and score on demand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from gateway.domain.cases import CaseState
from gateway.domain.money import currency_digits
from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.day_count import days_from_dates
from gateway.kpi.formulas import rounded
from gateway.kpi.payment_index import payment_index
from gateway.kpi.promise_book import promise_outcomes
from gateway.kpi.promises import PromiseStatus
from gateway.kpi.scorecard import DebtorFacts, RiskScore, score
from gateway.storage.models import CaseRow, DebtorAgeingRow, DebtorScoreRow, OpenItemRow

__all__ = ["WINDOW_DAYS", "Behaviour", "debtor_behaviour", "refresh_scores"]

WINDOW_DAYS = 365
OLD_OVERDUE_DAYS = 90
_UNCOLLECTIBLE = (CaseState.CLOSED_UNCOLLECTIBLE.value, CaseState.CLOSED_PARTIALLY_PAID.value)

Debtor = tuple[str, str]  # (source, debtor number)
_Row = TypeVarTuple("_Row")


# Amounts of every currency are added in units of 10^-SCALE of their major unit, as integers
# (no currency has more than 4 minor digits): exact, and cheap for thousands of debtors.
SCALE = 4


@dataclass(slots=True)
class _Acc:
    paid_items: int = 0
    weight: int = 0  # scaled amounts
    weighted_days: int = 0
    open_balance: int = 0
    overdue_90: int = 0
    broken: int = 0
    kept: int = 0
    uncollectible: int = 0


@dataclass(slots=True)
class Behaviour:
    """A debtor's payment behaviour on a day, and its risk score with every line."""

    source: str
    debtor_number: str
    as_of: date
    paid_items: int
    weighted_days_late: Decimal | None
    payment_index: int | None
    promises_kept: int
    promises_broken: int
    uncollectible_cases: int
    risk: RiskScore
    facts: DebtorFacts = field(repr=False)


def _scaled(minor: int, currency: str) -> int:
    return minor * int(10 ** (SCALE - currency_digits(currency)))


def _scoped(debtor: Debtor | None, query: Select[*_Row]) -> Select[*_Row]:
    if debtor is None:
        return query
    i = OpenItemRow
    return query.where(i.source == debtor[0], i.debtor_number == debtor[1])


AgeingKey = tuple[str, str, str]  # (source, debtor number, currency)


def _gather(
    session: Session,
    as_of: date,
    grace_days: int,
    debtor: Debtor | None,
    ageing: dict[AgeingKey, tuple[int, list[int]]] | None = None,
    buckets: AgeingBuckets | None = None,
) -> dict[Debtor, _Acc]:
    """Each debtor's facts; with `ageing` and `buckets`, also fills `ageing` with each
    debtor's open items per currency: (count, amount per bucket), from the same pass."""
    dialect = session.get_bind().dialect.name
    since = as_of - timedelta(days=WINDOW_DAYS)
    i = OpenItemRow
    acc: dict[Debtor, _Acc] = defaultdict(_Acc)

    # One pass over the items: paid in the window, open, and ERP promises broken (the item's
    # promised day plus the grace days fell in the window and passed without the money).
    late = days_from_dates(dialect, i.net_due_date, i.cleared_on)
    paid = and_(
        i.is_open.is_(False), i.cleared_on > since, i.cleared_on <= as_of, i.amount_minor > 0
    )
    still_open = and_(i.is_open.is_(True), i.open_amount_minor > 0)
    old = as_of - timedelta(days=OLD_OVERDUE_DAYS)
    promised = i.payment_promised_until
    broken = and_(
        promised.is_not(None),
        promised > since - timedelta(days=grace_days),
        promised <= as_of - timedelta(days=grace_days + 1),  # promised + grace < as_of
        or_(
            i.is_open.is_(True),
            and_(
                i.cleared_on.is_not(None),
                days_from_dates(dialect, promised, i.cleared_on) > grace_days,
            ),
        ),
    )

    def total(condition: Any, value: Any) -> Any:
        return func.sum(case((condition, value), else_=0))

    is_open = i.is_open.is_(True)
    aged: list[Any] = []
    if ageing is not None and buckets is not None:
        bounds = buckets.due_date_bounds(as_of)
        due = i.net_due_date
        tests = [due >= bounds[0]]
        tests += [and_(due < bounds[k - 1], due >= bounds[k]) for k in range(1, len(bounds))]
        tests.append(due < bounds[-1])
        aged = [total(is_open, 1)] + [total(and_(is_open, t), i.open_amount_minor) for t in tests]
    facts = _scoped(
        debtor,
        select(
            i.source,
            i.debtor_number,
            i.currency,
            total(paid, 1),
            total(paid, i.amount_minor),
            total(paid, i.amount_minor * late),
            total(still_open, i.open_amount_minor),
            total(and_(still_open, i.net_due_date < old), i.open_amount_minor),
            total(broken, 1),
            *aged,
        )
        .where(or_(paid, is_open, broken))
        .group_by(i.source, i.debtor_number, i.currency),
    )
    for row in session.execute(facts):
        source, number, currency, count, weight, weighted, owed, old_owed, n = row[:9]
        if aged and ageing is not None and row[9]:
            ageing[(source, number, currency)] = (int(row[9]), [int(v or 0) for v in row[10:]])
        a = acc[(source, number)]
        a.paid_items += int(count or 0)
        a.weight += _scaled(int(weight or 0), currency)
        a.weighted_days += _scaled(int(weighted or 0), currency)
        a.open_balance += _scaled(int(owed or 0), currency)
        a.overdue_90 += _scaled(int(old_owed or 0), currency)
        a.broken += int(n or 0)

    for found in promise_outcomes(session, as_of, grace_days, debtor=debtor):
        outcome = found.outcome
        deadline = outcome.promise.due_on + timedelta(days=grace_days)
        if deadline <= since:
            continue
        a = acc[(found.source, found.debtor_number)]
        if outcome.status is PromiseStatus.BROKEN:
            a.broken += 1
        elif outcome.status is PromiseStatus.KEPT:
            a.kept += 1

    c = CaseRow
    lost = select(c.source, c.debtor_number, func.count()).where(
        c.state.in_(_UNCOLLECTIBLE), c.written_off_minor > 0
    )
    if debtor is not None:
        lost = lost.where(c.source == debtor[0], c.debtor_number == debtor[1])
    for source, number, count in session.execute(lost.group_by(c.source, c.debtor_number)):
        acc[(source, number)].uncollectible += int(count)
    return acc


def whole_days(wdl: Fraction | None) -> int | None:
    """Weighted days late rounded half up (away from zero) to whole days."""
    if wdl is None:
        return None
    half = Fraction(1, 2)
    return int(wdl + half) if wdl >= 0 else -int(-wdl + half)


def _behaviour(key: Debtor, a: _Acc, as_of: date) -> Behaviour:
    wdl = Fraction(a.weighted_days, a.weight) if a.paid_items and a.weight > 0 else None
    unit = 10**SCALE
    facts = DebtorFacts(
        paid_items=a.paid_items,
        weighted_days_late=wdl,
        open_balance=Fraction(a.open_balance, unit),
        overdue_90=Fraction(a.overdue_90, unit),
        broken_promises=a.broken,
        uncollectible_cases=a.uncollectible,
    )
    return Behaviour(
        source=key[0],
        debtor_number=key[1],
        as_of=as_of,
        paid_items=a.paid_items,
        weighted_days_late=None if wdl is None else rounded(wdl),
        payment_index=None if wdl is None else payment_index(wdl),
        promises_kept=a.kept,
        promises_broken=a.broken,
        uncollectible_cases=a.uncollectible,
        risk=score(facts),
        facts=facts,
    )


def debtor_behaviour(
    session: Session, source: str, debtor_number: str, as_of: date, grace_days: int = 3
) -> Behaviour:
    """One debtor's behaviour and score on `as_of` (a debtor without any fact scores as one
    without payment history)."""
    acc = _gather(session, as_of, grace_days, (source, debtor_number))
    key = (source, debtor_number)
    return _behaviour(key, acc.get(key, _Acc()), as_of)


def refresh_scores(
    session: Session,
    as_of: date,
    grace_days: int = 3,
    buckets: AgeingBuckets | None = None,
) -> int:
    """Recompute and store the score of every debtor with items or cases, and each debtor's
    aged balance (cut at `buckets`); returns how many debtors were scored. Debtors with
    nothing left on record lose their stored score."""
    buckets = buckets or AgeingBuckets()
    ageing: dict[AgeingKey, tuple[int, list[int]]] = {}
    acc = _gather(session, as_of, grace_days, None, ageing, buckets)
    session.execute(delete(DebtorAgeingRow))
    aged_rows = [
        {
            "source": source,
            "debtor_number": number,
            "currency": currency,
            "computed_on": as_of,
            "bucket_edges": buckets.text,
            "items": count,
            "overdue_minor": sum(amounts[1:]),
            "buckets": json.dumps(amounts),
        }
        for (source, number, currency), (count, amounts) in ageing.items()
    ]
    for start in range(0, len(aged_rows), 5_000):
        session.execute(insert(DebtorAgeingRow), aged_rows[start : start + 5_000])
    # Every score is recomputed: the table is replaced within the caller's transaction (readers
    # see the previous scores until it commits).
    session.execute(delete(DebtorScoreRow))
    rows = []
    for key, a in acc.items():
        b = _behaviour(key, a, as_of)
        values = {
            "source": key[0],
            "debtor_number": key[1],
            "computed_on": as_of,
            "risk_score": b.risk.score,
            "payment_index": b.payment_index,
            "weighted_days_late": "" if b.weighted_days_late is None else str(b.weighted_days_late),
            "delay_days": whole_days(b.facts.weighted_days_late),
            "paid_items": b.paid_items,
            "broken_promises": b.promises_broken,
            "points": json.dumps(
                [[ln.fact, ln.value, ln.band, ln.points] for ln in b.risk.lines],
                ensure_ascii=False,
            ),
        }
        rows.append(values)
    for start in range(0, len(rows), 5_000):
        session.execute(insert(DebtorScoreRow), rows[start : start + 5_000])
    return len(acc)
