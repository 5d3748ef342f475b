"""/v1/cases: accounting's view of the cases — find them, read one.

Amounts are decimal strings in the case's currency ("1234.50"), never floats. A case's timeline
is in gateway.api.case_timeline, decisions on a case (approve, hold, recall...) in
gateway.api.case_decisions.
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
from gateway.domain.money import minor_to_decimal
from gateway.pipeline.cases.decisions import approval_status
from gateway.storage.models import CaseRow, DebtorRow
from gateway.storage.repositories.case_search import CaseQuery, CaseSearch
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.policies import ApprovalRepository

__all__ = [
    "Approval",
    "Approvals",
    "CaseDetail",
    "CasePage",
    "CaseSummary",
    "case_or_404",
    "money",
    "router",
]

router = APIRouter(prefix="/v1/cases", tags=["cases (accounting)"])


def money(minor: int, currency: str) -> str:
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
            handed_over=money(case.handed_over_minor, c),
            collected=money(case.collected_principal_minor, c),
            paid_directly=money(case.paid_directly_minor, c),
            written_off=money(case.written_off_minor, c),
            outstanding=money(_outstanding(case), c),
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
        handed_over=money(case.handed_over_minor, c),
        collected=Collected(
            principal=money(case.collected_principal_minor, c),
            interest=money(case.collected_interest_minor, c),
            fees=money(case.collected_fees_minor, c),
            commission=money(case.commission_minor, c),
        ),
        paid_directly=money(case.paid_directly_minor, c),
        written_off=money(case.written_off_minor, c),
        outstanding=money(_outstanding(case), c),
        interest_claimed=money(case.interest_claimed_minor, c),
        fees_claimed=money(case.fees_claimed_minor, c),
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
                handed_over=money(ci.handed_over_minor, c),
                collected=money(ci.collected_minor, c),
                paid_directly=money(ci.paid_directly_minor, c),
            )
            for ci, oi in CaseRepository(session).items(case.id)
        ],
        approvals=Approvals(
            required=required,
            given=[Approval(by=a.approver, at=a.approved_at) for a in approvals],
            missing=max(required - len(approvals), 0),
        ),
    )
