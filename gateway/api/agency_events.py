"""POST /v1/agency/events and /events/batch: agencies report status changes and payments.

Both go through `gateway.pipeline.returns.posted` (the state machine: duplicates are no-ops,
late events are applied in their own time order, events on closed cases are flagged), inside
an idempotent POST (`gateway.api.idempotency`). Each request is one unit of work run by
`Store.transact`: the cases it names are locked, and a request the database aborts to break a
deadlock is run again whole; its answer is sent once it is committed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from pydantic import ValidationError
from sqlalchemy.orm import Session

from gateway.api.agency_auth import AgencyClient, EventsWriter, raw_body
from gateway.api.agency_models import (
    AgencyEvent,
    BatchResult,
    ConflictAnswer,
    EventBatch,
    EventResult,
    StoredEvent,
    validation_message,
)
from gateway.api.agency_requests import RequestTransfer
from gateway.api.deps import ConfigDep, StoreDep
from gateway.config import Config
from gateway.pipeline.returns.conflicts import EventConflict
from gateway.pipeline.returns.posted import EventOutcome, ReportedEvent, apply_agency_events
from gateway.storage.models import utcnow
from gateway.storage.repositories.transfers import Quarantined, TransferLog

__all__ = ["router"]

router = APIRouter(prefix="/v1/agency", tags=["agency"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="required: a unique string per request (1-200 characters)",
    ),
]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Idempotency-Key missing"},
    401: {"description": "missing, unknown or revoked key; bad or stale signature"},
    403: {"description": "the key lacks the scope events:write"},
    413: {"description": "request body too large"},
    422: {"description": "invalid body, or Idempotency-Key reused with another body"},
    429: {"description": "rate limit exceeded (see Retry-After)"},
}


def _writeback_rules(config: Any) -> dict[str, Any]:
    return {
        name: (setup.writeback.rules if setup.writeback else None)
        for name, setup in config.sources.items()
    }


def _result(outcome: EventOutcome, *, with_index: bool) -> EventResult:
    return EventResult(
        event_id=outcome.event_id,
        case_reference=outcome.case_reference,
        result=outcome.result,
        state=outcome.state,
        message=outcome.message or None,
        index=outcome.index if with_index else None,
        stored=StoredEvent(**outcome.conflict.stored) if outcome.conflict else None,
    )


def conflict_answer(conflict: EventConflict) -> tuple[int, Any]:
    """409 with the stored version, for an event re-sent with other values."""
    answer = ConflictAnswer(
        detail=conflict.message,
        fields=list(conflict.fields),
        stored=StoredEvent(**conflict.stored),
    )
    return status.HTTP_409_CONFLICT, answer.model_dump(mode="json", exclude_none=True)


def conflict_record(index: int, conflict: EventConflict, raw: Any) -> Quarantined:
    """The changed version of an event, set aside in the transfer log with what differs."""
    return Quarantined(str(index), conflict.message, ("event_id", *conflict.fields), raw)


@router.post(
    "/events",
    status_code=status.HTTP_201_CREATED,
    response_model=EventResult,
    response_model_exclude_none=True,
    summary="Report one event",
    responses={
        200: {"description": "a duplicate of an event already received", "model": EventResult},
        404: {"description": "no case of the calling agency has this reference"},
        409: {
            "description": "the event id was received before with other values: the stored "
            "version is kept and returned, this one is not applied",
            "model": ConflictAnswer,
        },
        **_ERRORS,
    },
)
def post_event(
    event: AgencyEvent,
    request: Request,
    client: EventsWriter,
    store: StoreDep,
    config: ConfigDep,
    body: Annotated[bytes, Depends(raw_body)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Report a status change, a payment or a message about one case. 201 when it was
    recorded (`applied`, or `flagged` when it needs accounting's attention, e.g. an event
    after the case was closed); 200 with `duplicate` when the event id was already received
    with the same values, 409 with the stored version when it was received with other values
    (the first version is kept; the conflict is in the transfer log). An event that does not
    fit its case (another currency, parts that do not add up) is
    refused with 422, an unknown case with 404; both are kept in the transfer log."""
    return store.transact(
        lambda session: _post_event(session, event, request, client, config, body, idempotency_key)
    )


def _post_event(
    session: Session,
    event: AgencyEvent,
    request: Request,
    client: AgencyClient,
    config: Config,
    body: bytes,
    idempotency_key: str | None,
) -> Response:
    transfer = RequestTransfer(session, client, request)

    def produce() -> tuple[int, Any]:
        reported = ReportedEvent(0, event.event_id, event.case_reference, event.values())
        (outcome,) = apply_agency_events(
            session, client.agency, [reported], _writeback_rules(config), utcnow(), transfer.id
        )
        if outcome.result == "rejected":
            # Kept like a rejected line of a file (IT sees it), and answered as such again if
            # the agency repeats the request with the same key.
            TransferLog(session).quarantine(
                transfer.id,
                client.agency,
                "POST /v1/agency/events",
                [
                    Quarantined(
                        "0",
                        outcome.message,
                        tuple(_fields(outcome.message)),
                        event.model_dump(mode="json"),
                    )
                ],
            )
            transfer.finish(rejected=1, body=body, summary=f"event {event.event_id}: rejected")
            code = 404 if outcome.message.startswith("case_reference:") else 422
            return code, {"detail": outcome.message}
        if outcome.conflict is not None:
            TransferLog(session).quarantine(
                transfer.id,
                client.agency,
                "POST /v1/agency/events",
                [conflict_record(0, outcome.conflict, event.model_dump(mode="json"))],
            )
            transfer.finish(rejected=1, body=body, summary=f"event {event.event_id}: conflict")
            return conflict_answer(outcome.conflict)
        transfer.finish(records=1, body=body, summary=f"event {event.event_id}: {outcome.result}")
        answer = _result(outcome, with_index=False).model_dump(mode="json", exclude_none=True)
        return (200 if outcome.result == "duplicate" else 201), answer

    return transfer.answer(idempotency_key, body, produce)


@router.post(
    "/events/batch",
    response_model=BatchResult,
    response_model_exclude_none=True,
    summary="Report up to 5000 events at once",
    responses=_ERRORS,
)
def post_events_batch(
    batch: EventBatch,
    request: Request,
    client: EventsWriter,
    store: StoreDep,
    config: ConfigDep,
    body: Annotated[bytes, Depends(raw_body)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Apply many events in one transaction, in the order given (the state machine orders
    them by `occurred_at` anyway). A bad event is rejected alone (`result: rejected` with its
    `index` and a `message` naming the field); an event id received before with other values
    is `result: conflict` with the `stored` version (not applied); the others are applied."""
    return store.transact(
        lambda session: _post_events_batch(
            session, batch, request, client, config, body, idempotency_key
        )
    )


def _post_events_batch(
    session: Session,
    batch: EventBatch,
    request: Request,
    client: AgencyClient,
    config: Config,
    body: bytes,
    idempotency_key: str | None,
) -> Response:
    transfer = RequestTransfer(session, client, request)

    def produce() -> tuple[int, Any]:
        reported: list[ReportedEvent] = []
        for index, raw in enumerate(batch.events):
            event_id = str(raw.get("event_id", ""))
            reference = str(raw.get("case_reference", ""))
            try:
                values = AgencyEvent.model_validate(raw).values()
            except ValidationError as exc:
                reported.append(
                    ReportedEvent(index, event_id, reference, None, validation_message(exc))
                )
                continue
            reported.append(ReportedEvent(index, event_id, reference, values))
        outcomes = apply_agency_events(
            session, client.agency, reported, _writeback_rules(config), utcnow(), transfer.id
        )
        counts = {"applied": 0, "duplicate": 0, "flagged": 0, "rejected": 0, "conflict": 0}
        for outcome in outcomes:
            counts[outcome.result] += 1
        set_aside = [
            Quarantined(str(o.index), o.message, tuple(_fields(o.message)), batch.events[o.index])
            if o.conflict is None
            else conflict_record(o.index, o.conflict, batch.events[o.index])
            for o in outcomes
            if o.result in ("rejected", "conflict")
        ]
        if set_aside:
            TransferLog(session).quarantine(
                transfer.id, client.agency, "POST /v1/agency/events/batch", set_aside
            )
        transfer.finish(
            records=len(outcomes) - len(set_aside),
            rejected=len(set_aside),
            body=body,
            summary=(
                f"{len(outcomes)} events: {counts['applied']} applied, {counts['duplicate']} "
                f"already known, {counts['flagged']} flagged, {counts['rejected']} rejected, "
                f"{counts['conflict']} in conflict with the version received before"
            ),
        )
        result = BatchResult(
            results=[_result(o, with_index=True) for o in outcomes],
            applied=counts["applied"],
            duplicates=counts["duplicate"],
            flagged=counts["flagged"],
            rejected=counts["rejected"],
            conflicts=counts["conflict"],
        )
        return 200, result.model_dump(mode="json", exclude_none=True)

    return transfer.answer(idempotency_key, body, produce)


def _fields(message: str) -> list[str]:
    """The field names a rejection message starts its parts with (`amount: ...; fees: ...`)."""
    return [part.split(":", 1)[0].strip() for part in message.split("; ") if ":" in part]
