"""Running scheduled jobs: claim, run with a renewed lease, record, count.

`JobRunner` is what the scheduler, the CLI (`claimbridge jobs run`) and the API call. A run is
always claimed first (gateway.ops.jobs.leases); then it runs with its lease renewed every third of
the lease by a heartbeat thread, and ends with its outcome and figures written to the run
history and the lease released. Log lines during a run carry its `run_id` and `job`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from gateway.config import Config
from gateway.logs import redact_text
from gateway.ops import metrics
from gateway.ops.jobs.leases import Claimed, JobBusy, Leases
from gateway.ops.jobs.specs import JobOutcome, JobSpec, job_specs, run_job
from gateway.pipeline import RunContext
from gateway.pipeline.transfers import run_scope
from gateway.storage.database import Store
from gateway.storage.models import utcnow

__all__ = ["FinishedRun", "JobBusy", "JobRunner", "UnknownJob"]

log = logging.getLogger(__name__)

# While another process's run holds the lease, a due slot asks again this often (at most).
BUSY_POLL_SECONDS = 5.0


class UnknownJob(LookupError):
    """No schedule of that name in the configuration."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f"no job {name!r} in the configuration's schedules (jobs: {', '.join(known) or 'none'})"
        )


@dataclass(frozen=True, slots=True)
class FinishedRun:
    """A run that ended in this process."""

    claimed: Claimed
    status: str  # ok | failed
    outcome: JobOutcome | None
    error: str
    seconds: float
    lease_lost: bool


@dataclass
class _Heartbeat:
    """Renews a run's lease every third of it until stopped."""

    leases: Leases
    claimed: Claimed
    spec: JobSpec
    lost: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        self._thread = threading.Thread(
            target=self._beat, name=f"lease-{self.claimed.job}-{self.claimed.run_id}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        interval = max(self.spec.lease.total_seconds() / 3, 0.1)
        while not self._stop.wait(interval):
            try:
                if not self.leases.renew(self.claimed, self.spec):
                    log.error(
                        "run %s of job %s lost its lease: another process took it over",
                        self.claimed.run_id,
                        self.claimed.job,
                    )
                    self.lost.set()
                    return
            except Exception as exc:  # noqa: BLE001 - logged, and tried at the next beat
                # The database is unreachable or (SQLite) busy for a moment.
                log.warning(
                    "could not renew the lease of run %s: %s: %s",
                    self.claimed.run_id,
                    type(exc).__name__,
                    str(exc).splitlines()[0][:200] if str(exc) else "",
                )


class JobRunner:
    """Claims and runs the configuration's jobs in this process."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self.store = store
        self.specs = job_specs(config)
        self.leases = Leases(store, owner, clock)
        self.clock = clock
        self._stopping = threading.Event()
        self.after_run: list[Callable[[FinishedRun], None]] = []
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    @property
    def owner(self) -> str:
        return self.leases.owner

    def spec(self, name: str) -> JobSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise UnknownJob(name, sorted(self.specs)) from None

    # --- scheduled slots ---------------------------------------------------------------------

    def slot_due(self, name: str, slot: datetime) -> FinishedRun | None:
        """A slot has come: claim it and run it, or wait while another process's run holds
        the lease, until the slot's misfire grace has passed (then it is recorded missed)."""
        spec = self.spec(name)
        deadline = slot + spec.misfire_grace
        while True:
            if self._stopping.is_set():
                return None  # shutting down: the slot is left to the other processes
            verdict = self.leases.claim_slot(spec, slot)
            if isinstance(verdict, Claimed):
                return self.execute(verdict)
            if verdict == "decided":
                return None
            now = self.clock()
            if now >= deadline:
                lease = self.leases.view(name)
                holder = f"run {lease.run_id} on {lease.owner}" if lease else "another run"
                self.slot_missed(
                    name, [slot], f"the job was still running ({holder}) past the misfire grace"
                )
                return None
            pause = min(BUSY_POLL_SECONDS, spec.lease.total_seconds() / 3)
            if self._stopping.wait(max(0.05, min(pause, (deadline - now).total_seconds()))):
                return None  # shutting down: another process decides the slot

    def slot_missed(self, name: str, slots: list[datetime], reason: str) -> bool:
        """Slots that could not start in time: each is recorded missed, once whatever the
        number of processes that report it (every slot is run once or recorded missed), and
        alerted."""
        if not slots:
            return False
        spec = self.spec(name)
        if len(slots) > 1:
            reason = f"{len(slots)} slots missed since {min(slots):%Y-%m-%d %H:%M:%S} UTC: {reason}"
        recorded = self.leases.record_missed(spec, slots, reason)
        for _ in range(recorded):
            metrics.observe_job(name, "missed", None)
        if recorded:
            log.warning("job %s missed its slot %s: %s", name, max(slots).isoformat(), reason)
        return recorded > 0

    def missed_while_down(self) -> int:
        """At start: slots that passed while no process ran the job (beyond their grace) are
        recorded missed. Returns how many jobs had some."""
        now = self.clock()
        found = 0
        for name, spec in self.specs.items():
            lease = self.leases.view(name)
            if lease is None or lease.last_slot is None:
                continue  # never run: nothing was expected of it yet
            passed = spec.fire_times_between(lease.last_slot, now - spec.misfire_grace)
            if passed and self.slot_missed(
                name, passed, "no claimbridge process was running the schedule"
            ):
                found += 1
        return found

    def take_over(self) -> list[threading.Thread]:
        """Take over the runs whose process died (their lease expired); each runs in a
        thread of its own."""
        return [self.start_in_thread(c) for c in self.leases.take_over(self.specs)]

    # --- manual runs -------------------------------------------------------------------------

    def claim_now(self, name: str, trigger: str = "manual") -> Claimed:
        """Claim a run of `name` now.

        Raises:
            UnknownJob: no such schedule.
            JobBusy: it is running.
        """
        return self.leases.claim_manual(self.spec(name), trigger)

    def run_now(self, name: str, trigger: str = "manual") -> FinishedRun:
        return self.execute(self.claim_now(name, trigger))

    def start_in_thread(self, claimed: Claimed) -> threading.Thread:
        """Run a claimed run in a thread of its own (non-daemon: a graceful stop waits)."""
        thread = threading.Thread(
            target=self.execute, args=(claimed,), name=f"run-{claimed.job}-{claimed.run_id}"
        )
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()} | {thread}
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop waiting for busy slots (runs in progress go on to their end)."""
        self._stopping.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the runs started in threads."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    # --- running -----------------------------------------------------------------------------

    def execute(self, claimed: Claimed) -> FinishedRun:
        """Run a claimed run to its end, renewing its lease, and record how it went."""
        spec = self.spec(claimed.job)
        started = time.perf_counter()
        outcome: JobOutcome | None = None
        error = ""
        with (
            structlog.contextvars.bound_contextvars(run_id=claimed.run_id, job=claimed.job),
            run_scope(claimed.run_id),
        ):
            with _Heartbeat(self.leases, claimed, spec) as heartbeat:
                log.info(
                    "job %s started (run %s, slot %s, %s, attempt %s)",
                    claimed.job,
                    claimed.run_id,
                    claimed.slot.isoformat(),
                    claimed.trigger,
                    claimed.attempt,
                )
                try:
                    ctx = RunContext(self.config, self.store, spec.business_date(claimed.slot))
                    outcome = run_job(ctx, spec)
                    status = "failed" if outcome.failed else "ok"
                    error = "; ".join([*outcome.errors, *outcome.transfer_errors])
                except Exception as exc:
                    log.exception("job %s failed (run %s)", claimed.job, claimed.run_id)
                    status, error = "failed", f"{type(exc).__name__}: {exc}"
            # The heartbeat has stopped: it cannot renew a lease released below.
            seconds = time.perf_counter() - started
            error = redact_text(error)  # it goes into the run history, the API and alerts
            counts = dict(outcome.counts) if outcome else {}
            counts["seconds"] = round(seconds, 3)
            lease_lost = heartbeat.lost.is_set()
            # Counted before the end is recorded: whoever sees the run ended (the API, the
            # scheduler of another process, a test) finds it in /metrics already.
            if outcome is not None and outcome.summary is not None:
                metrics.observe_summary(outcome.summary)
            metrics.observe_job(claimed.job, status, seconds)
            try:
                if not self.leases.finish(claimed, status, counts, error):
                    lease_lost = True
            except Exception:
                log.exception("could not record the end of run %s", claimed.run_id)
            log.info("job %s %s in %.1fs (run %s)", claimed.job, status, seconds, claimed.run_id)
        finished = FinishedRun(claimed, status, outcome, error, seconds, lease_lost)
        for hook in self.after_run:
            try:
                hook(finished)
            except Exception:
                log.exception("after-run hook failed for run %s", claimed.run_id)
        return finished
