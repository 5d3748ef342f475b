"""Operations: run leases of scheduled jobs, their run history, and alert states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = ["AlertStateRow", "JobLeaseRow", "JobRunRow", "ProcessPresenceRow"]


class JobLeaseRow(Base):
    """One row per job: the newest slot decided (run or missed) and the lease of the run in
    progress. Every change bumps `version` and is made with `WHERE version = <as read>`, so
    that of several processes deciding at once exactly one succeeds (see gateway.ops.jobs.leases).
    """

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    last_slot: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JobRunRow(Base):
    """A run of a job (or a slot that was missed): when, by whom, how it ended, what it did."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "slot", "attempt"),
        Index(None, "status"),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # cycle, extract, ..., purge
    target: Mapped[str | None] = mapped_column(String(64), nullable=True)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual | takeover
    slot: Mapped[datetime] = mapped_column(UtcDateTime)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    owner: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16))  # running|ok|failed|missed|abandoned
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")


class AlertStateRow(Base):
    """A condition that alerts (a partner's transfers failing, dead letters, ...): whether it
    fires, and whether the change still has to be notified. Changes are made like job leases,
    with a version, so that several processes notify each change once."""

    __tablename__ = "alert_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(32))
    firing: Mapped[bool] = mapped_column(Boolean, default=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")
    notice_pending: Mapped[bool] = mapped_column(Boolean, default=True)
    notice_claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    notice_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Channels (webhook, email) that have the current notice already: a retry after one of
    # them failed does not send it twice to the other.
    notified_channels: Mapped[str] = mapped_column(String(64), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProcessPresenceRow(Base):
    """A process that proves it is alive by an advisory lock (PostgreSQL): only a process
    named here can be told dead (see gateway.storage.presence)."""

    __tablename__ = "process_presence"

    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(128), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
