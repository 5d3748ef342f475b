"""Run leases: every run of a scheduled job is claimed in the store before it starts.

APScheduler keeps the schedules in memory in every process (it must not share a job store
between processes); when a slot comes, each process asks the store for it. One row per job
(`job_leases`) holds the newest slot decided and the lease of the run in progress; a process
reads it, decides, and writes its decision with `UPDATE ... WHERE version = <as read>`. The
row count says who won: exactly one process per slot, on PostgreSQL as on SQLite.

    slot S due        newest slot >= S            → decided already (run or missed): nothing
                      a live run holds the lease  → busy: asked again until S's misfire grace
                                                    has passed, then S is recorded missed
                      lease free or expired       → claim S and run it
    sweep             a lease expired mid-run     → take the run over (same slot, attempt + 1)
    manual trigger    a live run holds the lease  → refused (JobBusy)

A run renews its lease every third of its length; a process that dies stops renewing, and
once the lease has expired another process takes the run over (on SQLite, only if the owner's
process is really gone: see gateway.storage.presence). The run it abandoned is
marked `abandoned` and its transfers still `running` are marked failed; the new run starts
again from the beginning, which the pipeline makes safe (files by hash, events by id, outbox
messages by key).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.ops.jobs.specs import JobSpec
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.presence import Presence
from gateway.storage.repositories.jobs import JobLeases, JobRuns, LeaseView

__all__ = ["Claimed", "JobBusy", "Leases", "process_owner"]


# How often a decision is read again when the row changed between reading and writing it.
_ATTEMPTS = 5
# Missed slots recorded at once, at most (the newest): a schedule every second that no
# process ran for a day would otherwise write 86,400 rows; the reason gives the count.
MAX_MISSED_ROWS = 1_000


def process_owner() -> str:
    """This process, as lease owners are named: host, pid and a random part (pids are
    reused)."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A run this process won: it holds the job's lease until it releases it."""

    run_id: int
    job: str
    slot: datetime
    attempt: int
    trigger: str  # schedule | manual | takeover
    owner: str


class JobBusy(Exception):
    """The job is running (a manual trigger is refused)."""

    def __init__(self, job: str, run_id: int | None, owner: str | None) -> None:
        self.job, self.run_id, self.owner = job, run_id, owner
        super().__init__(f"job {job} is running (run {run_id} on {owner})")


class Leases:
    """Claims, renews and releases runs; each method is its own short transaction."""

    def __init__(
        self, store: Store, owner: str | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.owner = owner or process_owner()
        self.clock = clock
        self.presence = Presence(store, self.owner)

    def _gone(self, seen: LeaseView, now: datetime) -> bool:
        """The run holding `seen` is gone: its process is dead for sure (gateway.storage.
        presence), or cannot be told and stopped renewing its lease."""
        if seen.lease_until is None or seen.owner == self.owner:
            return False
        alive = self.presence.alive(seen.owner or "")
        return alive is False or (alive is None and seen.expired(now))

    def _taken(self, seen: LeaseView, now: datetime) -> bool:
        """A run holds the lease and may not be taken over."""
        return seen.lease_until is not None and not self._gone(seen, now)

    def ensure(self, names: Iterable[str]) -> None:
        with self.store.unit_of_work() as session:
            JobLeases(session).ensure(names, self.clock())

    def view(self, name: str) -> LeaseView | None:
        with self.store.unit_of_work(read_only=True) as session:
            return JobLeases(session).read(name)

    def claim_slot(self, spec: JobSpec, slot: datetime) -> Claimed | str:
        """Claim a scheduled slot. Returns the claim, or why not: 'decided' (another process
        ran it or recorded it missed) or 'busy' (a live run holds the job's lease)."""
        for _ in range(_ATTEMPTS):
            with self.store.unit_of_work() as session:
                leases, now = JobLeases(session), self.clock()
                seen = leases.read_or_create(spec.name, now)
                if seen.last_slot is not None and seen.last_slot >= slot:
                    return "decided"
                if self._taken(seen, now):
                    return "busy"
                if seen.run_id is not None and self._gone(seen, now):
                    # The run of an earlier slot died: it is taken over (run again) first, by
                    # the sweep; this slot waits for it like for any run in progress, so that
                    # no slot is left neither run nor recorded missed.
                    return "busy"
                if leases.change(
                    seen, now, last_slot=slot, owner=self.owner, lease_until=now + spec.lease
                ):
                    return self._start(session, spec, seen, slot, "schedule", 1, now)
            # The row changed since it was read (another claim, a heartbeat): read it again.
        return "busy"

    def record_missed(self, spec: JobSpec, slots: Sequence[datetime], reason: str) -> int:
        """Record slots no process ran in time, each as a run `missed` (the newest
        `MAX_MISSED_ROWS` of them; the reason says how many there were); those decided already
        are left alone. Returns how many were recorded now."""
        for _ in range(_ATTEMPTS):
            with self.store.unit_of_work() as session:
                seen = JobLeases(session).read(spec.name)
                if seen is None:
                    return 0
                open_ = sorted(s for s in slots if seen.last_slot is None or s > seen.last_slot)
                if not open_:
                    return 0
                if self._missed(session, spec, seen, open_[-MAX_MISSED_ROWS:], reason):
                    return len(open_[-MAX_MISSED_ROWS:])
        return 0

    def claim_manual(self, spec: JobSpec, trigger: str = "manual") -> Claimed:
        """Claim a run now, outside the schedule (the slot is the time of the request).

        Raises:
            JobBusy: a live run holds the job's lease.
        """
        for _ in range(_ATTEMPTS):
            with self.store.unit_of_work() as session:
                leases, now = JobLeases(session), self.clock()
                seen = leases.read_or_create(spec.name, now)
                if self._taken(seen, now):
                    raise JobBusy(spec.name, seen.run_id, seen.owner)
                if leases.change(seen, now, owner=self.owner, lease_until=now + spec.lease):
                    return self._start(session, spec, seen, now, trigger, 1, now)
        raise JobBusy(spec.name, None, "another process claiming it at the same time")

    def take_over(self, specs: Mapping[str, JobSpec]) -> list[Claimed]:
        """Take over every run whose lease expired (its process died); returns the runs this
        process now holds and must run."""
        with self.store.unit_of_work(read_only=True) as session:
            now = self.clock()
            expired = [
                v for v in JobLeases(session).all() if v.name in specs and self._gone(v, now)
            ]
        claimed: list[Claimed] = []
        for seen in expired:
            spec = specs[seen.name]
            with self.store.unit_of_work() as session:
                leases, runs, now = JobLeases(session), JobRuns(session), self.clock()
                old = runs.get(seen.run_id) if seen.run_id is not None else None
                if not leases.change(seen, now, owner=self.owner, lease_until=now + spec.lease):
                    continue
                slot = old.slot if old is not None else (seen.last_slot or now)
                attempt = old.attempt + 1 if old is not None else 1
                claimed.append(self._start(session, spec, seen, slot, "takeover", attempt, now))
        return claimed

    def renew(self, claimed: Claimed, spec: JobSpec) -> bool:
        with self.store.unit_of_work() as session:
            now = self.clock()
            return JobLeases(session).renew(
                claimed.job, claimed.run_id, claimed.owner, now + spec.lease, now
            )

    def finish(
        self, claimed: Claimed, status: str, counts: Mapping[str, object], error: str
    ) -> bool:
        """Record the end of a run and free its lease in one transaction, so that nobody sees
        the run ended while its lease is still held (a manual run refused as busy, the job
        shown running); False if another process had taken the lease over (the end is
        recorded all the same)."""
        with self.store.unit_of_work() as session:
            now = self.clock()
            JobRuns(session).finish(
                claimed.run_id, status=status, counts=dict(counts), error=error, now=now
            )
            return JobLeases(session).release(claimed.job, claimed.run_id, claimed.owner, now)

    def release(self, claimed: Claimed) -> bool:
        with self.store.unit_of_work() as session:
            return JobLeases(session).release(
                claimed.job, claimed.run_id, claimed.owner, self.clock()
            )

    # --- within a transaction that just won the lease ---------------------------------------

    def _start(
        self,
        session: Session,
        spec: JobSpec,
        seen: LeaseView,
        slot: datetime,
        trigger: str,
        attempt: int,
        now: datetime,
    ) -> Claimed:
        self.presence.hold()
        runs = JobRuns(session)
        if seen.run_id is not None and self._gone(seen, now):
            old = runs.get(seen.run_id)
            unfinished = old is not None and old.status == "running"
            runs.abandon(
                seen.run_id,
                f"{seen.owner} stopped renewing its lease (expired {seen.lease_until:%H:%M:%S} "
                f"UTC) or its process is gone; taken over by {self.owner}",
                now,
            )
            if trigger != "takeover" and old is not None and unfinished:
                # A manual run over a dead one: the dead run's slot is not run again, so it
                # is recorded missed (and alerted).
                runs.add(
                    job=spec.name,
                    kind=spec.kind,
                    target=spec.target,
                    trigger=old.trigger,
                    slot=old.slot,
                    attempt=old.attempt + 1,
                    owner=self.owner,
                    status="missed",
                    now=now,
                    error=f"its run {old.id} died with {seen.owner} and was not run again",
                )
        run_id = runs.add(
            job=spec.name,
            kind=spec.kind,
            target=spec.target,
            trigger=trigger,
            slot=slot,
            attempt=attempt,
            owner=self.owner,
            status="running",
            now=now,
        )
        JobLeases(session).set_run(spec.name, run_id)
        return Claimed(run_id, spec.name, slot, attempt, trigger, self.owner)

    def _missed(
        self,
        session: Session,
        spec: JobSpec,
        seen: LeaseView,
        slots: Sequence[datetime],
        reason: str,
    ) -> bool:
        now = self.clock()
        if not JobLeases(session).change(seen, now, last_slot=slots[-1]):
            return False
        runs = JobRuns(session)
        for slot in slots:
            runs.add(
                job=spec.name,
                kind=spec.kind,
                target=spec.target,
                trigger="schedule",
                slot=slot,
                attempt=1,
                owner=self.owner,
                status="missed",
                now=now,
                error=reason,
            )
        return True
