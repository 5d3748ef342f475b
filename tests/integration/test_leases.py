"""Run leases in the store: one claim per slot whatever the number of claimants, busy slots
recorded missed once, dead runs taken over, and runs recorded with what they did."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.config import ScheduleConfig
from gateway.ops.jobs.leases import Claimed, JobBusy, Leases
from gateway.ops.jobs.runner import JobRunner
from gateway.ops.jobs.specs import JobSpec
from gateway.pipeline.transfers import run_scope, start_transfer
from gateway.storage.database import Store
from gateway.storage.models import JobRunRow, TransferRow
from tests.conftest import Workspace

T0 = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def spec(name: str = "cycle", cron: str = "* * * * *", **options: object) -> JobSpec:
    schedule = ScheduleConfig.model_validate({"job": "select", "cron": cron, **options})
    return JobSpec.from_config(name, schedule)


def history(store: Store, job: str = "cycle") -> list[JobRunRow]:
    with store.unit_of_work(read_only=True) as session:
        return list(
            session.scalars(select(JobRunRow).where(JobRunRow.job == job).order_by(JobRunRow.id))
        )


def test_of_many_claimants_at_once_exactly_one_gets_each_slot(store: Store) -> None:
    job = spec()
    claimants = [Leases(store, f"process-{n}") for n in range(6)]
    claimants[0].ensure([job.name])
    for minute in range(4):
        slot = T0 + timedelta(minutes=minute)
        start = threading.Barrier(len(claimants))
        verdicts: list[Claimed | str] = []

        def claim(
            leases: Leases,
            slot: datetime = slot,
            start: threading.Barrier = start,
            verdicts: list[Claimed | str] = verdicts,
        ) -> None:
            start.wait()
            verdict = leases.claim_slot(job, slot)
            verdicts.append(verdict)
            if isinstance(verdict, Claimed):
                leases.release(verdict)

        threads = [threading.Thread(target=claim, args=(c,)) for c in claimants]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = [v for v in verdicts if isinstance(v, Claimed)]
        assert (
            len(won) == 1 and sorted(v for v in verdicts if isinstance(v, str)) == ["decided"] * 5
        )
    runs = history(store)
    assert [r.slot for r in runs] == [T0 + timedelta(minutes=m) for m in range(4)]
    # the same slot again, later: decided already
    assert claimants[1].claim_slot(job, T0) == "decided"


def test_a_slot_waits_for_a_running_run_then_runs_or_is_missed(
    workspace: Workspace, store: Store
) -> None:
    job = spec(lease="30s", misfire_grace="1s")
    config = workspace.config()
    holder = Leases(store, "holder")
    held = holder.claim_slot(job, T0)
    assert isinstance(held, Claimed)

    runners = [JobRunner(config, store, owner=f"process-{n}") for n in range(3)]
    for runner in runners:
        runner.specs = {"cycle": job}
    slot = datetime.now(UTC).replace(microsecond=0)
    threads = [threading.Thread(target=r.slot_due, args=("cycle", slot)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    runs = history(store)
    assert [(r.slot, r.status) for r in runs] == [(T0, "running"), (slot, "missed")]
    assert "still running (run" in runs[1].error and "holder" in runs[1].error

    # released within the grace of the next slot: that one runs
    holder.release(held)
    later = slot + timedelta(seconds=1)
    finished = runners[0].slot_due("cycle", later)
    assert finished is not None and finished.status == "ok"
    assert [r.status for r in history(store)][-1] == "ok"


def test_a_run_whose_process_died_is_taken_over_and_its_transfers_failed(
    workspace: Workspace, store: Store
) -> None:
    job = spec(lease="60s")
    clock = Clock()
    dead = Leases(store, "dead-process", clock)
    first = dead.claim_slot(job, T0)
    assert isinstance(first, Claimed)
    with run_scope(first.run_id):
        transfer_id = start_transfer(
            store, direction="inbound", kind="open_items", channel="local", partner="erp"
        )
    taker = Leases(store, "taker", clock)
    clock.advance(30)
    assert taker.take_over({"cycle": job}) == []  # the lease still runs
    assert dead.renew(first, job)
    clock.advance(59)
    assert taker.take_over({"cycle": job}) == []  # renewed meanwhile
    clock.advance(2)
    # the owner's process still holds its lock (SQLite: a file; PostgreSQL: an advisory
    # lock), so it lives (a long transaction held its heartbeat back): not taken over
    assert taker.take_over({"cycle": job}) == []
    dead.presence.release()  # as the process's end does
    (second,) = taker.take_over({"cycle": job})
    assert (second.slot, second.attempt, second.trigger) == (T0, 2, "takeover")
    assert not dead.renew(first, job) and not dead.release(first)

    runs = history(store)
    assert [(r.attempt, r.status) for r in runs] == [(1, "abandoned"), (2, "running")]
    assert "dead-process stopped renewing its lease" in runs[0].error
    with store.unit_of_work(read_only=True) as session:
        transfer = session.get(TransferRow, transfer_id)
        assert transfer is not None and transfer.run_id == first.run_id
        assert transfer.status == "failed" and transfer.error.startswith("abandoned: ")
    # the next slot waits for the new run
    assert taker.claim_slot(job, T0 + timedelta(minutes=1)) == "busy"


def test_a_manual_run_is_refused_while_the_job_runs(store: Store) -> None:
    job = spec()
    one, two = Leases(store, "one"), Leases(store, "two")
    running = one.claim_manual(job)
    with pytest.raises(JobBusy, match=f"run {running.run_id} on one"):
        two.claim_manual(job)
    one.release(running)
    assert two.claim_manual(job).trigger == "manual"


def test_slots_that_passed_while_no_process_ran_are_recorded_missed_once(
    workspace: Workspace, store: Store
) -> None:
    job = spec(misfire_grace="1m")
    config = workspace.config()
    clock = Clock()
    first = Leases(store, "earlier", clock).claim_slot(job, T0)
    assert isinstance(first, Claimed)
    Leases(store, "earlier", clock).release(first)
    clock.advance(10 * 60 + 30)  # ten slots later, and the last one within its grace
    runners = [JobRunner(config, store, owner=f"p{n}", clock=clock) for n in range(2)]
    for runner in runners:
        runner.specs = {"cycle": job}
    assert [r.missed_while_down() for r in runners] == [1, 0]
    runs = history(store)
    # every slot is run once or recorded missed: none left out between two recorded ones
    assert [(r.slot, r.status) for r in runs] == [(T0, "running")] + [
        (T0 + timedelta(minutes=m), "missed") for m in range(1, 10)
    ]
    assert all(r.error.startswith("9 slots missed since 2026-11-20 06:31:00 UTC") for r in runs[1:])
    # reported again (another process, the scheduler's late list): nothing recorded twice
    again = [T0 + timedelta(minutes=m) for m in range(1, 10)]
    assert runners[1].slot_missed("cycle", again, "late") is False
    assert len(history(store)) == 10


def test_a_run_records_what_the_pipeline_did(workspace: Workspace, store: Store) -> None:
    runner = JobRunner(workspace.config(), store)
    finished = runner.run_now("daily-cycle")
    assert finished.status == "ok", finished.error
    (run,) = history(store, "daily-cycle")
    assert run.status == "ok" and run.trigger == "manual" and run.owner == runner.owner
    assert run.counts["cases_created"] > 0 and run.counts["seconds"] > 0
    assert run.finished_at is not None and run.finished_at >= run.started_at
    with store.unit_of_work(read_only=True) as session:
        made = list(session.scalars(select(TransferRow.run_id)))
    assert made and set(made) == {run.id}
    lease = runner.leases.view("daily-cycle")
    assert lease is not None and lease.lease_until is None and lease.run_id == run.id


def test_whoever_sees_a_run_ended_sees_it_counted_and_its_lease_free(
    workspace: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API, another process or a test polls the run until it is no longer `running`: by
    then its figures are in /metrics, and its lease is free (a manual run is not refused,
    the job is not shown running). Seen from another connection at each step of the end."""
    from gateway.ops import metrics
    from gateway.storage.repositories.jobs import JobLeases

    runner = JobRunner(workspace.config(), store)
    seen: dict[str, str] = {}

    def status_now() -> str:
        with store.unit_of_work(read_only=True) as session:
            return session.scalars(select(JobRunRow.status)).one()

    counted = metrics.observe_job

    def observe_job(job: str, outcome: str, seconds: float | None) -> None:
        seen["when counted"] = status_now()
        counted(job, outcome, seconds)

    release = JobLeases.release

    def release_lease(self: JobLeases, *args: object) -> bool:
        seen["when the lease is freed"] = status_now()
        return release(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(metrics, "observe_job", observe_job)
    monkeypatch.setattr(JobLeases, "release", release_lease)
    assert runner.run_now("daily-cycle").status == "ok"
    # counted while still `running`; the end and the lease's release in one transaction
    assert seen == {"when counted": "running", "when the lease is freed": "running"}
    assert status_now() == "ok"


def die(leases: Leases) -> None:
    """The process of `leases` is killed: the OS drops its lock (file or connection)."""
    leases.presence.release()


def test_a_dead_runs_slot_is_run_again_before_the_next_slot_never_left_abandoned(
    store: Store,
) -> None:
    job = spec(lease="60s")
    clock = Clock()
    dead = Leases(store, "killed-worker", clock)
    first = dead.claim_slot(job, T0)
    assert isinstance(first, Claimed)
    die(dead)
    other = Leases(store, "other-worker", clock)
    clock.advance(15)  # slots 15 s apart: the next one comes while the dead run's lease runs
    second_slot = T0 + timedelta(seconds=15)
    assert other.claim_slot(job, second_slot) == "busy"  # the dead slot goes first
    clock.advance(60)  # even once the dead run's lease has run out
    assert other.claim_slot(job, second_slot) == "busy"
    (again,) = other.take_over({"cycle": job})  # the sweep runs the dead slot again
    assert (again.slot, again.attempt, again.trigger) == (T0, 2, "takeover")
    assert other.release(again)
    second = other.claim_slot(job, second_slot)
    assert isinstance(second, Claimed) and second.slot == second_slot
    by_slot = {(r.slot, r.attempt): r.status for r in history(store)}
    assert by_slot == {(T0, 1): "abandoned", (T0, 2): "running", (second_slot, 1): "running"}


def test_a_manual_run_over_a_dead_run_records_its_slot_missed(store: Store) -> None:
    job = spec(lease="60s")
    clock = Clock()
    dead = Leases(store, "killed-worker", clock)
    first = dead.claim_slot(job, T0)
    assert isinstance(first, Claimed)
    die(dead)
    clock.advance(5)
    manual = Leases(store, "operator", clock).claim_manual(job)
    runs = history(store)
    assert [(r.slot, r.status) for r in runs] == [
        (T0, "abandoned"),
        (T0, "missed"),
        (manual.slot, "running"),
    ]
    assert "was not run again" in runs[1].error
