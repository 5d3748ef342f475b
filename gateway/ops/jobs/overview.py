"""What IT sees of the jobs: schedule, next slot, the run in progress, the last run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gateway.ops.jobs.specs import JobSpec
from gateway.storage.database import Store
from gateway.storage.models import JobRunRow
from gateway.storage.repositories.jobs import JobLeases, JobRuns, LeaseView

__all__ = ["JobOverview", "job_overview"]


@dataclass(frozen=True, slots=True)
class JobOverview:
    spec: JobSpec
    next_slot: datetime | None
    lease: LeaseView | None
    running: bool
    last: JobRunRow | None


def job_overview(specs: Mapping[str, JobSpec], store: Store, now: datetime) -> list[JobOverview]:
    with store.unit_of_work(read_only=True) as session:
        leases = {v.name: v for v in JobLeases(session).all()}
        last = JobRuns(session).latest(list(specs)) if specs else {}
    return [
        JobOverview(
            spec,
            spec.next_fire_time(now),
            leases.get(name),
            bool(leases.get(name) and leases[name].held(now)),
            last.get(name),
        )
        for name, spec in specs.items()
    ]
