"""The shapes of the agency API (docs/agency.md): what agencies send and what they get back.

Amounts are decimal strings in major units ("123.45"); datetimes are RFC 3339 with an offset;
a bare date is accepted for `occurred_at` and means midnight UTC of that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

__all__ = [
    "AckResult",
    "AgencyEvent",
    "BatchResult",
    "CaseAck",
    "CaseList",
    "CaseOut",
    "Collected",
    "ConflictAnswer",
    "DebtorOut",
    "DocumentIn",
    "DocumentOut",
    "EventBatch",
    "EventKindName",
    "EventResult",
    "ItemOut",
    "MessageIn",
    "NoticeAck",
    "NoticeList",
    "NoticeOut",
    "StoredEvent",
    "validation_message",
]

EventKindName = Literal[
    "accepted",
    "rejected",
    "in_progress",
    "paused",
    "payment_plan",
    "disputed",
    "legal",
    "paid",
    "uncollectible",
    "returned",
    "message",
    "payment",
    "payment_reversal",
    "promise",
]

MAX_BATCH = 5000
_Id = Field(min_length=1, max_length=128)


def _instant(value: Any) -> Any:
    """A bare date is midnight UTC; a date-time must carry its offset."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return datetime.combine(date.fromisoformat(value), time(0), UTC)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("a date-time needs an offset, e.g. 2026-11-20T10:00:00+01:00 or Z")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a date-time needs an offset, e.g. 2026-11-20T10:00:00+01:00 or Z")
    return value


# When something happened at the agency: RFC 3339 with an offset, or a date (midnight UTC).
AgencyInstant = Annotated[datetime, BeforeValidator(_instant), AfterValidator(_aware)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgencyEvent(_Strict):
    """A status change, a payment or a message from the agency about one case."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_id": "ev-1001",
                    "case_reference": "CB-0000001",
                    "kind": "payment",
                    "occurred_at": "2026-11-20T10:00:00+01:00",
                    "amount": "120.00",
                    "principal": "100.00",
                    "interest": "15.00",
                    "fees": "5.00",
                    "commission": "12.00",
                    "currency": "EUR",
                    "recipient": "agency",
                }
            ]
        },
    )

    event_id: str = Field(
        min_length=1, max_length=128, description="the agency's own id, unique per agency"
    )
    case_reference: str = Field(min_length=1, max_length=64)
    kind: EventKindName
    occurred_at: AgencyInstant = Field(description="RFC 3339 with offset, or a date (midnight UTC)")
    amount: Decimal | None = Field(default=None, description="payments: what the debtor paid")
    principal: Decimal | None = None
    interest: Decimal | None = None
    fees: Decimal | None = None
    commission: Decimal | None = Field(default=None, description="what the agency keeps")
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    recipient: Literal["agency", "creditor"] = Field(
        default="agency", description="payments: who received the money"
    )
    note: str = Field(default="", max_length=4000)
    due_on: date | None = Field(
        default=None, description="promise: the day the debtor promised to pay `amount` by"
    )

    def values(self) -> dict[str, Any]:
        """The canonical agency-event fields `gateway.pipeline.returns.events` reads."""
        return self.model_dump()


def validation_message(exc: ValidationError) -> str:
    """One line naming each failing field: `amount: Input should be a valid decimal`."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(event)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


class StoredEvent(BaseModel):
    """An event as it was received first (amounts in major units, in the case's currency)."""

    event_id: str
    case_reference: str
    kind: str
    occurred_at: datetime
    received_at: datetime
    amount: Decimal | None = None
    principal: Decimal | None = None
    interest: Decimal | None = None
    fees: Decimal | None = None
    commission: Decimal | None = None
    currency: str | None = None
    recipient: Literal["agency", "creditor"] | None = None
    note: str | None = None
    due_on: date | None = None


class EventResult(BaseModel):
    """How one event was taken. `state` is the case's state after it (absent if rejected).
    `conflict`: the event id was received before with other values; `stored` is that first
    version, which is kept (this one is not applied)."""

    event_id: str
    case_reference: str
    result: Literal["applied", "duplicate", "flagged", "rejected", "conflict"]
    state: str | None = None
    message: str | None = None
    index: int | None = None
    stored: StoredEvent | None = None


class ConflictAnswer(BaseModel):
    """409: the event id was received before with other values (`detail` names them)."""

    detail: str
    fields: list[str]
    stored: StoredEvent


class EventBatch(_Strict):
    """Up to 5000 events; each is checked on its own (a bad one is rejected alone)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "event_id": "ev-1",
                            "case_reference": "CB-0000001",
                            "kind": "accepted",
                            "occurred_at": "2026-11-20",
                        },
                        {
                            "event_id": "ev-2",
                            "case_reference": "CB-0000001",
                            "kind": "in_progress",
                            "occurred_at": "2026-11-21T09:30:00Z",
                        },
                    ]
                }
            ]
        },
    )

    events: list[dict[str, Any]] = Field(
        max_length=MAX_BATCH, description="AgencyEvent objects (see POST /v1/agency/events)"
    )


class BatchResult(BaseModel):
    results: list[EventResult]
    applied: int
    duplicates: int
    flagged: int
    rejected: int
    conflicts: int = 0


class DebtorOut(BaseModel):
    number: str
    name: str
    name2: str = ""
    kind: str = "company"
    vat_id: str = ""
    registration: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""


class ItemOut(BaseModel):
    company_code: str
    document_number: str
    fiscal_year: int
    line_item: str
    document_date: date | None
    net_due_date: date | None
    amount: Decimal
    open_amount: Decimal


class Collected(BaseModel):
    principal: Decimal
    interest: Decimal
    fees: Decimal
    commission: Decimal


class CaseOut(BaseModel):
    """A case as the agency sees it."""

    reference: str
    state: str
    currency: str
    debtor: DebtorOut | None
    items: list[ItemOut]
    handed_over: Decimal
    interest_claimed: Decimal
    fees_claimed: Decimal
    collected: Collected
    paid_directly: Decimal
    written_off: Decimal
    outstanding: Decimal
    submitted_at: datetime | None
    acknowledged_at: datetime | None


class CaseList(BaseModel):
    cases: list[CaseOut]


class CaseAck(_Strict):
    references: list[str] = Field(min_length=1, max_length=1000)


class AckResult(BaseModel):
    acknowledged: list[str]
    unknown: list[str]


class MessageIn(_Strict):
    """A note from the agency about the case (no change of state)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "message_id": "msg-77",
                    "occurred_at": "2026-11-20T10:00:00Z",
                    "text": "Debtor asks for a copy of invoice 4711.",
                }
            ]
        },
    )

    message_id: str = _Id
    occurred_at: AgencyInstant
    text: str = Field(min_length=1, max_length=4000)


class DocumentIn(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "document_id": "doc-5",
                    "filename": "payment-plan.pdf",
                    "content_type": "application/pdf",
                    "content_base64": "JVBERi0xLjQK",
                }
            ]
        },
    )

    document_id: str = _Id
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=128)
    content_base64: str


class DocumentOut(BaseModel):
    document_id: str
    sha256: str
    size: int


class NoticeOut(BaseModel):
    """A recall or a direct payment the agency must take into account."""

    notice_id: str
    kind: Literal["recall", "direct_payment"]
    case_reference: str
    occurred_at: datetime
    amount: Decimal | None
    currency: str
    company_code: str
    document_number: str
    fiscal_year: int | None
    line_item: str
    note: str


class NoticeList(BaseModel):
    notices: list[NoticeOut]


class NoticeAck(_Strict):
    notice_ids: list[str] = Field(min_length=1, max_length=1000)
