"""Alert states: which conditions fire, and which changes still have to be notified."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gateway.storage.inserts import insert_new
from gateway.storage.models import AlertStateRow

__all__ = ["AlertState", "AlertStates"]


@dataclass(frozen=True, slots=True)
class AlertState:
    """An alert state row as read (its `version` guards the change that follows)."""

    key: str
    version: int
    kind: str
    firing: bool
    since: datetime
    summary: str
    notice_pending: bool
    notice_attempts: int
    notified_channels: frozenset[str]


def _state(row: AlertStateRow) -> AlertState:
    channels = frozenset(c for c in row.notified_channels.split(",") if c)
    return AlertState(
        row.key,
        row.version,
        row.kind,
        row.firing,
        row.since,
        row.summary,
        row.notice_pending,
        row.notice_attempts,
        channels,
    )


class AlertStates:
    """Reads and changes alert states within the caller's unit of work; every change is a
    conditional UPDATE on the version read before (one process wins)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[str, AlertState]:
        rows = self.session.scalars(
            select(AlertStateRow)
            .order_by(AlertStateRow.key)
            .execution_options(populate_existing=True)
        )
        return {r.key: _state(r) for r in rows}

    def rows(self) -> list[AlertStateRow]:
        return list(self.session.scalars(select(AlertStateRow).order_by(AlertStateRow.key)))

    def open(self, key: str, kind: str, summary: str, now: datetime) -> bool:
        """A condition fires for the first time; False if another process recorded it."""
        return insert_new(
            self.session,
            AlertStateRow.__table__,  # type: ignore[arg-type]
            {
                "key": key,
                "version": 0,
                "kind": kind,
                "firing": True,
                "since": now,
                "summary": summary,
                "notice_pending": True,
                "notice_attempts": 0,
                "notified_channels": "",
                "last_error": "",
                "updated_at": now,
            },
            ("key",),
        )

    def change(self, seen: AlertState, now: datetime, **values: Any) -> bool:
        result = self.session.execute(
            update(AlertStateRow)
            .where(AlertStateRow.key == seen.key, AlertStateRow.version == seen.version)
            .values(version=AlertStateRow.version + 1, updated_at=now, **values)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def due_notices(self, now: datetime) -> list[AlertState]:
        rows = self.session.scalars(
            select(AlertStateRow)
            .where(
                AlertStateRow.notice_pending.is_(True),
                or_(
                    AlertStateRow.notice_claimed_until.is_(None),
                    AlertStateRow.notice_claimed_until <= now,
                ),
            )
            .order_by(AlertStateRow.key)
            .execution_options(populate_existing=True)
        )
        return [_state(r) for r in rows]
