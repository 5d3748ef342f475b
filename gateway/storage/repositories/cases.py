"""Cases, their items and their events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.domain.cases import CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.storage.inserts import insert_new
from gateway.storage.models import CaseEventRow, CaseItemRow, CaseRow, OpenItemRow

__all__ = ["CaseFilter", "CaseRepository", "event_from_row"]

_LOCK_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class CaseFilter:
    agency: str | None = None
    state: str | None = None
    debtor_number: str | None = None
    needs_attention: bool | None = None
    limit: int = 100
    offset: int = 0


def event_from_row(row: CaseEventRow) -> CaseEvent:
    return CaseEvent(
        kind=EventKind(row.kind),
        origin=EventOrigin(row.origin),
        external_id=row.external_id,
        occurred_at=row.occurred_at,
        amount=row.amount_minor,
        principal=row.principal_minor,
        interest=row.interest_minor,
        fees=row.fees_minor,
        commission=row.commission_minor,
        note=row.note,
        due_on=row.due_on,
    )


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        *,
        agency: str,
        source: str,
        debtor_number: str,
        currency: str,
        policy: str,
        items: Sequence[tuple[int, int]],
        reference_prefix: str,
        now: datetime,
        policy_version_id: int | None = None,
        approvals_required: int = 1,
        interest_minor: int = 0,
        fees_minor: int = 0,
        claims_as_of: date | None = None,
        oldest_due_date: date | None = None,
    ) -> CaseRow:
        """A new case in state `selected` with `items` given as (item id, open amount) in
        payment order. Its reference is `<prefix>-<7-digit id>`."""
        row = CaseRow(
            reference=f"new-{uuid.uuid4().hex}",  # replaced below, once the id is known
            agency=agency,
            source=source,
            debtor_number=debtor_number,
            currency=currency,
            state=CaseState.SELECTED.value,
            policy=policy,
            policy_version_id=policy_version_id,
            approvals_required=approvals_required,
            claims_as_of=claims_as_of,
            oldest_due_date=oldest_due_date,
            handed_over_minor=sum(amount for _, amount in items),
            collected_principal_minor=0,
            collected_interest_minor=0,
            collected_fees_minor=0,
            commission_minor=0,
            paid_directly_minor=0,
            written_off_minor=0,
            interest_claimed_minor=interest_minor,
            fees_claimed_minor=fees_minor,
            needs_attention=False,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        row.reference = f"{reference_prefix}-{row.id:07d}"
        self.session.add_all(
            CaseItemRow(
                case_id=row.id,
                item_id=item_id,
                position=position,
                handed_over_minor=amount,
                collected_minor=0,
                paid_directly_minor=0,
            )
            for position, (item_id, amount) in enumerate(items)
        )
        self.session.flush()
        return row

    def get(self, case_id: int) -> CaseRow | None:
        return self.session.get(CaseRow, case_id)

    def by_reference(self, reference: str, agency: str | None = None) -> CaseRow | None:
        query = select(CaseRow).where(CaseRow.reference == reference)
        if agency is not None:
            query = query.where(CaseRow.agency == agency)
        return self.session.scalars(query).first()

    def events(self, case_id: int) -> list[CaseEventRow]:
        query = (
            select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
        )
        return list(self.session.scalars(query))

    def has_event(self, case_id: int, event: CaseEvent) -> bool:
        return (
            self.session.scalar(
                select(CaseEventRow.id).where(
                    CaseEventRow.case_id == case_id,
                    CaseEventRow.origin == event.origin.value,
                    CaseEventRow.external_id == event.external_id,
                )
            )
            is not None
        )

    def add_event(
        self, case_id: int, event: CaseEvent, transfer_id: int | None, now: datetime
    ) -> bool:
        """Record an event; False if the case already has an event of that identity (also
        when a concurrent transaction recorded it meanwhile)."""
        return insert_new(
            self.session,
            CaseEventRow.__table__,  # type: ignore[arg-type]
            {
                "case_id": case_id,
                "origin": event.origin.value,
                "external_id": event.external_id,
                "kind": event.kind.value,
                "occurred_at": event.occurred_at,
                "received_at": now,
                "amount_minor": event.amount,
                "principal_minor": event.principal,
                "interest_minor": event.interest,
                "fees_minor": event.fees,
                "commission_minor": event.commission,
                "note": event.note,
                "due_on": event.due_on,
                "effect": "applied",
                "transfer_id": transfer_id,
            },
            ("case_id", "origin", "external_id"),
        )

    def flagged_events(self, transfer_id: int) -> int:
        """Events a transfer brought that need attention (see CaseStatus.effects)."""
        query = select(func.count()).where(
            CaseEventRow.transfer_id == transfer_id, CaseEventRow.effect != "applied"
        )
        return int(self.session.scalar(query) or 0)

    def items(self, case_id: int, *, fresh: bool = False) -> list[tuple[CaseItemRow, OpenItemRow]]:
        """The case's items in payment order. `fresh`: read again from the database even if
        the session holds them already (what another transaction committed before the case
        was locked)."""
        query = (
            select(CaseItemRow, OpenItemRow)
            .join(OpenItemRow, OpenItemRow.id == CaseItemRow.item_id)
            .where(CaseItemRow.case_id == case_id)
            .order_by(CaseItemRow.position)
        )
        if fresh:
            query = query.execution_options(populate_existing=True)
        return [(ci, oi) for ci, oi in self.session.execute(query)]

    def lock(self, case_ids: Iterable[int]) -> None:
        """Lock the cases for the rest of the transaction (`SELECT ... FOR UPDATE`), in the
        order of their ids, and read them again: whoever changes a case holds its lock, so two
        transactions never fold the same case at once, and two that lock several cases in
        this one order never wait for each other in a circle (a deadlock). On SQLite, where a
        writing transaction holds the whole database, it only reads them again."""
        ids = sorted(set(case_ids))
        for start in range(0, len(ids), _LOCK_CHUNK):
            query = (
                select(CaseRow)
                .where(CaseRow.id.in_(ids[start : start + _LOCK_CHUNK]))
                .order_by(CaseRow.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            self.session.scalars(query).all()

    def search(self, where: CaseFilter) -> list[CaseRow]:
        query = select(CaseRow).order_by(CaseRow.id.desc()).limit(where.limit).offset(where.offset)
        if where.agency:
            query = query.where(CaseRow.agency == where.agency)
        if where.state:
            query = query.where(CaseRow.state == where.state)
        if where.debtor_number:
            query = query.where(CaseRow.debtor_number == where.debtor_number)
        if where.needs_attention is not None:
            query = query.where(CaseRow.needs_attention.is_(where.needs_attention))
        return list(self.session.scalars(query))

    def in_state(self, state: CaseState, agency: str | None = None) -> list[CaseRow]:
        query = select(CaseRow).where(CaseRow.state == state.value).order_by(CaseRow.id)
        if agency is not None:
            query = query.where(CaseRow.agency == agency)
        return list(self.session.scalars(query))

    def count_by_state(self) -> dict[str, int]:
        query = select(CaseRow.state, func.count()).group_by(CaseRow.state)
        return {state: int(count) for state, count in self.session.execute(query)}
