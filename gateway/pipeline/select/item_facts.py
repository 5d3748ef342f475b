"""Items as a policy's Python predicates see them (gateway.rules.facts.ItemFacts), read in bulk:
the items with their debtors, the debtors' overdue totals and whether they already have a case.
Each figure is read the way the SQL of gateway.rules.sql reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.orm import Session

from gateway.domain.cases import CaseState
from gateway.rules.facts import ItemFacts
from gateway.storage.models import CaseRow, DebtorRow, DebtorScoreRow, OpenItemRow

__all__ = ["load_facts"]

_CHUNK = 500
_NOT_CLOSED = tuple(sorted(s.value for s in CaseState if not s.is_terminal))
DebtorKey = tuple[str, str]


def _overdue_totals(
    session: Session, debtors: set[DebtorKey], as_of: date
) -> dict[tuple[str, str, str], int]:
    item = OpenItemRow
    query = (
        select(item.source, item.debtor_number, item.currency, func.sum(item.open_amount_minor))
        .where(item.is_open.is_(True), item.net_due_date < as_of)
        .group_by(item.source, item.debtor_number, item.currency)
    )
    if len(debtors) <= _CHUNK:  # else one pass over every debtor beats many passes
        query = query.where(tuple_(item.source, item.debtor_number).in_(sorted(debtors)))
    return {
        (source, debtor, currency): int(total)
        for source, debtor, currency, total in session.execute(query)
        if (source, debtor) in debtors
    }


def _with_open_case(session: Session, debtors: set[DebtorKey]) -> set[DebtorKey]:
    query = (
        select(CaseRow.source, CaseRow.debtor_number)
        .where(CaseRow.state.in_(_NOT_CLOSED))
        .distinct()
    )
    if len(debtors) <= _CHUNK:
        query = query.where(tuple_(CaseRow.source, CaseRow.debtor_number).in_(sorted(debtors)))
    return {(s, d) for s, d in session.execute(query) if (s, d) in debtors}


def _risk_scores(session: Session, debtors: set[DebtorKey]) -> dict[DebtorKey, int]:
    score = DebtorScoreRow
    query = select(score.source, score.debtor_number, score.risk_score)
    if len(debtors) <= _CHUNK:
        query = query.where(tuple_(score.source, score.debtor_number).in_(sorted(debtors)))
    return {(s, d): int(r) for s, d, r in session.execute(query) if (s, d) in debtors}


def load_facts(
    session: Session, item_ids: Sequence[int], as_of: date, *, overdue_totals: bool = True
) -> list[ItemFacts]:
    """The facts of `item_ids` on `as_of`, in the order given (unknown ids are left out).
    Without `overdue_totals` the debtors' totals are not read (and are 0)."""
    item, debtor = OpenItemRow, DebtorRow
    # Plain columns, not ORM objects: explaining thousands of items reads them in bulk.
    columns = (
        item.id,
        item.source,
        item.company_code,
        item.document_number,
        item.fiscal_year,
        item.line_item,
        item.currency,
        item.open_amount_minor,
        item.dunning_level,
        item.net_due_date,
        item.last_dunning_date,
        item.document_type,
        item.debtor_number,
        item.dunning_block,
        item.disputed,
        item.payment_promised_until,
        func.coalesce(debtor.country, ""),
        func.coalesce(debtor.kind, ""),
        func.coalesce(debtor.segment, ""),
    )
    rows: dict[int, Any] = {}
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        query = (
            select(*columns)
            .outerjoin(
                debtor, and_(debtor.source == item.source, debtor.number == item.debtor_number)
            )
            .where(item.id.in_(chunk))
        )
        for found_row in session.execute(query):
            rows[found_row[0]] = found_row
    debtors = {(r[1], r[12]) for r in rows.values()}
    totals = _overdue_totals(session, debtors, as_of) if overdue_totals and debtors else {}
    at_agency = _with_open_case(session, debtors) if debtors else set()
    scores = _risk_scores(session, debtors) if debtors else {}
    found: list[ItemFacts] = []
    for item_id in item_ids:
        row = rows.get(item_id)
        if row is None:
            continue
        (
            _,
            source,
            company,
            document,
            year,
            line,
            currency,
            open_minor,
            level,
            due,
            dunned,
            doc_type,
            debtor_number,
            block,
            disputed,
            promised,
            country,
            kind,
            segment,
        ) = row
        found.append(
            ItemFacts(
                item_id=item_id,
                key=f"{source}:{company}/{document}/{year}/{line}",
                source=source,
                currency=currency,
                open_amount_minor=open_minor,
                dunning_level=level,
                net_due_date=due,
                last_dunning_date=dunned,
                company_code=company,
                document_type=doc_type,
                debtor_number=debtor_number,
                dunning_block=block,
                disputed=bool(disputed),
                payment_promised_until=promised,
                country=country,
                debtor_type=kind,
                segment=segment,
                debtor_overdue_total_minor=totals.get((source, debtor_number, currency), 0),
                already_at_agency=(source, debtor_number) in at_agency,
                risk_score=scores.get((source, debtor_number)),
            )
        )
    return found
