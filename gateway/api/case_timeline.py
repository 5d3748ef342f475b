"""/v1/cases/{reference}/timeline: a case's events in the order the state machine applies
them (their own time, not their arrival), each with what it put into the outbox for the ERP and
the agency and how that delivery went, so that accounting sees why the ERP shows what it shows.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.api.cases import case_or_404, money
from gateway.api.deps import ReadSession
from gateway.api.security import AccountingUser
from gateway.domain.cases import CaseState
from gateway.domain.events import PAYMENT_KINDS, EventKind
from gateway.pipeline.case_history import case_history
from gateway.storage.models import CaseEventRow, OutboxMessageRow

__all__ = ["Timeline", "router"]

router = APIRouter(prefix="/v1/cases", tags=["cases (accounting)"])


class EventAmounts(BaseModel):
    amount: str = Field(description="what the debtor paid (principal + interest + fees)")
    principal: str
    interest: str
    fees: str
    commission: str


class QueuedMessage(BaseModel):
    """An ERP action or agency notice an event put into the outbox, and how its delivery went."""

    id: int
    kind: str = Field(description="erp_action | agency_notice")
    action: str = Field(description="e.g. set_dunning_block, post_payment, recall")
    destination: str
    status: str = Field(description="pending | delivered | dead")
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    last_error: str

    @classmethod
    def of(cls, row: OutboxMessageRow) -> QueuedMessage:
        return cls(
            id=row.id,
            kind=row.kind,
            action=str(row.payload.get("kind", "")),
            destination=row.destination,
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )


class TimelineEvent(BaseModel):
    origin: str = Field(description="gateway | creditor | agency | erp")
    kind: EventKind
    event_id: str = Field(description="the sender's own id of the event")
    occurred_at: datetime
    received_at: datetime
    amounts: EventAmounts | None = Field(description="for payments and reversals only")
    effect: str = Field(
        description="applied, or why it needs attention: after_close, invalid_transition, "
        "amount_mismatch"
    )
    note: str
    transfer_id: int | None
    queued: list[QueuedMessage] = Field(description="what the event put into the outbox")


class Timeline(BaseModel):
    reference: str
    state: CaseState
    currency: str
    events: list[TimelineEvent] = Field(
        description="in the order the state machine applies them: by their own time, not by arrival"
    )
    other_messages: list[QueuedMessage] = Field(
        description="outbox messages of the case not traced to one of its events"
    )


def _amounts(row: CaseEventRow, currency: str) -> EventAmounts | None:
    if EventKind(row.kind) not in PAYMENT_KINDS:
        return None
    return EventAmounts(
        amount=money(row.amount_minor, currency),
        principal=money(row.principal_minor, currency),
        interest=money(row.interest_minor, currency),
        fees=money(row.fees_minor, currency),
        commission=money(row.commission_minor, currency),
    )


@router.get(
    "/{reference}/timeline",
    summary="A case's events in the state machine's order, and what each queued for the ERP "
    "and the agency",
    responses={404: {"description": "no such case"}},
)
def case_timeline(reference: str, _user: AccountingUser, session: ReadSession) -> Timeline:
    case = case_or_404(session, reference)
    history = case_history(session, case)
    events = [
        TimelineEvent(
            origin=entry.event.origin,
            kind=EventKind(entry.event.kind),
            event_id=entry.event.external_id,
            occurred_at=entry.event.occurred_at,
            received_at=entry.event.received_at,
            amounts=_amounts(entry.event, case.currency),
            effect=entry.event.effect,
            note=entry.event.note,
            transfer_id=entry.event.transfer_id,
            queued=[QueuedMessage.of(m) for m in entry.queued],
        )
        for entry in history.entries
    ]
    other = [QueuedMessage.of(m) for m in history.other_messages]
    return Timeline(
        reference=case.reference,
        state=CaseState(case.state),
        currency=case.currency,
        events=events,
        other_messages=other,
    )
