"""The scheduler of a claimbridge process: APScheduler 3 with the schedules in memory.

Every process (`claimbridge worker`, `claimbridge serve`) runs the same schedules from the
configuration; APScheduler never shares a job store between processes. When a slot comes,
each process asks the store for it (gateway.ops.jobs.leases) and exactly one runs it.

Misfires are handled explicitly: each job's slots are handled one after the other in a thread
of the job's own (`SlotExecutor`), and a slot that cannot start within the job's
`misfire_grace` (the process was busy or asleep, the previous run still went on) is recorded as
missed in the run history, once, and alerted. At start, slots that passed while no process ran
the schedule are recorded missed too.

Besides the jobs, every process sweeps for runs whose lease expired (their process died) and
takes them over, and checks the alert conditions every `alerts.check_every`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor as InternalExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from gateway.ops.alerts.monitor import AlertMonitor
from gateway.ops.jobs.runner import FinishedRun, JobRunner
from gateway.storage.models import utcnow

__all__ = ["OpsScheduler", "SlotExecutor"]

log = logging.getLogger(__name__)

# Slots of one job waiting in one process at most; beyond, they are reported missed.
MAX_QUEUED_SLOTS = 100

Missed = Callable[[str, list[datetime], str], object]


class SlotExecutor(BaseExecutor):  # type: ignore[misc]
    """An APScheduler executor that hands each slot's time to the job and reports the slots
    that come too late instead of silently skipping them (APScheduler's own executors log a
    warning and drop them)."""

    def __init__(self, on_missed: Missed, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__()
        self.on_missed = on_missed
        self.clock = clock
        self._pools: dict[str, ThreadPoolExecutor] = {}

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        pool = self._pools.get(job.id)
        if pool is None:
            pool = self._pools[job.id] = ThreadPoolExecutor(1, thread_name_prefix=f"job-{job.id}")
        future = pool.submit(self._slots, job, list(run_times))
        future.add_done_callback(lambda f: self._done(job.id, f))

    def _slots(self, job: Any, run_times: list[datetime]) -> None:
        now = self.clock()
        grace = float(job.misfire_grace_time)
        late = [t for t in run_times if (now - t).total_seconds() > grace]
        if late:
            delay = now - max(late)
            self.on_missed(
                job.id,
                late,
                f"it could not start within its misfire grace ({delay.total_seconds():.1f} s late)",
            )
        for slot in run_times:
            if slot not in late:
                job.func(*job.args, slot.astimezone(UTC))

    def _done(self, job_id: str, future: Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            self._run_job_error(job_id, exc, exc.__traceback__)
        else:
            self._run_job_success(job_id, [])

    def shutdown(self, wait: bool = True) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait)


class OpsScheduler:
    """Runs the configuration's schedules, the takeover sweep and the alert checks."""

    def __init__(self, runner: JobRunner, monitor: AlertMonitor | None = None) -> None:
        self.runner = runner
        self.monitor = monitor
        self._scheduler: BackgroundScheduler | None = None

    @property
    def sweep_seconds(self) -> float:
        """How often expired leases are looked for: half the shortest lease, 0.5–30 s."""
        leases = [s.lease.total_seconds() for s in self.runner.specs.values()] or [60.0]
        return max(0.5, min(30.0, min(leases) / 2))

    def start(self) -> None:
        runner = self.runner
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            # APScheduler logs every run of the sweep and the alert checks at INFO.
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        runner.leases.ensure(runner.specs)
        runner.missed_while_down()
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_executor(SlotExecutor(self._missed), "slots")
        scheduler.add_executor(InternalExecutor(2), "internal")
        for name, spec in runner.specs.items():
            scheduler.add_job(
                self._due,
                trigger=spec.trigger,
                args=(name,),
                id=name,
                name=name,
                executor="slots",
                misfire_grace_time=int(max(1, spec.misfire_grace.total_seconds())),
                coalesce=False,
                max_instances=MAX_QUEUED_SLOTS,
            )
        scheduler.add_job(
            self._sweep,
            "interval",
            seconds=self.sweep_seconds,
            id="_takeover",
            executor="internal",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        if self.monitor is not None:
            runner.after_run.append(self._after_run)
            scheduler.add_job(
                self._check_alerts,
                "interval",
                seconds=self.runner.config.model.alerts.check_every.total_seconds(),
                id="_alerts",
                executor="internal",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
                next_run_time=utcnow(),
            )
        scheduler.add_listener(self._too_many, EVENT_JOB_MAX_INSTANCES)
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "scheduler started as %s: %s",
            runner.owner,
            ", ".join(f"{n} ({s.cron} {s.timezone})" for n, s in runner.specs.items()) or "no jobs",
        )

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; with `wait`, let the runs in progress finish first."""
        self.runner.stop()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None
        if wait:
            self.runner.join()

    def next_fire_times(self) -> dict[str, datetime | None]:
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def _due(self, name: str, slot: datetime | None = None) -> None:
        if slot is None:
            raise TypeError("a slot is handed over by SlotExecutor, never left out")
        self.runner.slot_due(name, slot)

    def _missed(self, name: str, slots: list[datetime], reason: str) -> None:
        self.runner.slot_missed(name, slots, reason)

    def _too_many(self, event: JobSubmissionEvent) -> None:
        self.runner.slot_missed(
            event.job_id,
            list(event.scheduled_run_times),
            f"{MAX_QUEUED_SLOTS} earlier slots were still waiting in this process",
        )

    def _sweep(self) -> None:
        try:
            self.runner.take_over()
        except Exception:
            log.exception("looking for runs to take over failed")

    def _check_alerts(self) -> None:
        if self.monitor is None:
            return
        try:
            self.monitor.check()
        except Exception:
            log.exception("checking the alert conditions failed")

    def _after_run(self, _finished: FinishedRun) -> None:
        self._check_alerts()
