"""/v1/agency/notices: recalls and direct payments the calling agency must take into account,
readable until acknowledged (see gateway.storage.repositories.agency_pull)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from gateway.api.agency_auth import NoticesReader, raw_body
from gateway.api.agency_events import _ERRORS, IdempotencyKey
from gateway.api.agency_models import AckResult, NoticeAck, NoticeList, NoticeOut
from gateway.api.agency_requests import RequestTransfer
from gateway.api.deps import WriteSession
from gateway.domain.money import minor_to_decimal
from gateway.storage.models import utcnow
from gateway.storage.repositories.agency_pull import AgencyPull

__all__ = ["router"]

router = APIRouter(prefix="/v1/agency", tags=["agency"])


def notice_view(payload: dict[str, Any]) -> NoticeOut:
    amount = payload.get("amount")
    return NoticeOut(
        notice_id=payload["notice_id"],
        kind=payload["kind"],
        case_reference=payload["case_reference"],
        occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        amount=minor_to_decimal(int(amount[0]), amount[1]) if amount else None,
        currency=amount[1] if amount else "",
        company_code=payload.get("company_code", ""),
        document_number=payload.get("document_number", ""),
        fiscal_year=payload.get("fiscal_year"),
        line_item=payload.get("line_item", ""),
        note=payload.get("note", ""),
    )


@router.get(
    "/notices",
    response_model=NoticeList,
    summary="Recalls and direct payments not acknowledged yet",
    responses=_ERRORS,
)
def notices(
    request: Request,
    client: NoticesReader,
    session: WriteSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> NoticeList:
    """Oldest first. A recall means: stop working the case and confirm with a `returned`
    event; a direct payment means the debtor paid the creditor that amount."""
    transfer = RequestTransfer(session, client, request)
    rows = AgencyPull(session).notices(client.agency, limit)
    listed = [notice_view(dict(row.payload)) for row in rows]
    transfer.finish(records=len(listed), summary=f"{len(listed)} notices listed")
    return NoticeList(notices=listed)


@router.post(
    "/notices/ack",
    response_model=AckResult,
    summary="Acknowledge notices",
    responses=_ERRORS,
)
def ack_notices(
    ack: NoticeAck,
    request: Request,
    client: NoticesReader,
    session: WriteSession,
    body: Annotated[bytes, Depends(raw_body)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    transfer = RequestTransfer(session, client, request)

    def produce() -> tuple[int, Any]:
        done, unknown = AgencyPull(session).ack_notices(client.agency, ack.notice_ids, utcnow())
        transfer.finish(
            records=len(done), rejected=len(unknown), body=body, summary=f"{len(done)} acknowledged"
        )
        return 200, AckResult(acknowledged=done, unknown=unknown).model_dump()

    return transfer.answer(idempotency_key, body, produce)
