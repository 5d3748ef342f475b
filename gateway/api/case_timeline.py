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
from gateway.domain.state_machine import event_order
from gateway.pipeline.cases.updates import item_key
from gateway.storage.models import CaseEventRow, OutboxMessageRow
from gateway.storage.repositories.case_search import CaseSearch
from gateway.storage.repositories.cases import CaseRepository, event_from_row

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


def _event_keys(reference: str, row: CaseEventRow) -> list[str]:
    """The message keys an event's outbox messages are traced by (see
    gateway.domain.actions and gateway.pipeline.cases.updates for how they are made)."""
    keys = [f"{reference}:{row.origin}:{row.external_id}"]
    if row.kind == EventKind.RECALL:
        keys.append(f"{reference}:recall:{row.external_id}")
    if row.kind == EventKind.DIRECT_PAYMENT:
        keys.append(f"{reference}:direct:{row.external_id}")
    return keys


def _message_event_key(message: OutboxMessageRow) -> str:
    if message.kind == "erp_action":
        # <reference>:<origin>:<event id>:<what>:<index>
        return message.message_key.rsplit(":", 2)[0]
    return message.message_key


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
    repo = CaseRepository(session)
    rows = sorted(repo.events(case.id), key=lambda r: event_order(event_from_row(r)))
    item_keys = [str(item_key(oi)) for _, oi in repo.items(case.id)]
    messages = CaseSearch(session).outbox_messages(case, item_keys)
    by_event: dict[str, list[QueuedMessage]] = {}
    for message in messages:
        by_event.setdefault(_message_event_key(message), []).append(QueuedMessage.of(message))
    events = []
    for row in rows:
        queued: list[QueuedMessage] = []
        for key in _event_keys(case.reference, row):
            queued.extend(by_event.pop(key, []))
        events.append(
            TimelineEvent(
                origin=row.origin,
                kind=EventKind(row.kind),
                event_id=row.external_id,
                occurred_at=row.occurred_at,
                received_at=row.received_at,
                amounts=_amounts(row, case.currency),
                effect=row.effect,
                note=row.note,
                transfer_id=row.transfer_id,
                queued=sorted(queued, key=lambda m: m.id),
            )
        )
    other: list[QueuedMessage] = [m for queued in by_event.values() for m in queued]
    return Timeline(
        reference=case.reference,
        state=CaseState(case.state),
        currency=case.currency,
        events=events,
        other_messages=sorted(other, key=lambda m: m.id),
    )
