"""/v1/agency/cases: the cases handed to the calling agency (pulled and acknowledged), one
case, and the messages and documents the agency adds to a case.

Every query is scoped by the calling agency: another agency's case answers 404, exactly like
a reference that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.agency_auth import CasesReader, EventsWriter, raw_body
from gateway.api.agency_events import (
    _ERRORS,
    IdempotencyKey,
    _writeback_rules,
    conflict_answer,
    conflict_record,
)
from gateway.api.agency_models import (
    AckResult,
    CaseAck,
    CaseList,
    CaseOut,
    Collected,
    ConflictAnswer,
    DebtorOut,
    DocumentIn,
    DocumentOut,
    EventResult,
    ItemOut,
    MessageIn,
)
from gateway.api.agency_requests import RequestTransfer
from gateway.api.deps import ConfigDep, WriteSession
from gateway.domain.money import minor_to_decimal
from gateway.pipeline.returns.posted import ReportedEvent, apply_agency_events
from gateway.storage.models import AgencyDocumentRow, CaseRow, DebtorRow, utcnow
from gateway.storage.repositories.agency_pull import AgencyPull
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.transfers import TransferLog

__all__ = ["MAX_DOCUMENT_BYTES", "case_view", "router"]

router = APIRouter(prefix="/v1/agency", tags=["agency"])

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
Reference = Annotated[str, Path(max_length=64, examples=["CB-0000001"])]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no case of the calling agency has this reference"}
}


def case_view(session: Session, case: CaseRow) -> CaseOut:
    """A case as the agency sees it: debtor, items as handed over, amounts."""
    currency = case.currency

    def money(minor: int) -> Any:
        return minor_to_decimal(minor, currency)

    debtor = session.scalars(
        select(DebtorRow).where(
            DebtorRow.source == case.source, DebtorRow.number == case.debtor_number
        )
    ).first()
    items = CaseRepository(session).items(case.id)
    outstanding = (
        case.handed_over_minor
        - case.collected_principal_minor
        - case.paid_directly_minor
        - case.written_off_minor
    )
    return CaseOut(
        reference=case.reference,
        state=case.state,
        currency=currency,
        debtor=DebtorOut(
            number=debtor.number,
            name=debtor.name,
            name2=debtor.name2,
            kind=debtor.kind,
            vat_id=debtor.vat_id,
            registration=debtor.registration,
            street=debtor.street,
            postal_code=debtor.postal_code,
            city=debtor.city,
            country=debtor.country,
            email=debtor.email,
            phone=debtor.phone,
            language=debtor.language,
        )
        if debtor
        else None,
        items=[
            ItemOut(
                company_code=oi.company_code,
                document_number=oi.document_number,
                fiscal_year=oi.fiscal_year,
                line_item=oi.line_item,
                document_date=oi.document_date,
                net_due_date=oi.net_due_date,
                amount=money(oi.amount_minor),
                open_amount=money(ci.handed_over_minor),
            )
            for ci, oi in items
        ],
        handed_over=money(case.handed_over_minor),
        interest_claimed=money(case.interest_claimed_minor),
        fees_claimed=money(case.fees_claimed_minor),
        collected=Collected(
            principal=money(case.collected_principal_minor),
            interest=money(case.collected_interest_minor),
            fees=money(case.collected_fees_minor),
            commission=money(case.commission_minor),
        ),
        paid_directly=money(case.paid_directly_minor),
        written_off=money(case.written_off_minor),
        outstanding=money(outstanding),
        submitted_at=case.submitted_at,
        acknowledged_at=AgencyPull(session).acknowledged_at(case.id),
    )


def _case(session: Session, agency: str, reference: str) -> CaseRow:
    case = CaseRepository(session).by_reference(reference, agency)
    if case is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no case {reference!r} for agency {agency}"
        )
    return case


@router.get(
    "/cases/new",
    response_model=CaseList,
    summary="Cases handed over and not acknowledged yet (pull)",
    responses=_ERRORS,
)
def new_cases(
    request: Request,
    client: CasesReader,
    session: WriteSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CaseList:
    """The cases handed to the calling agency that it has not acknowledged yet, oldest
    first. Take them, then acknowledge them with POST /cases/ack; until then they are
    listed again."""
    transfer = RequestTransfer(session, client, request)
    cases = [case_view(session, row) for row in AgencyPull(session).new_cases(client.agency, limit)]
    transfer.finish(records=len(cases), summary=f"{len(cases)} new cases listed")
    return CaseList(cases=cases)


@router.post(
    "/cases/ack",
    response_model=AckResult,
    summary="Acknowledge cases taken from /cases/new",
    responses=_ERRORS,
)
def ack_cases(
    ack: CaseAck,
    request: Request,
    client: CasesReader,
    session: WriteSession,
    body: Annotated[bytes, Depends(raw_body)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Acknowledging a case twice is harmless; references that are not the agency's handed
    over cases come back in `unknown`."""
    transfer = RequestTransfer(session, client, request)

    def produce() -> tuple[int, Any]:
        done, unknown = AgencyPull(session).ack_cases(client.agency, ack.references, utcnow())
        transfer.finish(
            records=len(done), rejected=len(unknown), body=body, summary=f"{len(done)} acknowledged"
        )
        return 200, AckResult(acknowledged=done, unknown=unknown).model_dump()

    return transfer.answer(idempotency_key, body, produce)


@router.get(
    "/cases/{reference}",
    response_model=CaseOut,
    summary="One case of the calling agency",
    responses={**_ERRORS, **_NOT_FOUND},
)
def get_case(
    reference: Reference, request: Request, client: CasesReader, session: WriteSession
) -> CaseOut:
    transfer = RequestTransfer(session, client, request)
    view = case_view(session, _case(session, client.agency, reference))
    transfer.finish(records=1, summary=f"case {reference}")
    return view


@router.post(
    "/cases/{reference}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=EventResult,
    response_model_exclude_none=True,
    summary="Add a message to a case",
    responses={
        **_ERRORS,
        **_NOT_FOUND,
        409: {
            "description": "the message_id was received before with another text or time",
            "model": ConflictAnswer,
        },
    },
)
def post_message(
    reference: Reference,
    message: MessageIn,
    request: Request,
    client: EventsWriter,
    session: WriteSession,
    config: ConfigDep,
    body: Annotated[bytes, Depends(raw_body)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A note for accounting (recorded as a `message` event of the case; no change of
    state). The same `message_id` twice is recorded once."""
    transfer = RequestTransfer(session, client, request)

    def produce() -> tuple[int, Any]:
        _case(session, client.agency, reference)
        values = {
            "event_id": message.message_id,
            "kind": "message",
            "occurred_at": message.occurred_at,
            "note": message.text,
        }
        (outcome,) = apply_agency_events(
            session,
            client.agency,
            [ReportedEvent(0, message.message_id, reference, values)],
            _writeback_rules(config),
            utcnow(),
            transfer.id,
        )
        if outcome.conflict is not None:
            TransferLog(session).quarantine(
                transfer.id,
                client.agency,
                f"POST /v1/agency/cases/{reference}/messages",
                [conflict_record(0, outcome.conflict, message.model_dump(mode="json"))],
            )
            summary = f"message {message.message_id}: conflict"
            transfer.finish(rejected=1, body=body, summary=summary)
            return conflict_answer(outcome.conflict)
        transfer.finish(records=1, body=body, summary=f"message {message.message_id}")
        result = EventResult(
            event_id=outcome.event_id,
            case_reference=reference,
            result=outcome.result,
            state=outcome.state,
            message=outcome.message or None,
        )
        return (200 if outcome.result == "duplicate" else 201), result.model_dump(
            mode="json", exclude_none=True
        )

    return transfer.answer(idempotency_key, body, produce)


@router.post(
    "/cases/{reference}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    summary="Upload a document for a case",
    responses={
        **_ERRORS,
        **_NOT_FOUND,
        409: {"description": "document_id already used with other content"},
    },
)
def post_document(
    reference: Reference,
    document: DocumentIn,
    request: Request,
    client: EventsWriter,
    session: WriteSession,
    body: Annotated[bytes, Depends(raw_body)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The document is stored with its SHA-256 and size (at most 10 MiB decoded). Sending
    the same `document_id` with the same content again is harmless."""
    transfer = RequestTransfer(session, client, request)

    def produce() -> tuple[int, Any]:
        case = _case(session, client.agency, reference)
        try:
            content = base64.b64decode(document.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail="content_base64: not valid base64",
            ) from None
        if len(content) > MAX_DOCUMENT_BYTES:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                detail=f"content_base64: the document is {len(content)} bytes, the limit is "
                f"{MAX_DOCUMENT_BYTES} bytes",
            )
        digest = hashlib.sha256(content).hexdigest()
        existing = session.scalars(
            select(AgencyDocumentRow).where(
                AgencyDocumentRow.case_id == case.id,
                AgencyDocumentRow.document_id == document.document_id,
            )
        ).first()
        if existing is not None and existing.sha256 != digest:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail=f"document_id: {document.document_id!r} was already uploaded for case "
                f"{reference} with other content",
            )
        if existing is None:
            session.add(
                AgencyDocumentRow(
                    case_id=case.id,
                    agency=client.agency,
                    document_id=document.document_id,
                    filename=document.filename,
                    content_type=document.content_type,
                    sha256=digest,
                    size=len(content),
                    content=content,
                    received_at=utcnow(),
                )
            )
            session.flush()
        transfer.finish(
            records=1, body=body, summary=f"document {document.document_id} ({len(content)} B)"
        )
        out = DocumentOut(document_id=document.document_id, sha256=digest, size=len(content))
        return 201, out.model_dump()

    return transfer.answer(idempotency_key, body, produce)
