"""The loop under faults: a relay killed between delivering and recording, leases of dead
relays, transfers left running, partial files, unavailable folders, a large outbox.

A kill -9 is played in-process: the connector delivers, then `Killed` (a BaseException that
nothing in the pipeline catches) stops the relay before it records anything, as a kill would.
The dead process's presence ends when its store is disposed (its lock file closed, its
PostgreSQL connection with its advisory lock gone), as the operating system would end it.
"""

from __future__ import annotations

import csv
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connectors.agency_files.channel import FileAgencyChannel
from connectors.csv_sftp.writeback import CsvWriteBack
from gateway.cli import main as cli
from gateway.pipeline import RunContext, Step, run_cycle
from gateway.sample import day_two_export
from gateway.storage.database import Store, create_store
from gateway.storage.models import OutboxMessageRow, TransferRow
from tests.conftest import TODAY, Workspace

BLOCK_NOTE_STATUS = 3  # actions per handed-over item in the first cycle


class Killed(BaseException):
    """kill -9, played in-process: nothing after it runs."""


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def context(workspace: Workspace, store: Store, clock: Callable[[], datetime]) -> RunContext:
    return RunContext(workspace.config(), store, TODAY, clock)


@contextmanager
def killed_after(monkeypatch: pytest.MonkeyPatch, cls: type, method: str) -> Iterator[list[object]]:
    """`cls.method` delivers, then its process is killed."""
    real = getattr(cls, method)
    delivered: list[object] = []

    def deliver_then_die(self: object, *args: Any, **kwargs: Any) -> Any:
        delivered.append(real(self, *args, **kwargs))
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(cls, method, deliver_then_die)
        yield delivered


def kill_relay(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, step: Step, cls: type, method: str
) -> Store:
    """Run `step` in a process of its own that is killed after delivering; returns that
    process's store (dispose it to end the process)."""
    doomed = create_store(workspace.database_url)
    with killed_after(monkeypatch, cls, method) as delivered, pytest.raises(Killed):
        run_cycle(context(workspace, doomed, lambda: datetime.now(UTC)), (step,))
    assert delivered
    return doomed


def action_files(workspace: Workspace) -> dict[str, list[str]]:
    """Write-back file name → its action ids."""
    return {
        path.name: [row["action_id"] for row in csv.DictReader(path.open(encoding="utf-8"))]
        for path in sorted(workspace.path("erp", "writeback").glob("*.csv"))
    }


def notice_files(workspace: Workspace) -> dict[str, list[str]]:
    return {
        path.name: [row["notice_id"] for row in csv.DictReader(path.open(encoding="utf-8"))]
        for path in sorted(workspace.path("agency", "to-agency").glob("notices_*.csv"))
    }


def statuses(store: Store) -> Counter[str]:
    with store.unit_of_work(read_only=True) as session:
        return Counter(session.scalars(select(OutboxMessageRow.status)))


def first_cycle_without_writeback(workspace: Workspace, store: Store) -> int:
    summary = run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    assert not summary.failed, summary.errors
    return statuses(store)["pending"]


def test_a_relay_killed_after_writing_the_erp_file_is_delivered_once(
    workspace: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = first_cycle_without_writeback(workspace, store)
    doomed = kill_relay(workspace, monkeypatch, Step.WRITEBACK, CsvWriteBack, "apply")
    doomed.dispose()  # the killed process is gone
    assert sum(len(ids) for ids in action_files(workspace).values()) == pending

    # the next run, even after the old lease would have run out
    clock = Clock()
    clock.now += timedelta(minutes=11)
    summary = run_cycle(context(workspace, store, clock), (Step.WRITEBACK,))
    assert not summary.failed, summary.errors
    (result,) = summary.writeback
    assert result.delivered == pending and statuses(store) == {"delivered": pending}

    delivered = action_files(workspace)
    assert len(delivered) == 1, delivered.keys()  # the same batch, the same file name
    ids = Counter(i for names in delivered.values() for i in names)
    assert len(ids) == pending and max(ids.values()) == 1
    with store.unit_of_work(read_only=True) as session:
        log = session.scalars(
            select(TransferRow).where(TransferRow.kind == "writeback", TransferRow.status == "ok")
        ).one()
    assert "already written by an earlier attempt" in log.summary


def test_notices_killed_after_writing_are_sent_once(
    workspace: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cycle(workspace.context(store))
    workspace.path("erp", "exports", "open_items_2.csv").write_bytes(day_two_export(TODAY))
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    doomed = kill_relay(workspace, monkeypatch, Step.NOTICES, FileAgencyChannel, "send_notices")
    doomed.dispose()
    clock = Clock()
    clock.now += timedelta(minutes=11)
    (result,) = run_cycle(context(workspace, store, clock), (Step.NOTICES,)).notices
    assert result.delivered == 2
    sent = notice_files(workspace)
    assert len(sent) == 1
    assert sorted(Counter(i for ids in sent.values() for i in ids).values()) == [1, 1]


def test_a_live_relays_lease_is_shown_and_a_dead_ones_is_taken_over_at_once(
    workspace: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = first_cycle_without_writeback(workspace, store)
    doomed = kill_relay(workspace, monkeypatch, Step.WRITEBACK, CsvWriteBack, "apply")
    try:
        # While its process lives (a slow relay, not a dead one), its batch is its own.
        shown = CliRunner().invoke(
            cli, ["-c", str(workspace.config_path), "outbox"], env=env(workspace)
        )
        assert shown.exit_code == 0, shown.output
        assert "leased" in shown.output and "until" in shown.output, shown.output
        summary = run_cycle(workspace.context(store), (Step.WRITEBACK,))
        (result,) = summary.writeback
        assert result.delivered == 0
        assert result.left is not None and result.left.leased == pending
        assert "nothing new" not in "\n".join(summary_text(summary))
    finally:
        doomed.dispose()  # now it dies
    # No waiting for the lease to run out: its owner is gone for sure.
    (result,) = run_cycle(workspace.context(store), (Step.WRITEBACK,)).writeback
    assert result.delivered == pending
    assert len(action_files(workspace)) == 1


def summary_text(summary: Any) -> list[str]:
    from gateway.pipeline import summary_lines

    return summary_lines(summary)


def env(workspace: Workspace) -> dict[str, str]:
    return {"CLAIMBRIDGE_DATABASE_URL": workspace.database_url}


def test_transfers_left_running_by_a_dead_process_are_marked_interrupted(
    workspace: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_cycle_without_writeback(workspace, store)
    doomed = kill_relay(workspace, monkeypatch, Step.WRITEBACK, CsvWriteBack, "apply")

    def writeback_statuses() -> list[str]:
        with store.unit_of_work(read_only=True) as session:
            return list(
                session.scalars(
                    select(TransferRow.status)
                    .where(TransferRow.kind == "writeback")
                    .order_by(TransferRow.id)
                )
            )

    run_cycle(workspace.context(store), (Step.SELECT,))
    assert writeback_statuses() == ["running"]  # its process still lives
    doomed.dispose()
    summary = run_cycle(workspace.context(store), (Step.SELECT,))
    assert summary.interrupted == 1
    assert writeback_statuses() == ["interrupted"]
    shown = CliRunner().invoke(
        cli,
        ["-c", str(workspace.config_path), "transfers", "--status", "interrupted"],
        env=env(workspace),
    )
    assert shown.exit_code == 0 and "interrupted" in shown.output, shown.output


def test_stale_partial_files_of_ours_are_removed_and_logged(
    workspace: Workspace, store: Store
) -> None:
    first_cycle_without_writeback(workspace, store)
    folder = workspace.path("erp", "writeback")
    ours_stale = folder / ".writeback_20261119T080000000000Z_b00000009.csv.0a1b2c3d.part"
    ours_fresh = folder / ".writeback_20261120T080000000000Z_b00000010.csv.1a2b3c4d.part"
    foreign = folder / ".erp-import.csv.part"
    two_hours_ago = time.time() - 7200
    for path in (ours_stale, ours_fresh, foreign):
        path.write_text("half a file", encoding="utf-8")
    for path in (ours_stale, foreign):
        os.utime(path, (two_hours_ago, two_hours_ago))
    (result,) = run_cycle(workspace.context(store), (Step.WRITEBACK,)).writeback
    assert result.delivered > 0
    assert not ours_stale.exists()
    assert ours_fresh.exists() and foreign.exists()  # an upload under way; not ours
    with store.unit_of_work(read_only=True) as session:
        log = session.get(TransferRow, result.transfer_id)
        assert log is not None
        assert "removed 1 stale partial file" in log.summary and ours_stale.name in log.summary


def test_an_unavailable_writeback_folder_is_retried_with_backoff_and_what_waits_is_shown(
    workspace: Workspace, store: Store
) -> None:
    pending = first_cycle_without_writeback(workspace, store)
    folder = workspace.path("erp", "writeback")
    folder.rmdir()
    folder.write_text("a file where the folder should be (a share not mounted)")
    clock = Clock()
    summary = run_cycle(context(workspace, store, clock), (Step.WRITEBACK,))
    (result,) = summary.writeback
    assert result.delivered == 0 and result.dead == 0 and "cannot" in result.error
    assert summary.failed
    assert statuses(store) == {"pending": pending}  # a transport fault: no dead letters
    left = result.left
    assert left is not None and left.retrying == pending and left.next_attempt_at is not None
    assert left.next_attempt_at > clock.now
    lines = "\n".join(summary_text(summary))
    assert "waiting to be retried" in lines and "next at" in lines

    # Before its next attempt, nothing is tried again (backoff).
    (again,) = run_cycle(context(workspace, store, clock), (Step.WRITEBACK,)).writeback
    assert again.batches == 0 and again.delivered == 0

    folder.unlink()
    folder.mkdir()
    clock.now = left.next_attempt_at + timedelta(hours=2)
    (later,) = run_cycle(context(workspace, store, clock), (Step.WRITEBACK,)).writeback
    assert later.delivered == pending and statuses(store) == {"delivered": pending}
    assert len(action_files(workspace)) == 1  # the same batch, under its name


def test_a_run_drains_the_outbox_in_batches(workspace: Workspace, store: Store) -> None:
    with workspace.config_path.open("a", encoding="utf-8") as config:
        config.write("\ndelivery:\n  batch_size: 10\n")
    pending = first_cycle_without_writeback(workspace, store)
    assert pending > 30
    summary = run_cycle(workspace.context(store), (Step.WRITEBACK,))
    (result,) = summary.writeback
    assert result.delivered == pending and result.batches == -(-pending // 10)
    assert statuses(store) == {"delivered": pending}
    delivered = action_files(workspace)
    assert [len(ids) for ids in delivered.values()].count(10) == pending // 10
    # every action once, each item's actions in order, across the files
    in_order = [i for name in sorted(delivered) for i in delivered[name]]
    assert len(set(in_order)) == pending


def test_a_dead_letter_holds_later_actions_on_its_item_visibly(
    workspace: Workspace, store: Store
) -> None:
    first_cycle_without_writeback(workspace, store)
    with store.unit_of_work() as session:
        first = session.scalars(select(OutboxMessageRow).order_by(OutboxMessageRow.id)).first()
        assert first is not None
        first.status, first.last_error = "dead", "refused by the ERP"
        item = first.ordering_key
        behind = len(
            session.scalars(
                select(OutboxMessageRow.id).where(OutboxMessageRow.ordering_key == item)
            ).all()
        )
    summary = run_cycle(workspace.context(store), (Step.WRITEBACK,))
    (result,) = summary.writeback
    assert result.left is not None and result.left.held == behind - 1 and result.left.dead == 1
    assert "held behind" in "\n".join(summary_text(summary))


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))
