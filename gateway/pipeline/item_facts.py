"""Items as a policy's Python predicates see them (gateway.rules.facts.ItemFacts), read in bulk:
the items with their debtors, the debtors' overdue totals and whether they already have a case.
Each figure is read the way the SQL of gateway.rules.sql reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.orm import Session

from gateway.domain.cases import CaseState
from gateway.rules.facts import ItemFacts
from gateway.storage.models import CaseRow, DebtorRow, OpenItemRow

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


def load_facts(
    session: Session, item_ids: Sequence[int], as_of: date, *, overdue_totals: bool = True
) -> list[ItemFacts]:
    """The facts of `item_ids` on `as_of`, in the order given (unknown ids are left out).
    Without `overdue_totals` the debtors' totals are not read (and are 0)."""
    item, debtor = OpenItemRow, DebtorRow
    rows: dict[int, tuple[OpenItemRow, str, str, str]] = {}
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        query = (
            select(
                item,
                func.coalesce(debtor.country, ""),
                func.coalesce(debtor.kind, ""),
                func.coalesce(debtor.segment, ""),
            )
            .outerjoin(
                debtor, and_(debtor.source == item.source, debtor.number == item.debtor_number)
            )
            .where(item.id.in_(chunk))
        )
        for row, country, kind, segment in session.execute(query):
            rows[row.id] = (row, country, kind, segment)
    debtors = {(r.source, r.debtor_number) for r, *_ in rows.values()}
    totals = _overdue_totals(session, debtors, as_of) if overdue_totals and debtors else {}
    at_agency = _with_open_case(session, debtors) if debtors else set()
    found: list[ItemFacts] = []
    for item_id in item_ids:
        if item_id not in rows:
            continue
        r, country, kind, segment = rows[item_id]
        found.append(
            ItemFacts(
                item_id=r.id,
                key=f"{r.source}:{r.company_code}/{r.document_number}/{r.fiscal_year}/"
                f"{r.line_item}",
                source=r.source,
                currency=r.currency,
                open_amount_minor=r.open_amount_minor,
                dunning_level=r.dunning_level,
                net_due_date=r.net_due_date,
                last_dunning_date=r.last_dunning_date,
                company_code=r.company_code,
                document_type=r.document_type,
                debtor_number=r.debtor_number,
                dunning_block=r.dunning_block,
                disputed=r.disputed,
                payment_promised_until=r.payment_promised_until,
                country=country,
                debtor_type=kind,
                segment=segment,
                debtor_overdue_total_minor=totals.get((r.source, r.debtor_number, r.currency), 0),
                already_at_agency=(r.source, r.debtor_number) in at_agency,
            )
        )
    return found
