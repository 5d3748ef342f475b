"""/v1/transfers: the transfer log for IT, the records each transfer rejected, and retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from gateway.api.deps import ConfigDep, ReadSession, get_store
from gateway.api.idempotency import OptionalKey, RequestTarget, run_detached
from gateway.api.security import ItUser, it_user
from gateway.ops.retry import RetryRefused, retry_transfer
from gateway.storage.database import Store
from gateway.storage.models import TransferRow, utcnow
from gateway.storage.repositories.transfers import TransferFilter, TransferLog

__all__ = ["router"]

router = APIRouter(prefix="/v1/transfers", tags=["transfers (IT)"])

Direction = Literal["inbound", "outbound"]
TransferStatus = Literal["running", "ok", "partial", "failed", "skipped", "interrupted", "held"]


class Transfer(BaseModel):
    """One movement of data across the boundary."""

    id: int
    direction: str
    kind: str
    channel: str
    partner: str
    location: str
    status: str
    records: int
    rejected: int
    bytes: int | None
    sha256: str | None
    error: str
    summary: str
    started_at: datetime
    finished_at: datetime | None
    run_id: int | None

    @classmethod
    def of(cls, row: TransferRow) -> Transfer:
        return cls(
            id=row.id,
            direction=row.direction,
            kind=row.kind,
            channel=row.channel,
            partner=row.partner,
            location=row.location,
            status=row.status,
            records=row.records,
            rejected=row.rejected,
            bytes=row.bytes,
            sha256=row.sha256,
            error=row.error,
            summary=row.summary,
            started_at=row.started_at,
            finished_at=row.finished_at,
            run_id=row.run_id,
        )


class TransferPage(BaseModel):
    transfers: list[Transfer]
    next_before_id: int | None = Field(
        description="pass as `before_id` for the next (older) page; null on the last page"
    )


class RejectedRecord(BaseModel):
    """A record the transfer set aside, where it was, which fields failed and why."""

    position: str
    fields: list[str]
    reason: str
    record: Any = Field(description="the record as received")


class TransferDetail(Transfer):
    rejected_records: list[RejectedRecord]
    rejected_shown: int = Field(description="how many of `rejected` are listed (at most 1,000)")


class RetryAnswer(BaseModel):
    transfer_id: int
    kind: str
    partner: str
    action: Literal["requeued", "pending", "nothing"]
    detail: str
    messages: int


def _raw(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


@router.get("", summary="The transfer log, newest first, with filters")
def list_transfers(
    session: ReadSession,
    _user: Annotated[ItUser, Depends(it_user)],
    partner: str | None = None,
    direction: Direction | None = None,
    status_: Annotated[TransferStatus | None, Query(alias="status")] = None,
    kind: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description="started at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="started before")] = None,
    before_id: Annotated[int | None, Query(ge=1, description="older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> TransferPage:
    if since and until and since >= until:
        raise HTTPException(422, "`since` must be before `until`")
    rows = TransferLog(session).search(
        TransferFilter(
            partner=partner,
            direction=direction,
            status=status_,
            kind=kind,
            since=since.astimezone(UTC) if since else None,
            until=until.astimezone(UTC) if until else None,
            before_id=before_id,
            limit=limit + 1,
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return TransferPage(
        transfers=[Transfer.of(r) for r in rows],
        next_before_id=rows[-1].id if more and rows else None,
    )


@router.get(
    "/{transfer_id}",
    summary="One transfer, with the records it rejected and why",
    responses={404: {"description": "no such transfer"}},
)
def get_transfer(
    transfer_id: int, session: ReadSession, _user: Annotated[ItUser, Depends(it_user)]
) -> TransferDetail:
    log = TransferLog(session)
    row = log.get(transfer_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no transfer {transfer_id}")
    rejected = [
        RejectedRecord(
            position=q.position,
            fields=[f for f in q.fields.split(",") if f],
            reason=q.reason,
            record=_raw(q.raw),
        )
        for q in log.quarantined(transfer_id)
    ]
    return TransferDetail(
        **Transfer.of(row).model_dump(), rejected_records=rejected, rejected_shown=len(rejected)
    )


@router.post(
    "/{transfer_id}/retry",
    response_model=RetryAnswer,
    summary="Put back in the queue what a failed transfer did not move",
    description=(
        "An inbound file set aside goes back into the inbox; a failed handover batch stays "
        "pending and is delivered again by the next handover; dead or waiting write-back "
        "actions and notices of the partner are made due now. The next run does the rest "
        "(or run its job now with POST /v1/jobs/{name}/run). With an `Idempotency-Key`, the "
        "request repeated with that key gets the first answer again (header "
        "`Idempotent-Replayed: true`) and retries nothing a second time."
    ),
    responses={
        400: {"description": "Idempotency-Key longer than 200 characters"},
        404: {"description": "no such transfer"},
        409: {"description": "not retryable, or a request with this key is in progress"},
        422: {"description": "Idempotency-Key already used for another request"},
    },
)
def retry(
    transfer_id: int,
    request: Request,
    config: ConfigDep,
    store: Annotated[Store, Depends(get_store)],
    user: Annotated[ItUser, Depends(it_user)],
    idempotency_key: OptionalKey = None,
) -> Response:
    def produce() -> tuple[int, Any]:
        try:
            result = retry_transfer(config, store, transfer_id, utcnow())
        except LookupError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except RetryRefused as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        answer = RetryAnswer(
            transfer_id=result.transfer_id,
            kind=result.kind,
            partner=result.partner,
            action=result.action,
            detail=result.detail,
            messages=result.messages,
        )
        return status.HTTP_200_OK, answer.model_dump(mode="json")

    if idempotency_key is None:
        code, answer = produce()
        return JSONResponse(answer, code)
    return run_detached(
        store,
        client=f"user:{user.name}",
        key=idempotency_key,
        target=RequestTarget.of(request),
        body=b"",
        produce=produce,
    )
