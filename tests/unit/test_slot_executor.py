"""The scheduler's executor hands each slot's time to the job and reports the slots that came
too late (APScheduler's own executors drop them with a log line)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from gateway.ops.jobs.scheduler import SlotExecutor


def test_slots_are_handed_over_in_order_and_late_ones_reported() -> None:
    ran: list[datetime] = []
    missed: list[tuple[str, list[datetime], str]] = []
    done = threading.Event()

    def job(name: str, slot: datetime | None = None) -> None:
        assert slot is not None
        ran.append(slot)
        if len(ran) >= 3:
            done.set()

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_executor(SlotExecutor(lambda *args: missed.append(args)), "slots")
    start = datetime.now(UTC) - timedelta(seconds=5.5)
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=1, start_date=start),
        args=("tick",),
        id="tick",
        executor="slots",
        misfire_grace_time=2,
        coalesce=False,
        max_instances=100,
        next_run_time=start,
    )
    scheduler.start()
    try:
        assert done.wait(10)
    finally:
        scheduler.shutdown(wait=True)
    # the process "slept" through the first slots: those beyond the 2 s grace are reported
    ((name, late, reason),) = missed
    assert name == "tick" and len(late) in (3, 4) and "misfire grace" in reason
    assert all(datetime.now(UTC) - t > timedelta(seconds=2) for t in late)
    # the others ran, each with its own slot time, in order
    assert ran == sorted(ran) and ran[0] > max(late)
    assert all(slot.tzinfo is UTC for slot in ran)
