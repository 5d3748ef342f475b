"""The promises to pay on record and how each turned out (gateway.kpi.promises judges them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.events import EventKind
from gateway.kpi.promises import Paid, Promise, PromiseOutcome, judge
from gateway.storage.models import CaseEventRow, CaseRow

__all__ = ["CasePromise", "promise_outcomes"]

_MONEY = {
    EventKind.PAYMENT.value: 1,
    EventKind.PAYMENT_REVERSAL.value: -1,
    EventKind.DIRECT_PAYMENT.value: 1,
}


@dataclass(frozen=True, slots=True)
class CasePromise:
    case_id: int
    reference: str
    agency: str
    source: str
    debtor_number: str
    currency: str
    outcome: PromiseOutcome


def promise_outcomes(
    session: Session,
    as_of: date,
    grace_days: int,
    *,
    debtor: tuple[str, str] | None = None,
    agency: str | None = None,
    case_ids: Sequence[int] | None = None,
) -> list[CasePromise]:
    """Every agency promise (of a debtor, an agency or some cases) judged on `as_of`."""
    e, c = CaseEventRow, CaseRow
    query = (
        select(e.id, e.case_id, e.occurred_at, e.due_on, e.amount_minor)
        .join(c, c.id == e.case_id)
        .where(e.kind == EventKind.PROMISE.value, e.due_on.is_not(None))
    )
    if debtor is not None:
        query = query.where(c.source == debtor[0], c.debtor_number == debtor[1])
    if agency is not None:
        query = query.where(c.agency == agency)
    if case_ids is not None:
        query = query.where(e.case_id.in_(case_ids))
    promises: dict[int, list[Promise]] = defaultdict(list)
    for event_id, case_id, occurred_at, due_on, amount in session.execute(query):
        if due_on is not None:
            promises[case_id].append(Promise(event_id, occurred_at.date(), due_on, int(amount)))
    if not promises:
        return []
    ids = sorted(promises)
    payments: dict[int, list[Paid]] = defaultdict(list)
    cases: dict[int, tuple[str, str, str, str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        money = select(e.case_id, e.kind, e.occurred_at, e.amount_minor).where(
            e.case_id.in_(chunk), e.kind.in_(tuple(_MONEY))
        )
        for case_id, kind, occurred_at, amount in session.execute(money):
            payments[case_id].append(Paid(occurred_at.date(), _MONEY[kind] * int(amount)))
        heads = select(c.id, c.reference, c.agency, c.source, c.debtor_number, c.currency)
        for case_id, *head in session.execute(heads.where(c.id.in_(chunk))):
            cases[case_id] = tuple(head)  # type: ignore[assignment]
    out = []
    for case_id in ids:
        reference, agency_name, source, debtor_number, currency = cases[case_id]
        for outcome in judge(promises[case_id], payments[case_id], as_of, grace_days):
            out.append(
                CasePromise(
                    case_id, reference, agency_name, source, debtor_number, currency, outcome
                )
            )
    return out
