"""The transfer log, quarantined records and the files already received."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gateway.storage.models import QuarantinedRecordRow, ReceivedFileRow, TransferRow, utcnow

__all__ = ["Quarantined", "TransferFilter", "TransferLog"]

QUARANTINE_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record set aside: where it was, which fields failed, why, and the record itself."""

    position: str
    reason: str
    fields: Sequence[str] = ()
    raw: Any = None


@dataclass(frozen=True, slots=True)
class TransferFilter:
    partner: str | None = None
    direction: str | None = None
    status: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50


def _raw_json(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, dict):
        return json.dumps(raw, default=str, ensure_ascii=False)
    return json.dumps(list(raw), default=str, ensure_ascii=False)


class TransferLog:
    """Reads and writes the transfer log within the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start(
        self,
        *,
        direction: str,
        kind: str,
        channel: str,
        partner: str,
        location: str = "",
        run_id: int | None = None,
        owner: str = "",
    ) -> TransferRow:
        row = TransferRow(
            run_id=run_id,
            direction=direction,
            kind=kind,
            channel=channel,
            partner=partner,
            location=location,
            status="running",
            records=0,
            rejected=0,
            error="",
            summary="",
            started_at=utcnow(),
            owner=owner,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, transfer_id: int) -> TransferRow | None:
        return self.session.get(TransferRow, transfer_id)

    def finish(
        self,
        transfer_id: int,
        *,
        status: str,
        records: int = 0,
        rejected: int = 0,
        bytes_: int | None = None,
        sha256: str | None = None,
        location: str | None = None,
        channel: str | None = None,
        error: str = "",
        summary: str = "",
    ) -> TransferRow:
        row = self.session.get(TransferRow, transfer_id)
        if row is None:
            raise LookupError(f"transfer {transfer_id} does not exist")
        row.status = status
        row.records = records
        row.rejected = rejected
        row.bytes = bytes_ if bytes_ is not None else row.bytes
        row.sha256 = sha256 if sha256 is not None else row.sha256
        if location is not None:
            row.location = location
        if channel is not None:
            row.channel = channel
        row.error = error
        row.summary = summary
        row.finished_at = utcnow()
        return row

    def interrupted(self, alive: Callable[[str], bool | None]) -> list[TransferRow]:
        """Mark `interrupted` the transfers left `running` by processes that are gone for
        sure (`alive(owner)` is False); returns them. A transfer of a process that may still
        live, or whose process cannot be told, is left as it is."""
        running = self.session.scalars(
            select(TransferRow).where(TransferRow.status == "running", TransferRow.owner != "")
        ).all()
        verdicts: dict[str, bool | None] = {}
        now = utcnow()
        marked = []
        for row in running:
            if row.owner not in verdicts:
                verdicts[row.owner] = alive(row.owner)
            if verdicts[row.owner] is not False:
                continue
            row.status = "interrupted"
            row.finished_at = now
            row.error = (
                f"interrupted: the process {row.owner} stopped (killed or crashed) before the "
                "transfer ended; what it had not committed was rolled back, and the next run "
                "does it again"
            )
            marked.append(row)
        return marked

    def quarantine(
        self, transfer_id: int, partner: str, location: str, records: Sequence[Quarantined]
    ) -> None:
        now = utcnow()
        rows = [
            {
                "transfer_id": transfer_id,
                "partner": partner,
                "location": location,
                "position": r.position,
                "fields": ",".join(r.fields),
                "reason": r.reason,
                "raw": _raw_json(r.raw),
                "created_at": now,
            }
            for r in records
        ]
        for start in range(0, len(rows), QUARANTINE_BATCH):
            self.session.execute(
                insert(QuarantinedRecordRow), rows[start : start + QUARANTINE_BATCH]
            )

    def quarantined(self, transfer_id: int, limit: int = 1_000) -> list[QuarantinedRecordRow]:
        query = (
            select(QuarantinedRecordRow)
            .where(QuarantinedRecordRow.transfer_id == transfer_id)
            .order_by(QuarantinedRecordRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def received(self, partner: str, kind: str, sha256: str) -> ReceivedFileRow | None:
        query = select(ReceivedFileRow).where(
            ReceivedFileRow.partner == partner,
            ReceivedFileRow.kind == kind,
            ReceivedFileRow.sha256 == sha256,
        )
        return self.session.scalars(query).first()

    def record_received(
        self, partner: str, kind: str, name: str, sha256: str, size: int, transfer_id: int
    ) -> None:
        self.session.add(
            ReceivedFileRow(
                partner=partner,
                kind=kind,
                name=name,
                sha256=sha256,
                size=size,
                transfer_id=transfer_id,
                received_at=utcnow(),
            )
        )

    def search(self, where: TransferFilter) -> list[TransferRow]:
        query = select(TransferRow).order_by(TransferRow.id.desc()).limit(where.limit)
        if where.partner:
            query = query.where(TransferRow.partner == where.partner)
        if where.direction:
            query = query.where(TransferRow.direction == where.direction)
        if where.status:
            query = query.where(TransferRow.status == where.status)
        if where.kind:
            query = query.where(TransferRow.kind == where.kind)
        if where.since:
            query = query.where(TransferRow.started_at >= where.since)
        if where.until:
            query = query.where(TransferRow.started_at < where.until)
        if where.before_id:
            query = query.where(TransferRow.id < where.before_id)
        return list(self.session.scalars(query))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(TransferRow)) or 0)
