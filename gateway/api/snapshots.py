"""/v1/snapshots/holds: snapshots held by the plausibility guard, and the decisions on them
(accounting, IT or an integrator confirms or rejects a held snapshot)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from gateway.api.deps import ReadSession, get_store
from gateway.api.security import ItUser, it_user, snapshot_user
from gateway.storage.database import Store
from gateway.storage.models import SnapshotHoldRow, utcnow
from gateway.storage.repositories.snapshot_holds import HoldNotPending, SnapshotHolds

__all__ = ["router"]

router = APIRouter(prefix="/v1/snapshots/holds", tags=["snapshots (IT, accounting)"])

HoldStatus = Literal["held", "confirmed", "rejected", "applied", "set_aside"]


class SnapshotHold(BaseModel):
    """A snapshot held for confirmation, and what was decided."""

    id: int
    source: str
    snapshot: str = Field(description="the file name or endpoint")
    sha256: str | None
    status: HoldStatus
    reason: str = Field(description="why it was held: what it would have taken away")
    figures: dict[str, Any]
    held_by_transfer: int
    held_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_note: str
    applied_by_transfer: int | None

    @classmethod
    def of(cls, row: SnapshotHoldRow) -> SnapshotHold:
        return cls(
            id=row.id,
            source=row.source,
            snapshot=row.label,
            sha256=row.sha256,
            status=row.status,
            reason=row.reason,
            figures=dict(row.figures),
            held_by_transfer=row.transfer_id,
            held_at=row.created_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            applied_by_transfer=row.applied_transfer_id,
        )


class Decision(BaseModel):
    note: str = Field(default="", max_length=2000, description="why (kept with the decision)")


@router.get("", summary="Held snapshots, newest first")
def list_holds(
    session: ReadSession,
    _user: Annotated[ItUser, Depends(it_user)],
    status_: Annotated[HoldStatus | None, Query(alias="status")] = None,
) -> list[SnapshotHold]:
    return [SnapshotHold.of(r) for r in SnapshotHolds(session).search(status_)]


def _decide(store: Store, hold_id: int, decision: str, user: str, note: str) -> SnapshotHold:
    try:
        with store.unit_of_work() as session:
            row = SnapshotHolds(session).decide(hold_id, decision, user, note, utcnow())
            return SnapshotHold.of(row)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except HoldNotPending as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


_ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such hold"},
    409: {"description": "decided already"},
}


@router.post(
    "/{hold_id}/confirm",
    summary="Confirm a held snapshot: the next extraction applies it as it is",
    responses=_ANSWERS,
)
def confirm(
    hold_id: int,
    decision: Decision,
    store: Annotated[Store, Depends(get_store)],
    user: Annotated[str, Depends(snapshot_user)],
) -> SnapshotHold:
    return _decide(store, hold_id, "confirmed", user, decision.note)


@router.post(
    "/{hold_id}/reject",
    summary="Reject a held snapshot: the next extraction sets it aside, unapplied",
    responses=_ANSWERS,
)
def reject(
    hold_id: int,
    decision: Decision,
    store: Annotated[Store, Depends(get_store)],
    user: Annotated[str, Depends(snapshot_user)],
) -> SnapshotHold:
    return _decide(store, hold_id, "rejected", user, decision.note)
