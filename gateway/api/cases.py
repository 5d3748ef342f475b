"""/v1/cases: accounting's view of the cases — find them, read one, follow its timeline.

Amounts are decimal strings in the case's currency ("1234.50"), never floats. Decisions on a
case (approve, hold, recall...) are in gateway.api.case_decisions.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.deps import ReadSession
from gateway.api.security import AccountingUser
from gateway.domain.cases import CaseState
from gateway.domain.events import PAYMENT_KINDS, EventKind
from gateway.domain.money import minor_to_decimal
from gateway.domain.state_machine import event_order
from gateway.pipeline.case_updates import item_key
from gateway.pipeline.decisions import approval_status
from gateway.storage.models import CaseEventRow, CaseRow, DebtorRow, OutboxMessageRow
from gateway.storage.repositories.case_search import CaseQuery, CaseSearch
from gateway.storage.repositories.cases import CaseRepository, event_from_row
from gateway.storage.repositories.policies import ApprovalRepository

__all__ = ["CaseDetail", "CasePage", "CaseSummary", "Timeline", "case_or_404", "router"]

router = APIRouter(prefix="/v1/cases", tags=["cases (accounting)"])


def _money(minor: int, currency: str) -> str:
    return str(minor_to_decimal(minor, currency))


def _outstanding(case: CaseRow) -> int:
    return (
        case.handed_over_minor
        - case.collected_principal_minor
        - case.paid_directly_minor
        - case.written_off_minor
    )


class CaseSummary(BaseModel):
    """A case as listed: where it stands and its main amounts."""

    reference: str
    state: CaseState
    state_since: datetime | None
    agency: str
    source: str
    debtor_number: str
    policy: str
    currency: str
    handed_over: str
    collected: str = Field(description="principal collected by the agency")
    paid_directly: str
    written_off: str
    outstanding: str
    needs_attention: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, case: CaseRow) -> CaseSummary:
        c = case.currency
        return cls(
            reference=case.reference,
            state=CaseState(case.state),
            state_since=case.state_since,
            agency=case.agency,
            source=case.source,
            debtor_number=case.debtor_number,
            policy=case.policy,
            currency=c,
            handed_over=_money(case.handed_over_minor, c),
            collected=_money(case.collected_principal_minor, c),
            paid_directly=_money(case.paid_directly_minor, c),
            written_off=_money(case.written_off_minor, c),
            outstanding=_money(_outstanding(case), c),
            needs_attention=case.needs_attention,
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


class CasePage(BaseModel):
    cases: list[CaseSummary]
    next_cursor: str | None = Field(
        description="pass as `cursor` (with the same filters) for the next page; null on the "
        "last page"
    )


class Collected(BaseModel):
    """What the agency collected from the debtor, and the commission it keeps of it."""

    principal: str
    interest: str
    fees: str
    commission: str


class Debtor(BaseModel):
    number: str
    name: str


class CaseItem(BaseModel):
    company_code: str
    document_number: str
    fiscal_year: int
    line_item: str
    document_date: date
    net_due_date: date
    handed_over: str
    collected: str
    paid_directly: str


class Approval(BaseModel):
    by: str
    at: datetime


class Approvals(BaseModel):
    required: int = Field(description="people who must approve (0: the policy approved it)")
    given: list[Approval]
    missing: int


class CaseDetail(BaseModel):
    """One case: its amounts, items and approvals."""

    reference: str
    state: CaseState
    state_since: datetime | None
    needs_attention: bool
    agency: str
    source: str
    policy: str
    debtor: Debtor
    currency: str
    handed_over: str
    collected: Collected
    paid_directly: str
    written_off: str
    outstanding: str = Field(
        description="handed over − collected principal − paid directly − written off"
    )
    interest_claimed: str
    fees_claimed: str
    claims_as_of: date | None
    created_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None
    last_event_at: datetime | None
    updated_at: datetime
    items: list[CaseItem]
    approvals: Approvals


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


def case_or_404(session: Session, reference: str) -> CaseRow:
    case = CaseRepository(session).by_reference(reference)
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no case {reference}")
    return case


def _encode_cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(f"c1:{case_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, value = text.partition(":")
        if version != "c1":
            raise ValueError(version)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "`cursor` is not a cursor of this endpoint: pass `next_cursor` of the previous page",
        ) from None


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value else None


@router.get("", summary="Cases, newest first, with filters; paged with a cursor")
def list_cases(
    _user: AccountingUser,
    session: ReadSession,
    state: Annotated[
        list[CaseState] | None, Query(description="one or several states (repeat the parameter)")
    ] = None,
    agency: str | None = None,
    source: str | None = None,
    debtor: Annotated[str | None, Query(description="the debtor's number in its source")] = None,
    needs_attention: bool | None = None,
    reference: str | None = None,
    created_since: Annotated[AwareDatetime | None, Query(description="created at or after")] = None,
    updated_since: Annotated[AwareDatetime | None, Query(description="changed at or after")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CasePage:
    rows = CaseSearch(session).page(
        CaseQuery(
            states=[s.value for s in state or []],
            agency=agency,
            source=source,
            debtor_number=debtor,
            needs_attention=needs_attention,
            reference=reference,
            created_since=_utc(created_since),
            updated_since=_utc(updated_since),
            before_id=_decode_cursor(cursor) if cursor else None,
            limit=limit + 1,
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return CasePage(
        cases=[CaseSummary.of(r) for r in rows],
        next_cursor=_encode_cursor(rows[-1].id) if more else None,
    )


@router.get(
    "/{reference}",
    summary="One case: amounts, items, approvals",
    responses={404: {"description": "no such case"}},
)
def get_case(reference: str, _user: AccountingUser, session: ReadSession) -> CaseDetail:
    case = case_or_404(session, reference)
    c = case.currency
    debtor = session.scalars(
        select(DebtorRow).where(
            DebtorRow.source == case.source, DebtorRow.number == case.debtor_number
        )
    ).first()
    approvals = ApprovalRepository(session).approvals(case.id)
    required = approval_status(session, case).required
    return CaseDetail(
        reference=case.reference,
        state=CaseState(case.state),
        state_since=case.state_since,
        needs_attention=case.needs_attention,
        agency=case.agency,
        source=case.source,
        policy=case.policy,
        debtor=Debtor(number=case.debtor_number, name=debtor.name if debtor else ""),
        currency=c,
        handed_over=_money(case.handed_over_minor, c),
        collected=Collected(
            principal=_money(case.collected_principal_minor, c),
            interest=_money(case.collected_interest_minor, c),
            fees=_money(case.collected_fees_minor, c),
            commission=_money(case.commission_minor, c),
        ),
        paid_directly=_money(case.paid_directly_minor, c),
        written_off=_money(case.written_off_minor, c),
        outstanding=_money(_outstanding(case), c),
        interest_claimed=_money(case.interest_claimed_minor, c),
        fees_claimed=_money(case.fees_claimed_minor, c),
        claims_as_of=case.claims_as_of,
        created_at=case.created_at,
        submitted_at=case.submitted_at,
        closed_at=case.closed_at,
        last_event_at=case.last_event_at,
        updated_at=case.updated_at,
        items=[
            CaseItem(
                company_code=oi.company_code,
                document_number=oi.document_number,
                fiscal_year=oi.fiscal_year,
                line_item=oi.line_item,
                document_date=oi.document_date,
                net_due_date=oi.net_due_date,
                handed_over=_money(ci.handed_over_minor, c),
                collected=_money(ci.collected_minor, c),
                paid_directly=_money(ci.paid_directly_minor, c),
            )
            for ci, oi in CaseRepository(session).items(case.id)
        ],
        approvals=Approvals(
            required=required,
            given=[Approval(by=a.approver, at=a.approved_at) for a in approvals],
            missing=max(required - len(approvals), 0),
        ),
    )


def _event_keys(reference: str, row: CaseEventRow) -> list[str]:
    """The message keys an event's outbox messages are traced by (see
    gateway.domain.actions and gateway.pipeline.case_updates for how they are made)."""
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
        amount=_money(row.amount_minor, currency),
        principal=_money(row.principal_minor, currency),
        interest=_money(row.interest_minor, currency),
        fees=_money(row.fees_minor, currency),
        commission=_money(row.commission_minor, currency),
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
