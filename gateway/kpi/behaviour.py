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
from typing import TypeVarTuple

from sqlalchemy import Select, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from gateway.domain.cases import CaseState
from gateway.domain.money import currency_digits
from gateway.kpi.day_count import days_from_dates
from gateway.kpi.formulas import rounded
from gateway.kpi.payment_index import payment_index
from gateway.kpi.promise_book import promise_outcomes
from gateway.kpi.promises import PromiseStatus
from gateway.kpi.scorecard import DebtorFacts, RiskScore, score
from gateway.storage.models import CaseRow, DebtorScoreRow, OpenItemRow

__all__ = ["WINDOW_DAYS", "Behaviour", "debtor_behaviour", "refresh_scores"]

WINDOW_DAYS = 365
OLD_OVERDUE_DAYS = 90
_UNCOLLECTIBLE = (CaseState.CLOSED_UNCOLLECTIBLE.value, CaseState.CLOSED_PARTIALLY_PAID.value)

Debtor = tuple[str, str]  # (source, debtor number)
_Row = TypeVarTuple("_Row")


@dataclass(slots=True)
class _Acc:
    paid_items: int = 0
    weight: Fraction = Fraction(0)
    weighted_days: Fraction = Fraction(0)
    open_balance: Fraction = Fraction(0)
    overdue_90: Fraction = Fraction(0)
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


def _major(minor: int, currency: str) -> Fraction:
    return Fraction(minor, 10 ** currency_digits(currency))


def _scoped(debtor: Debtor | None, query: Select[*_Row]) -> Select[*_Row]:
    if debtor is None:
        return query
    i = OpenItemRow
    return query.where(i.source == debtor[0], i.debtor_number == debtor[1])


def _gather(
    session: Session, as_of: date, grace_days: int, debtor: Debtor | None
) -> dict[Debtor, _Acc]:
    dialect = session.get_bind().dialect.name
    since = as_of - timedelta(days=WINDOW_DAYS)
    i = OpenItemRow
    acc: dict[Debtor, _Acc] = defaultdict(_Acc)

    late = days_from_dates(dialect, i.net_due_date, i.cleared_on)
    paid = _scoped(
        debtor,
        select(
            i.source,
            i.debtor_number,
            i.currency,
            func.count(),
            func.sum(i.amount_minor),
            func.sum(i.amount_minor * late),
        )
        .where(
            i.is_open.is_(False),
            i.cleared_on > since,
            i.cleared_on <= as_of,
            i.amount_minor > 0,
        )
        .group_by(i.source, i.debtor_number, i.currency),
    )
    for source, number, currency, count, weight, weighted in session.execute(paid):
        a = acc[(source, number)]
        a.paid_items += int(count)
        a.weight += _major(int(weight or 0), currency)
        a.weighted_days += _major(int(weighted or 0), currency)

    old = as_of - timedelta(days=OLD_OVERDUE_DAYS)
    balance = _scoped(
        debtor,
        select(
            i.source,
            i.debtor_number,
            i.currency,
            func.sum(i.open_amount_minor),
            func.sum(case((i.net_due_date < old, i.open_amount_minor), else_=0)),
        )
        .where(i.is_open.is_(True), i.open_amount_minor > 0)
        .group_by(i.source, i.debtor_number, i.currency),
    )
    for source, number, currency, total, overdue in session.execute(balance):
        a = acc[(source, number)]
        a.open_balance += _major(int(total or 0), currency)
        a.overdue_90 += _major(int(overdue or 0), currency)

    # ERP promises: the item's promised day (plus grace) fell in the window and passed.
    deadline_floor = since - timedelta(days=grace_days)
    deadline_top = as_of - timedelta(days=grace_days + 1)  # deadline = promised + grace < as_of
    promised = i.payment_promised_until
    broken_erp = _scoped(
        debtor,
        select(i.source, i.debtor_number, func.count())
        .where(
            promised.is_not(None),
            promised > deadline_floor,
            promised <= deadline_top,
            or_(
                i.is_open.is_(True),
                and_(
                    i.cleared_on.is_not(None),
                    days_from_dates(dialect, promised, i.cleared_on) > grace_days,
                ),
            ),
        )
        .group_by(i.source, i.debtor_number),
    )
    for source, number, count in session.execute(broken_erp):
        acc[(source, number)].broken += int(count)

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
    wdl = a.weighted_days / a.weight if a.paid_items and a.weight > 0 else None
    facts = DebtorFacts(
        paid_items=a.paid_items,
        weighted_days_late=wdl,
        open_balance=a.open_balance,
        overdue_90=a.overdue_90,
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


def refresh_scores(session: Session, as_of: date, grace_days: int = 3) -> int:
    """Recompute and store the score of every debtor with items or cases; returns how many.
    Debtors with nothing left on record lose their stored score."""
    acc = _gather(session, as_of, grace_days, None)
    known = {
        (s, n): row_id
        for row_id, s, n in session.execute(
            select(DebtorScoreRow.id, DebtorScoreRow.source, DebtorScoreRow.debtor_number)
        )
    }
    gone = [row_id for key, row_id in known.items() if key not in acc]
    for start in range(0, len(gone), 500):
        session.execute(
            delete(DebtorScoreRow).where(DebtorScoreRow.id.in_(gone[start : start + 500]))
        )
    rows_new, rows_old = [], []
    for key, a in acc.items():
        b = _behaviour(key, a, as_of)
        values = {
            "source": key[0],
            "debtor_number": key[1],
            "computed_on": as_of,
            "risk_score": b.risk.score,
            "payment_index": b.payment_index,
            "weighted_days_late": "" if b.weighted_days_late is None else str(b.weighted_days_late),
            "delay_days": None
            if b.weighted_days_late is None
            else whole_days(b.facts.weighted_days_late),
            "paid_items": b.paid_items,
            "broken_promises": b.promises_broken,
            "points": json.dumps(
                [[ln.fact, ln.value, ln.band, ln.points] for ln in b.risk.lines],
                ensure_ascii=False,
            ),
        }
        if key in known:
            rows_old.append({"id": known[key], **values})
        else:
            rows_new.append(values)
    if rows_new:
        session.execute(insert(DebtorScoreRow), rows_new)
    if rows_old:
        session.execute(update(DebtorScoreRow), rows_old)
    return len(acc)
