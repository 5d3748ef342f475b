"""Finding cases for accounting: filters, and keyset pages in a stable order.

Pages are cut by the case id (newest case first), not by an offset: a case that changes state
or gets a payment while someone pages through does not move between pages, and page 1,000
costs what page 1 costs. The outbox messages of a case are found through the keys they are
ordered by (the case's items, and the case for its notices), which are indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.storage.models import CaseRow, OutboxMessageRow

__all__ = ["CaseQuery", "CaseSearch"]


@dataclass(frozen=True, slots=True)
class CaseQuery:
    states: Sequence[str] = field(default_factory=tuple)
    agency: str | None = None
    source: str | None = None
    debtor_number: str | None = None
    needs_attention: bool | None = None
    reference: str | None = None
    created_since: datetime | None = None
    updated_since: datetime | None = None
    before_id: int | None = None  # the page after the case of this id
    limit: int = 50


class CaseSearch:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, where: CaseQuery) -> list[CaseRow]:
        """Up to `limit` cases matching `where`, newest (highest id) first."""
        query = select(CaseRow).order_by(CaseRow.id.desc()).limit(where.limit)
        if where.states:
            query = query.where(CaseRow.state.in_(list(where.states)))
        if where.agency is not None:
            query = query.where(CaseRow.agency == where.agency)
        if where.source is not None:
            query = query.where(CaseRow.source == where.source)
        if where.debtor_number is not None:
            query = query.where(CaseRow.debtor_number == where.debtor_number)
        if where.needs_attention is not None:
            query = query.where(CaseRow.needs_attention.is_(where.needs_attention))
        if where.reference is not None:
            query = query.where(CaseRow.reference == where.reference)
        if where.created_since is not None:
            query = query.where(CaseRow.created_at >= where.created_since)
        if where.updated_since is not None:
            query = query.where(CaseRow.updated_at >= where.updated_since)
        if where.before_id is not None:
            query = query.where(CaseRow.id < where.before_id)
        return list(self.session.scalars(query))

    def outbox_messages(self, case: CaseRow, item_keys: Sequence[str]) -> list[OutboxMessageRow]:
        """The ERP actions and agency notices the case's events queued, in id order.

        ERP actions are ordered by their item, notices by the case; both carry the case's
        reference first in their message key."""
        prefix = f"{case.reference}:"
        query = (
            select(OutboxMessageRow)
            .where(OutboxMessageRow.ordering_key.in_([*item_keys, case.reference]))
            .order_by(OutboxMessageRow.id)
        )
        return [m for m in self.session.scalars(query) if m.message_key.startswith(prefix)]
