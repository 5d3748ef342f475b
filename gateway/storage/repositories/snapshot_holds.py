"""Snapshots held for confirmation by the plausibility guard (gateway.pipeline.snapshot_guard),
and the decisions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.storage.models import SnapshotHoldRow

__all__ = ["HoldNotPending", "SnapshotHolds"]

OPEN = ("held", "confirmed", "rejected")


class HoldNotPending(Exception):
    """The hold was decided already (or applied)."""


class SnapshotHolds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_snapshot(self, source: str, sha256: str | None, label: str) -> SnapshotHoldRow | None:
        """The undecided or decided-but-not-carried-out hold of this snapshot (by its hash,
        or by its label for a snapshot without one: an API run)."""
        query = select(SnapshotHoldRow).where(
            SnapshotHoldRow.source == source, SnapshotHoldRow.status.in_(OPEN)
        )
        if sha256:
            query = query.where(SnapshotHoldRow.sha256 == sha256)
        else:
            query = query.where(SnapshotHoldRow.sha256.is_(None), SnapshotHoldRow.label == label)
        return self.session.scalars(query.order_by(SnapshotHoldRow.id.desc())).first()

    def hold(
        self,
        *,
        source: str,
        label: str,
        sha256: str | None,
        transfer_id: int,
        reason: str,
        figures: dict[str, Any],
        now: datetime,
    ) -> SnapshotHoldRow:
        row = SnapshotHoldRow(
            source=source,
            label=label,
            sha256=sha256,
            transfer_id=transfer_id,
            status="held",
            reason=reason,
            figures=figures,
            created_at=now,
            decided_by="",
            decision_note="",
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, hold_id: int) -> SnapshotHoldRow | None:
        return self.session.get(SnapshotHoldRow, hold_id)

    def decide(
        self, hold_id: int, decision: str, by: str, note: str, now: datetime
    ) -> SnapshotHoldRow:
        """Confirm (`confirmed`) or reject (`rejected`) a held snapshot.

        Raises:
            LookupError: no such hold.
            HoldNotPending: it was decided already.
        """
        row = self.session.get(SnapshotHoldRow, hold_id, with_for_update=True)
        if row is None:
            raise LookupError(f"no held snapshot {hold_id}")
        if row.status != "held":
            raise HoldNotPending(
                f"snapshot hold {hold_id} is {row.status} already"
                + (f" (by {row.decided_by})" if row.decided_by else "")
            )
        row.status, row.decided_by, row.decided_at = decision, by, now
        row.decision_note = note
        return row

    def carried_out(self, row: SnapshotHoldRow, status: str, transfer_id: int) -> None:
        """The decision was carried out: `applied` (confirmed) or `set_aside` (rejected)."""
        row.status, row.applied_transfer_id = status, transfer_id

    def search(self, status: str | None = None, limit: int = 100) -> list[SnapshotHoldRow]:
        query = select(SnapshotHoldRow).order_by(SnapshotHoldRow.id.desc()).limit(limit)
        if status:
            query = query.where(SnapshotHoldRow.status == status)
        return list(self.session.scalars(query))
