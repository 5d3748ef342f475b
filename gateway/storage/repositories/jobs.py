"""Run leases of scheduled jobs and their run history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from gateway.storage.models import JobLeaseRow, JobRunRow, TransferRow

__all__ = ["JobLeases", "JobRuns", "LeaseView"]


@dataclass(frozen=True, slots=True)
class LeaseView:
    """A job's lease row as read (its `version` guards the change that follows)."""

    name: str
    version: int
    last_slot: datetime | None
    run_id: int | None
    owner: str | None
    lease_until: datetime | None

    def held(self, now: datetime) -> bool:
        """A run holds the lease and has renewed it in time."""
        return self.lease_until is not None and self.lease_until > now

    def expired(self, now: datetime) -> bool:
        """A run held the lease but stopped renewing it: its process is gone."""
        return self.lease_until is not None and self.lease_until <= now


# Leases are read and changed with Core statements on the table, not through the ORM: a claim
# happens on every slot in every process, and the ORM's bookkeeping tripled its cost.
_LEASES = cast(Table, JobLeaseRow.__table__)
_RUNS = cast(Table, JobRunRow.__table__)
_VIEW = (
    _LEASES.c.name,
    _LEASES.c.version,
    _LEASES.c.last_slot,
    _LEASES.c.run_id,
    _LEASES.c.owner,
    _LEASES.c.lease_until,
)


class JobLeases:
    """The lease rows, within the caller's unit of work.

    Every change is a conditional UPDATE on the version read before; its row count says
    whether this process won: 1 it did, 0 another process changed the row first.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure(self, names: Iterable[str], now: datetime) -> None:
        """Create the rows of jobs that have none (a concurrent creation is harmless)."""
        wanted = sorted(set(names))
        if not wanted:
            return
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        statement = upsert(_LEASES).on_conflict_do_nothing(index_elements=["name"])
        self.session.execute(
            statement, [{"name": n, "version": 0, "updated_at": now} for n in wanted]
        )

    def read(self, name: str) -> LeaseView | None:
        row = self.session.execute(select(*_VIEW).where(_LEASES.c.name == name)).first()
        return LeaseView(*row) if row is not None else None

    def read_or_create(self, name: str, now: datetime) -> LeaseView:
        view = self.read(name)
        if view is None:
            self.ensure([name], now)
            view = self.read(name)
        if view is None:  # pragma: no cover - ensure() just wrote it
            raise LookupError(f"the lease row of job {name} could not be created")
        return view

    def all(self) -> list[LeaseView]:
        rows = self.session.execute(select(*_VIEW).order_by(_LEASES.c.name))
        return [LeaseView(*row) for row in rows]

    def change(self, seen: LeaseView, now: datetime, **values: Any) -> bool:
        """Apply `values` if the row is still as `seen`; whether it was."""
        result = self.session.execute(
            update(_LEASES)
            .where(_LEASES.c.name == seen.name, _LEASES.c.version == seen.version)
            .values(version=_LEASES.c.version + 1, updated_at=now, **values)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def set_run(self, name: str, run_id: int) -> None:
        """Name the run that holds the lease (right after winning it, same transaction)."""
        self.session.execute(update(_LEASES).where(_LEASES.c.name == name).values(run_id=run_id))

    def renew(self, name: str, run_id: int, owner: str, until: datetime, now: datetime) -> bool:
        """Push the lease of a running run further; False if the run no longer holds it."""
        result = self.session.execute(
            update(_LEASES)
            .where(
                _LEASES.c.name == name,
                _LEASES.c.run_id == run_id,
                _LEASES.c.owner == owner,
                _LEASES.c.lease_until.is_not(None),
            )
            .values(version=_LEASES.c.version + 1, lease_until=until, updated_at=now)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def release(self, name: str, run_id: int, owner: str, now: datetime) -> bool:
        """Free the lease at the end of a run; False if another process had taken it."""
        result = self.session.execute(
            update(_LEASES)
            .where(_LEASES.c.name == name, _LEASES.c.run_id == run_id, _LEASES.c.owner == owner)
            .values(version=_LEASES.c.version + 1, lease_until=None, owner=None, updated_at=now)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]


class JobRuns:
    """The run history, within the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        job: str,
        kind: str,
        target: str | None,
        trigger: str,
        slot: datetime,
        attempt: int,
        owner: str,
        status: str,
        now: datetime,
        error: str = "",
        counts: dict[str, Any] | None = None,
    ) -> int:
        """Insert a run (or a missed slot); returns its id."""
        statement = (
            insert(_RUNS)
            .values(
                job=job,
                kind=kind,
                target=target,
                trigger=trigger,
                slot=slot,
                attempt=attempt,
                owner=owner,
                status=status,
                started_at=now,
                finished_at=None if status == "running" else now,
                counts=counts or {},
                error=error,
            )
            .returning(_RUNS.c.id)
        )
        return int(self.session.execute(statement).scalar_one())

    def get(self, run_id: int) -> JobRunRow | None:
        return self.session.get(JobRunRow, run_id, populate_existing=True)

    def finish(
        self, run_id: int, *, status: str, counts: dict[str, Any], error: str, now: datetime
    ) -> None:
        row = self.session.get(JobRunRow, run_id, populate_existing=True)
        if row is None:
            raise LookupError(f"run {run_id} does not exist")
        if row.status == "abandoned":
            # Taken over while this process still worked on it: say what really happened.
            error = (row.error + "; " if row.error else "") + (
                f"it finished after all ({status})" + (f": {error}" if error else "")
            )
            status = "abandoned"
        row.status = status
        row.counts = counts
        row.error = error[:8000]
        row.finished_at = now

    def abandon(self, run_id: int, reason: str, now: datetime) -> int:
        """Mark a run whose process stopped renewing its lease, and its transfers still
        `running`, as abandoned / failed; returns how many transfers were marked."""
        self.session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id, JobRunRow.status == "running")
            .values(status="abandoned", finished_at=now, error=reason)
        )
        result = self.session.execute(
            update(TransferRow)
            .where(TransferRow.run_id == run_id, TransferRow.status == "running")
            .values(status="failed", error=f"abandoned: {reason}", finished_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def history(
        self, job: str | None = None, limit: int = 50, before_id: int | None = None
    ) -> list[JobRunRow]:
        """Runs newest first; a keyset page of those older than `before_id`."""
        query = select(JobRunRow).order_by(JobRunRow.id.desc()).limit(limit)
        if job:
            query = query.where(JobRunRow.job == job)
        if before_id is not None:
            query = query.where(JobRunRow.id < before_id)
        return list(self.session.scalars(query))

    def latest(self, jobs: Sequence[str]) -> dict[str, JobRunRow]:
        """The newest run (or missed slot) of each job."""
        newest = (
            select(func.max(JobRunRow.id))
            .where(JobRunRow.job.in_(list(jobs)))
            .group_by(JobRunRow.job)
        )
        rows = self.session.scalars(select(JobRunRow).where(JobRunRow.id.in_(newest)))
        return {r.job: r for r in rows}

    def last_success(self) -> dict[str, datetime]:
        """Job name → when its newest successful run finished."""
        query = (
            select(JobRunRow.job, func.max(JobRunRow.finished_at))
            .where(JobRunRow.status == "ok")
            .group_by(JobRunRow.job)
        )
        return {job: when for job, when in self.session.execute(query) if when is not None}
