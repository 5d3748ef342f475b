"""POST /v1/cases/{reference}/approve | hold | dismiss | recall | reopen: accounting decides.

Each decision goes through `gateway.pipeline.cases.decisions.decide`, like the CLI's: it becomes an
event of the case (so it is in the timeline with who decided and why), and its ERP actions and
agency notices are written to the outbox in the request's transaction.

Every POST needs an `Idempotency-Key` header. The decision's id is derived from the user and
that key, so a request repeated with the same key (a retry after a timeout) is the same
decision and changes nothing a second time, and two people can never collide on a key.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.api.agency_auth import raw_body
from gateway.api.cases import Approval, Approvals, case_or_404
from gateway.api.deps import ConfigDep, StoreDep
from gateway.api.idempotency import RequestTarget, check_key, run_idempotent
from gateway.api.security import DecidingUser
from gateway.config import Config
from gateway.domain.cases import CaseState
from gateway.domain.events import EventKind
from gateway.pipeline.cases.decisions import Decision, DecisionRefused, decide
from gateway.pipeline.cases.webhooks import subscriptions
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.policies import ApprovalRepository

__all__ = ["DecisionAnswer", "DecisionRequest", "decision_id", "router"]

router = APIRouter(prefix="/v1/cases", tags=["cases (accounting)"])


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="1 to 200 characters, unique per decision (a UUID); a request "
            "repeated with the same key is the same decision",
        ),
    ] = None,
) -> str:
    return check_key(key)


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


class DecisionRequest(BaseModel):
    reason: str = Field(
        "", max_length=2000, description="why (kept in the case's history); required for hold"
    )


Reason = Annotated[DecisionRequest | None, Body()]
RawBody = Annotated[bytes, Depends(raw_body)]
Target = Annotated[RequestTarget, Depends(RequestTarget.of)]


class DecisionAnswer(BaseModel):
    reference: str
    decision: EventKind
    decided_by: str
    duplicate: bool = Field(
        description="true if this Idempotency-Key was used already: nothing was done again"
    )
    state_before: CaseState | None = Field(description="null for a duplicate")
    state: CaseState
    effect: str = Field(description="how the state machine took the decision (applied, ...)")
    approvals: Approvals
    erp_actions: int = Field(description="ERP actions queued in the outbox by this decision")
    agency_notices: int = Field(description="notices to the agency queued by this decision")


def decision_id(user: str, key: str) -> str:
    """The stable id of the decision `user` makes with Idempotency-Key `key` (the key is
    hashed: it may be long, and the id must fit the event's id column)."""
    return f"api:{user}:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}"


def _decide(
    store: Store,
    config: Config,
    reference: str,
    kind: EventKind,
    user: str,
    key: str,
    request: DecisionRequest | None,
    target: RequestTarget,
    body: bytes,
) -> Response:
    """Decide once per (user, Idempotency-Key): a repeat with the same key, path and body gets
    the first answer again (header `Idempotent-Replayed: true`); the key on another path (a
    recall of another case) or with another body is refused with 422. One
    unit of work, run again whole if the database aborts it to break a deadlock."""

    def work(session: Session) -> Response:
        def produce() -> tuple[int, Any]:
            answer = _decision(session, config, reference, kind, user, key, request)
            return 200, answer.model_dump(mode="json")

        return run_idempotent(
            session, client=f"user:{user}", key=key, target=target, body=body, produce=produce
        )

    return store.transact(work)


def _decision(
    session: Session,
    config: Config,
    reference: str,
    kind: EventKind,
    user: str,
    key: str,
    request: DecisionRequest | None,
) -> DecisionAnswer:
    reason = request.reason.strip() if request else ""
    if kind is EventKind.HELD and not reason:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "`reason`: a hold needs a reason"
        )
    case = case_or_404(session, reference)
    rules = {
        name: (setup.writeback.rules if setup.writeback else None)
        for name, setup in config.sources.items()
    }
    decision = Decision(kind, decision_id(user, key), utcnow(), user, reason)
    try:
        applied = decide(session, case, decision, rules, subscriptions(config))
    except DecisionRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except IntegrityError:
        # The same decision, being recorded by a concurrent request with the same key.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "a request with this Idempotency-Key is being processed; repeat it in a moment",
        ) from None
    approvals = ApprovalRepository(session).approvals(case.id)
    required = case.approvals_required
    return DecisionAnswer(
        reference=case.reference,
        decision=kind,
        decided_by=user,
        duplicate=applied.duplicate,
        state_before=applied.state_before,
        state=CaseState(case.state),
        effect=applied.effect or "duplicate",
        approvals=Approvals(
            required=required,
            given=[Approval(by=a.approver, at=a.approved_at) for a in approvals],
            missing=max(required - len(approvals), 0),
        ),
        erp_actions=applied.actions,
        agency_notices=applied.notices,
    )


_RESPONSES: dict[int | str, dict[str, str]] = {
    400: {"description": "no Idempotency-Key"},
    422: {"description": "Idempotency-Key already used for another request (path or body)"},
    404: {"description": "no such case"},
    409: {"description": "the decision does not fit the case's state (the message says why)"},
}


@router.post(
    "/{reference}/approve",
    response_model=DecisionAnswer,
    summary="Approve a proposed (or held) case for handover",
    description="Above the policy's amount a case needs two people: the first approval is "
    "recorded (`approvals.missing` says how many more), the second by someone else approves.",
    responses=_RESPONSES,
)
def approve(
    reference: str,
    user: DecidingUser,
    key: IdempotencyKey,
    store: StoreDep,
    config: ConfigDep,
    raw: RawBody,
    target: Target,
    body: Reason = None,
) -> Response:
    return _decide(store, config, reference, EventKind.APPROVED, user, key, body, target, raw)


@router.post(
    "/{reference}/hold",
    response_model=DecisionAnswer,
    summary="Hold a proposed case back (approve it later); a reason is required",
    responses={
        **_RESPONSES,
        422: {"description": "no reason, or Idempotency-Key already used for another request"},
    },
)
def hold(
    reference: str,
    user: DecidingUser,
    key: IdempotencyKey,
    store: StoreDep,
    config: ConfigDep,
    raw: RawBody,
    target: Target,
    body: Reason = None,
) -> Response:
    return _decide(store, config, reference, EventKind.HELD, user, key, body, target, raw)


@router.post(
    "/{reference}/dismiss",
    response_model=DecisionAnswer,
    summary="Decide against handing a proposed case over (closes it)",
    responses=_RESPONSES,
)
def dismiss(
    reference: str,
    user: DecidingUser,
    key: IdempotencyKey,
    store: StoreDep,
    config: ConfigDep,
    raw: RawBody,
    target: Target,
    body: Reason = None,
) -> Response:
    return _decide(store, config, reference, EventKind.DISMISSED, user, key, body, target, raw)


@router.post(
    "/{reference}/recall",
    response_model=DecisionAnswer,
    summary="Recall a case from the agency",
    description="The agency gets a recall notice and the ERP's dunning takes the items back "
    "(dunning block cleared). A case not yet handed over is dismissed.",
    responses=_RESPONSES,
)
def recall(
    reference: str,
    user: DecidingUser,
    key: IdempotencyKey,
    store: StoreDep,
    config: ConfigDep,
    raw: RawBody,
    target: Target,
    body: Reason = None,
) -> Response:
    return _decide(store, config, reference, EventKind.RECALL, user, key, body, target, raw)


@router.post(
    "/{reference}/reopen",
    response_model=DecisionAnswer,
    summary="Reopen a closed case",
    responses=_RESPONSES,
)
def reopen(
    reference: str,
    user: DecidingUser,
    key: IdempotencyKey,
    store: StoreDep,
    config: ConfigDep,
    raw: RawBody,
    target: Target,
    body: Reason = None,
) -> Response:
    return _decide(store, config, reference, EventKind.REOPEN, user, key, body, target, raw)
