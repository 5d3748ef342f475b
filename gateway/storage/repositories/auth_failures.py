"""Failed authentications per key, in fixed windows, counted atomically in the database.

A window starts with the first failure of a key and lasts `window`; a failure after it starts
a new one. Counting is one UPDATE (the row's own values decide whether the window is over), so
that concurrent failures in several processes all count; the first failure of a key inserts
its row, and a concurrent insert of the same key falls back to the UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.storage.models import AuthFailureRow

__all__ = ["AuthFailures", "FailureCount"]


@dataclass(frozen=True, slots=True)
class FailureCount:
    key: str
    failures: int
    window_started_at: datetime


class AuthFailures:
    def __init__(self, session: Session) -> None:
        self.session = session

    def current(self, keys: Iterable[str], now: datetime, window: timedelta) -> list[FailureCount]:
        """The counts of `keys` whose window is not over."""
        wanted = list(keys)
        if not wanted:
            return []
        rows = self.session.scalars(
            select(AuthFailureRow).where(
                AuthFailureRow.key.in_(wanted), AuthFailureRow.window_started_at > now - window
            )
        )
        return [FailureCount(r.key, r.failures, r.window_started_at) for r in rows]

    def record(self, key: str, now: datetime, window: timedelta) -> FailureCount:
        """Count one failure of `key`; its count and window afterwards."""
        over = AuthFailureRow.window_started_at <= now - window
        counted = self.session.execute(
            update(AuthFailureRow)
            .where(AuthFailureRow.key == key)
            .values(
                failures=case((over, 1), else_=AuthFailureRow.failures + 1),
                window_started_at=case((over, now), else_=AuthFailureRow.window_started_at),
            )
            .returning(AuthFailureRow.failures, AuthFailureRow.window_started_at)
            .execution_options(synchronize_session=False)
        ).first()
        if counted is None:
            try:
                with self.session.begin_nested():
                    self.session.add(AuthFailureRow(key=key, window_started_at=now, failures=1))
                return FailureCount(key, 1, now)
            except IntegrityError:  # inserted meanwhile by another process: count on it
                return self.record(key, now, window)
        return FailureCount(key, counted[0], counted[1])

    def clear(self, key: str) -> None:
        self.session.execute(delete(AuthFailureRow).where(AuthFailureRow.key == key))

    def forget_before(self, cutoff: datetime) -> int:
        """Delete the rows whose window started before `cutoff` (over, they count nothing)."""
        result = self.session.execute(
            delete(AuthFailureRow).where(AuthFailureRow.window_started_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
