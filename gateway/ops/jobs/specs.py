"""The jobs of the configuration's `schedules:`, and what running one does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from gateway.config import Config, ScheduleConfig
from gateway.config.cron import cron_trigger
from gateway.ops.retention import purge
from gateway.pipeline import STEPS, RunContext, RunSummary, Step, run_cycle, summary_totals

__all__ = ["JobOutcome", "JobSpec", "job_specs", "run_job"]

# How far back `JobSpec.fire_times_between` looks at most (a per-second job down for a day
# would otherwise enumerate 86,400 slots to say "missed").
MAX_FIRE_TIMES = 10_000


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A scheduled job: what it runs, when, and its misfire grace and run lease."""

    name: str
    kind: str  # cycle, a step name, or purge
    target: str | None
    cron: str
    timezone: str
    misfire_grace: timedelta
    lease: timedelta
    trigger: CronTrigger = field(compare=False)

    @classmethod
    def from_config(cls, name: str, schedule: ScheduleConfig) -> JobSpec:
        return cls(
            name=name,
            kind=schedule.job,
            target=schedule.target,
            cron=schedule.cron,
            timezone=schedule.timezone,
            misfire_grace=schedule.misfire_grace,
            lease=schedule.lease,
            trigger=cron_trigger(schedule.cron, schedule.timezone),
        )

    def next_fire_time(self, after: datetime) -> datetime | None:
        """The first slot strictly after `after`."""
        fire: datetime | None = self.trigger.get_next_fire_time(None, after)
        if fire is not None and fire <= after:
            fire = self.trigger.get_next_fire_time(fire, after + timedelta(microseconds=1))
        return fire.astimezone(UTC) if fire is not None else None

    def fire_times_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Slots strictly after `start` and at or before `end` (at most MAX_FIRE_TIMES, the
        newest kept)."""
        times: list[datetime] = []
        fire = self.next_fire_time(start)
        while fire is not None and fire <= end:
            times.append(fire)
            if len(times) > MAX_FIRE_TIMES:
                del times[0]
            fire = self.next_fire_time(fire)
        return times

    def business_date(self, slot: datetime) -> date:
        """The run's as-of date: the slot's calendar date in the schedule's time zone."""
        return slot.astimezone(ZoneInfo(self.timezone)).date()


def job_specs(config: Config) -> dict[str, JobSpec]:
    return {
        name: JobSpec.from_config(name, schedule)
        for name, schedule in config.model.schedules.items()
    }


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a run did: its figures (for the history and the metrics) and what failed.

    `errors` are failures of the job itself (a step that raised: a folder missing, a bug);
    `transfer_errors` are transfers that failed, each already in the transfer log (and
    alerted as such). Either makes the run `failed`.
    """

    counts: Mapping[str, Any]
    errors: list[str]
    transfer_errors: list[str]
    summary: RunSummary | None = None  # for jobs that run pipeline steps

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.transfer_errors)


def run_job(ctx: RunContext, spec: JobSpec) -> JobOutcome:
    """Run the job once (the caller holds its lease)."""
    if spec.kind == "purge":
        report = purge(ctx.store, ctx.config.model.retention, ctx.now())
        return JobOutcome(report.counts(), [], [])
    steps = STEPS if spec.kind == "cycle" else (Step(spec.kind),)
    summary = run_cycle(ctx, steps, spec.target)
    counts: dict[str, Any] = {**summary_totals(summary), "step_errors": len(summary.errors)}
    return JobOutcome(counts, list(summary.errors), _transfer_failures(summary), summary)


def _transfer_failures(summary: RunSummary) -> list[str]:
    failed = [
        *(f"extract {r.source} {r.label}: {r.error}" for r in summary.extraction if r.error),
        *(f"handover {r.agency} {r.batch}: {r.error}" for r in summary.handover if r.error),
        *(f"updates {r.agency} {r.label}: {r.error}" for r in summary.updates if r.error),
        *(f"writeback {r.destination}: {r.error}" for r in summary.writeback if r.error),
        *(f"notices {r.destination}: {r.error}" for r in summary.notices if r.error),
    ]
    return failed
