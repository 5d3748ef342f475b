"""The whole loop with the ERP and the agency on SFTP, and what happens when the server fails
at the worst moments: each case ends with nothing lost, nothing doubled, and a transfer-log
entry that says what happened."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.pipeline import RunSummary, Step, run_cycle, summary_totals
from gateway.sample import SAMPLE_FACTS, day_two_export
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, HandoverBatchRow, ReceivedFileRow, TransferRow
from tests.benchmarks.extract import generate
from tests.conftest import TODAY, Workspace
from tests.integration.helpers import HEADER, counts, files, item_line
from tests.integration.sftp_setup import (
    SAMPLE_EXPORT,
    agency_on,
    edit_config,
    local_path,
    server_files,
    use_sftp,
)
from tests.sftp_server import SftpServer, interrupt_download, interrupt_upload


@pytest.fixture
def server() -> Iterator[SftpServer]:
    server = SftpServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def remote(workspace: Workspace, server: SftpServer) -> Workspace:
    use_sftp(workspace, server)
    return workspace


def transfers(store: Store) -> list[TransferRow]:
    with store.unit_of_work(read_only=True) as session:
        rows = list(session.scalars(select(TransferRow).order_by(TransferRow.id)))
        session.expunge_all()
        return rows


def states(store: Store) -> dict[str, str]:
    with store.unit_of_work(read_only=True) as session:
        return {c.reference: c.state for c in session.scalars(select(CaseRow))}


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def run(workspace: Workspace, store: Store, steps: tuple[Step, ...] | None = None) -> RunSummary:
    context = workspace.context(store)
    return run_cycle(context) if steps is None else run_cycle(context, steps)


# --- the loop --------------------------------------------------------------------------------


def test_the_whole_loop_runs_with_the_erp_and_the_agency_on_sftp(
    remote: Workspace, store: Store, server: SftpServer
) -> None:
    local_before = files(remote.folder)
    first = run(remote, store)
    assert not first.failed, first.errors
    totals = summary_totals(first)
    assert totals["records_read"] == SAMPLE_FACTS.lines
    assert totals["items_accepted"] == SAMPLE_FACTS.items
    assert totals["cases_created"] == totals["cases_handed_over"] == SAMPLE_FACTS.cases

    (handover,) = first.handover
    handed = local_path(server, handover.location)
    assert handed.parent == server.path("agency", "to-agency")
    rows = csv_rows(handed.read_bytes())
    assert len(rows) == SAMPLE_FACTS.selected_items
    manifest = json.loads(handed.with_name(handed.name + ".manifest.json").read_text())
    assert manifest["records"] == SAMPLE_FACTS.selected_items
    assert manifest["totals"] == {"EUR": "10887.55", "GBP": "3400.00", "USD": "1150.00"}
    (writeback,) = first.writeback
    actions = csv_rows(local_path(server, writeback.location).read_bytes())
    assert len(actions) == 3 * SAMPLE_FACTS.selected_items
    assert server.path("erp", "exports", "archive", SAMPLE_EXPORT).exists()

    assert len(agency_on(server).answer(datetime.now(UTC))) == 1
    server.path("erp", "exports", "open_items_2.csv").write_bytes(day_two_export(TODAY))
    second = run(remote, store)
    assert not second.failed, second.errors
    totals = summary_totals(second)
    assert totals["items_cleared"] == SAMPLE_FACTS.day_two_cleared
    assert totals["direct_payments"] == SAMPLE_FACTS.day_two_cleared + SAMPLE_FACTS.day_two_reduced
    assert totals["events_applied"] == 20 and totals["events_already_known"] == 1
    assert totals["events_quarantined"] == 1
    assert totals["notices_sent"] == 2
    assert states(store) == {
        "CB-0000001": "closed_paid",
        "CB-0000002": "payment_plan",
        "CB-0000003": "disputed",
        "CB-0000004": "legal",
        "CB-0000005": "rejected",
        "CB-0000006": "closed_partially_paid",
        "CB-0000007": "closed_paid_directly",
    }
    archived = sorted(p.name for p in server.path("agency", "from-agency", "archive").iterdir())
    assert archived == [
        "status_CB-B000001.csv",
        "status_CB-B000001.csv.manifest.json",
    ]

    # every movement went over SFTP and is logged with its hash; nothing landed locally
    moved = [t for t in transfers(store) if t.status in ("ok", "partial")]
    assert moved and {t.channel for t in moved} == {"sftp"}
    for transfer in moved:
        assert transfer.location.startswith(("sftp://", "open_items", "status_"))
        assert transfer.sha256 and len(transfer.sha256) == 64
    assert files(remote.folder) <= local_before

    before, present = counts(store), server_files(server)
    third = run(remote, store)
    assert not third.changed_anything and not third.failed
    assert counts(store) == before
    assert server_files(server) == present


# --- faults ----------------------------------------------------------------------------------


def test_the_server_killed_during_the_handover_upload(
    remote: Workspace, store: Store, server: SftpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt_upload(monkeypatch, 1, server.kill)
    first = run(remote, store)
    (handover,) = first.handover
    assert handover.status == "failed"
    (failed,) = [t for t in transfers(store) if t.kind == "handover"]
    assert failed.status == "failed"
    assert "upload of sftp://" in failed.error and "handover_CB-B000001.csv failed" in failed.error
    assert "nothing published under that name" in failed.error
    assert "connection refused" in failed.error
    # the agency sees nothing; the cases wait in their batch
    visible = [p.name for p in server.path("agency", "to-agency").iterdir()]
    assert all(name.startswith(".") for name in visible)
    with store.unit_of_work(read_only=True) as session:
        (batch,) = session.scalars(select(HandoverBatchRow))
        assert (batch.status, batch.attempts) == ("pending", 1)
    assert set(states(store).values()) == {"approved"}
    # the rest of the cycle could not reach the server either, and says so
    (pickup,) = [t for t in transfers(store) if t.kind == "agency_updates"]
    assert pickup.status == "failed" and "connection refused" in pickup.error

    server.start()
    monkeypatch.undo()
    second = run(remote, store)
    assert not second.failed, second.errors
    (handover,) = second.handover
    assert handover.status == "delivered"
    to_agency = sorted(p.name for p in server.path("agency", "to-agency").iterdir())
    assert to_agency == ["handover_CB-B000001.csv", "handover_CB-B000001.csv.manifest.json"]
    data = server.path("agency", "to-agency", "handover_CB-B000001.csv").read_bytes()
    assert len(csv_rows(data)) == SAMPLE_FACTS.selected_items
    assert set(states(store).values()) == {"submitted"}
    (writeback,) = second.writeback
    actions = csv_rows(local_path(server, writeback.location).read_bytes())
    assert len(actions) == len({a["action_id"] for a in actions}) == 3 * SAMPLE_FACTS.selected_items
    assert not run(remote, store).changed_anything


def test_the_server_killed_during_an_export_download(
    remote: Workspace, store: Store, server: SftpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = server.path("erp", "exports", "open_items_big.csv")
    generate(big, 5_000)
    size = big.stat().st_size
    interrupt_download(monkeypatch, size // 3, server.kill)
    first = run(remote, store, (Step.EXTRACT,))
    assert [r.status for r in first.extraction] == ["ok", "failed"] or [
        r.status for r in first.extraction
    ] == ["partial", "failed"]
    failed = first.extraction[-1]
    assert "download of sftp://" in failed.error and "open_items_big.csv failed" in failed.error
    assert "bytes received; the file stays in place" in failed.error
    (entry,) = [t for t in transfers(store) if t.status == "failed"]
    assert entry.error == failed.error and entry.direction == "inbound"
    assert big.exists() and big.stat().st_size == size
    with store.unit_of_work(read_only=True) as session:
        assert [r.name for r in session.scalars(select(ReceivedFileRow))] == [SAMPLE_EXPORT]

    server.start()
    monkeypatch.undo()
    # The generated export replaces the sample's ledger: its items vanish, which the
    # snapshot guard holds for confirmation; this test is about the download, so it is off.
    config = remote.config_path.read_text(encoding="utf-8")
    remote.config_path.write_text(
        config.replace(
            "    connector: csv\n", "    connector: csv\n    snapshot_guard: {enabled: false}\n", 1
        ),
        encoding="utf-8",
    )
    second = run(remote, store, (Step.EXTRACT,))
    (result,) = second.extraction
    assert (result.label, result.records) == ("open_items_big.csv", 5_000)
    assert result.status in ("ok", "partial")
    assert server.path("erp", "exports", "archive", "open_items_big.csv").stat().st_size == size
    with store.unit_of_work(read_only=True) as session:
        names = sorted(r.name for r in session.scalars(select(ReceivedFileRow)))
    assert names == [SAMPLE_EXPORT, "open_items_big.csv"]
    before = counts(store)
    assert run(remote, store, (Step.EXTRACT,)).extraction == []
    assert counts(store) == before


def test_a_file_that_cannot_be_archived_after_its_commit_is_not_read_twice(
    remote: Workspace, store: Store, server: SftpServer
) -> None:
    import os

    archive = server.path("erp", "exports", "archive")
    archive.mkdir()  # root's: the SFTP account cannot move files into it
    first = run(remote, store, (Step.EXTRACT,))
    (result,) = first.extraction
    assert result.status == "partial" and result.accepted == SAMPLE_FACTS.items
    assert "processed, but not moved to the archive" in result.notes[-1]
    (entry,) = transfers(store)
    assert entry.status == "partial" and "permission denied" in entry.error
    assert "the next run skips it as already processed" in entry.error
    before = counts(store)

    again = run(remote, store, (Step.EXTRACT,))
    (skipped,) = again.extraction
    assert skipped.status == "skipped"
    assert counts(store)["items"] == before["items"]
    assert counts(store)["events"] == before["events"]

    os.chown(archive, server.login.pw_uid, server.login.pw_gid)
    third = run(remote, store, (Step.EXTRACT,))
    assert [r.status for r in third.extraction] == ["skipped"]
    assert [p.name for p in archive.iterdir()] == [SAMPLE_EXPORT]
    assert not [p for p in server.path("erp", "exports").iterdir() if p.is_file()]
    assert counts(store)["items"] == before["items"]


def test_an_export_still_being_written_waits_for_the_next_poll(
    remote: Workspace, store: Store, server: SftpServer
) -> None:
    edit_config(remote, server.options(), settle_seconds=1)
    growing = server.path("erp", "exports", "open_items_2.csv")
    growing.write_text(HEADER)
    written = [0]
    stop = threading.Event()

    def the_erp_exports() -> None:
        while not stop.wait(0.2):
            with growing.open("a") as handle:
                handle.write(item_line(f"77{written[0]:04d}") + "\n")
            written[0] += 1

    writer = threading.Thread(target=the_erp_exports)
    writer.start()
    try:
        first = run(remote, store, (Step.EXTRACT,))
    finally:
        stop.set()
        writer.join()
    assert [r.label for r in first.extraction] == [SAMPLE_EXPORT]
    assert growing.exists()
    assert not [t for t in transfers(store) if t.location == "open_items_2.csv"]

    time.sleep(1.1)
    second = run(remote, store, (Step.EXTRACT,))
    (result,) = second.extraction
    assert (result.label, result.records) == ("open_items_2.csv", written[0])
    (entry,) = [t for t in transfers(store) if t.location == "open_items_2.csv"]
    assert entry.status in ("ok", "partial") and entry.bytes == len(
        server.path("erp", "exports", "archive", "open_items_2.csv").read_bytes()
    )


def test_a_wrong_host_key_stops_everything_before_any_file_moves(
    remote: Workspace, store: Store, server: SftpServer, tmp_path: object
) -> None:
    import subprocess
    from pathlib import Path

    other = Path(str(tmp_path)) / "impostor"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    known = Path(str(tmp_path)) / "known_hosts"
    public = " ".join(Path(f"{other}.pub").read_text().split()[:2])
    known.write_text(f"[127.0.0.1]:{server.port} {public}\n")
    edit_config(remote, server.options(known_hosts=str(known)))
    inbox_before = server_files(server)

    summary = run(remote, store)
    assert summary.failed
    (entry,) = [t for t in transfers(store) if t.kind == "open_items"]
    assert entry.status == "failed"
    assert "HOST KEY CHANGED" in entry.error and server.host_fingerprint in entry.error
    assert counts(store)["items"] == 0
    assert server_files(server) == inbox_before

    edit_config(remote, server.options())
    assert not run(remote, store).failed
    assert counts(store)["items"] == SAMPLE_FACTS.items


def test_an_agency_folder_without_permission_holds_the_batch_back(
    remote: Workspace, store: Store, server: SftpServer
) -> None:
    import os

    outbox = server.path("agency", "to-agency")
    os.chown(outbox, 0, 0)  # root's now: the SFTP account may not write there
    first = run(remote, store)
    (handover,) = first.handover
    assert handover.status == "failed"
    (entry,) = [t for t in transfers(store) if t.kind == "handover"]
    assert entry.status == "failed" and "permission denied" in entry.error
    assert "agency/to-agency" in entry.error
    assert list(outbox.iterdir()) == []

    os.chown(outbox, server.login.pw_uid, server.login.pw_gid)
    second = run(remote, store)
    assert [h.status for h in second.handover] == ["delivered"]
    assert sorted(p.name for p in outbox.iterdir()) == [
        "handover_CB-B000001.csv",
        "handover_CB-B000001.csv.manifest.json",
    ]
    with store.unit_of_work(read_only=True) as session:
        assert [b.status for b in session.scalars(select(HandoverBatchRow))] == ["delivered"]
