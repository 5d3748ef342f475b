"""Items, cases and agency events written the way the pipeline writes them (cases through the
case updater and its state machine), for the KPI tests' worked examples."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.storage.models import CaseRow, DebtorRow, OpenItemRow
from gateway.storage.repositories.cases import CaseRepository

_ids = itertools.count(1)


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).replace(hour=12)


def debtor(session: Session, number: str, segment: str = "") -> None:
    session.add(DebtorRow(source="erp", number=number, name=f"Debtor {number}", segment=segment))


def item(
    session: Session,
    debtor_number: str,
    due: str,
    amount: int,
    *,
    cleared: str | None = None,
    open_amount: int | None = None,
    disputed: bool = False,
    promised: str | None = None,
    currency: str = "EUR",
) -> OpenItemRow:
    n = next(_ids)
    row = OpenItemRow(
        source="erp",
        company_code="1000",
        document_number=f"D{n:06d}",
        fiscal_year=2026,
        line_item="001",
        debtor_number=debtor_number,
        document_date=date.fromisoformat(due),
        posting_date=date.fromisoformat(due),
        net_due_date=date.fromisoformat(due),
        currency=currency,
        amount_minor=amount,
        open_amount_minor=amount if open_amount is None else open_amount,
        disputed=disputed,
        payment_promised_until=date.fromisoformat(promised) if promised else None,
        is_open=cleared is None,
        cleared_on=date.fromisoformat(cleared) if cleared else None,
        first_seen_transfer_id=0,
        last_seen_transfer_id=0,
        last_seen_line=n,
    )
    session.add(row)
    session.flush()
    return row


class Cases:
    """Cases handed over to agencies, and what the agencies report on them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.updater = CaseUpdater(session, {}, at("2026-11-20"))
        self._events = itertools.count(1)

    def handed_over(
        self, agency: str, debtor_number: str, items: list[OpenItemRow], submitted: str
    ) -> CaseRow:
        case = CaseRepository(self.session).create(
            agency=agency,
            source="erp",
            debtor_number=debtor_number,
            currency=items[0].currency,
            policy="standard",
            items=[(i.id, i.open_amount_minor) for i in items],
            reference_prefix="CB",
            now=at(submitted),
        )
        self.event(case, EventKind.SELECTED, submitted, origin=EventOrigin.GATEWAY)
        self.event(case, EventKind.APPROVED, submitted, origin=EventOrigin.CREDITOR)
        self.event(case, EventKind.SUBMITTED, submitted, origin=EventOrigin.GATEWAY)
        return case

    def event(
        self,
        case: CaseRow,
        kind: EventKind,
        day: str,
        *,
        origin: EventOrigin = EventOrigin.AGENCY,
        amount: int = 0,
        principal: int = 0,
        interest: int = 0,
        commission: int = 0,
        due_on: str | None = None,
    ) -> None:
        event = CaseEvent(
            kind,
            origin,
            f"ev-{next(self._events)}",
            at(day),
            amount=amount,
            principal=principal,
            interest=interest,
            commission=commission,
            due_on=date.fromisoformat(due_on) if due_on else None,
        )
        applied = self.updater.apply(case, event)
        assert not applied.duplicate

    def payment(
        self, case: CaseRow, day: str, principal: int, interest: int = 0, commission: int = 0
    ) -> None:
        self.event(
            case,
            EventKind.PAYMENT,
            day,
            amount=principal + interest,
            principal=principal,
            interest=interest,
            commission=commission,
        )

    def promise(self, case: CaseRow, day: str, amount: int, due_on: str) -> None:
        self.event(case, EventKind.PROMISE, day, amount=amount, due_on=due_on)
