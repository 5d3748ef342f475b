"""The snapshot plausibility guard: a truncated export is held for confirmation, not applied;
accounting or IT confirms it (then it is applied) or rejects it (then it is set aside)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api import create_app
from gateway.cli import main as cli
from gateway.ops.alerts.conditions import current_conditions
from gateway.pipeline import run_cycle
from gateway.sample import sample_export
from gateway.storage.database import Store
from gateway.storage.models import (
    CaseEventRow,
    CaseRow,
    OpenItemRow,
    OutboxMessageRow,
    SnapshotHoldRow,
    TransferRow,
)
from tests.conftest import TODAY, Workspace
from tests.integration.api_users import add_user, bearer


def export_lines() -> list[str]:
    return sample_export(TODAY).decode("utf-8").splitlines(keepends=True)


def truncated_export(workspace: Workspace, lines: int = 5) -> str:
    """The day's export cut after `lines` lines (a disk full, a job killed halfway)."""
    whole = export_lines()
    name = "open_items_2.csv"
    workspace.path("erp", "exports", name).write_text("".join(whole[: 1 + lines]), encoding="utf-8")
    return name


def state(store: Store) -> tuple[int, int, int, list[str]]:
    """Open items, direct-payment events, outbox messages, case states."""
    with store.unit_of_work(read_only=True) as session:
        open_items = session.scalar(
            select(func.count()).select_from(OpenItemRow).where(OpenItemRow.is_open.is_(True))
        )
        events = session.scalar(
            select(func.count())
            .select_from(CaseEventRow)
            .where(CaseEventRow.kind == "direct_payment")
        )
        messages = session.scalar(select(func.count()).select_from(OutboxMessageRow))
        states = list(session.scalars(select(CaseRow.state).order_by(CaseRow.reference)))
    return int(open_items or 0), int(events or 0), int(messages or 0), states


def run(workspace: Workspace) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["-c", str(workspace.config_path), "run", "--as-of", TODAY.isoformat()],
        env={"CLAIMBRIDGE_DATABASE_URL": workspace.database_url},
    )
    return result.exit_code, result.output


def holds(store: Store) -> list[SnapshotHoldRow]:
    with store.unit_of_work(read_only=True) as session:
        return list(session.scalars(select(SnapshotHoldRow).order_by(SnapshotHoldRow.id)))


def test_a_truncated_export_is_held_with_an_alert_and_a_non_zero_exit(
    workspace: Workspace, store: Store
) -> None:
    first = run_cycle(workspace.context(store))
    assert not first.failed, first.errors
    before = state(store)
    name = truncated_export(workspace)

    code, output = run(workspace)
    assert code == 1, output
    assert "HELD for confirmation" in output and "claimbridge snapshots confirm" in output
    assert state(store) == before  # nothing cleared, no direct payment, nothing to send
    assert workspace.path("erp", "exports", name).exists()  # it stays where it is
    (hold,) = holds(store)
    assert hold.status == "held" and hold.source == "erp" and "would be cleared" in hold.reason
    with store.unit_of_work(read_only=True) as session:
        transfer = session.get(TransferRow, hold.transfer_id)
        assert transfer is not None and transfer.status == "held"
        conditions = current_conditions(session, [], [], datetime.now(UTC))
    assert [c.key for c in conditions if c.kind == "snapshot_held"] == ["snapshot_held:erp"]

    # the next run does not apply it either, and says why
    code, output = run(workspace)
    assert code == 1 and f"hold {hold.id}" in output
    assert state(store) == before and len(holds(store)) == 1


def test_a_confirmed_hold_is_applied_once(workspace: Workspace, store: Store) -> None:
    run_cycle(workspace.context(store))
    before_open = state(store)[0]
    truncated_export(workspace)
    run(workspace)
    (hold,) = holds(store)
    token = add_user(store, "ivan", "it")  # IT may decide on a held snapshot
    confirmed = CliRunner().invoke(
        cli,
        ["-c", str(workspace.config_path), "snapshots", "confirm", str(hold.id)],
        env={"CLAIMBRIDGE_DATABASE_URL": workspace.database_url, "CLAIMBRIDGE_TOKEN": token},
    )
    assert confirmed.exit_code == 0 and "confirmed" in confirmed.output, confirmed.output
    code, output = run(workspace)
    assert code == 0, output
    open_items, direct, _, _ = state(store)
    assert open_items < before_open and direct > 0  # applied as it is
    (hold,) = holds(store)
    assert hold.status == "applied" and hold.applied_transfer_id is not None
    assert hold.decided_by == "ivan"  # the token's user, not the environment's name
    again = CliRunner().invoke(
        cli,
        ["-c", str(workspace.config_path), "snapshots", "confirm", str(hold.id)],
        env={"CLAIMBRIDGE_DATABASE_URL": workspace.database_url, "CLAIMBRIDGE_TOKEN": token},
    )
    assert again.exit_code == 1 and "applied already" in again.output


def test_a_hold_rejected_through_the_api_is_set_aside_unapplied(
    workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    before = state(store)
    name = truncated_export(workspace)
    run(workspace)
    (hold,) = holds(store)
    token = add_user(store, "carol", "accounting")
    with TestClient(create_app(workspace.config(), store)) as client:
        listed = client.get("/v1/snapshots/holds", headers=bearer(add_user(store, "ian", "it")))
        assert listed.status_code == 200 and listed.json()[0]["status"] == "held"
        answer = client.post(
            f"/v1/snapshots/holds/{hold.id}/reject",
            json={"note": "the export job died halfway"},
            headers=bearer(token),
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["decided_by"] == "carol"
        twice = client.post(
            f"/v1/snapshots/holds/{hold.id}/confirm", json={}, headers=bearer(token)
        )
        assert twice.status_code == 409
    code, output = run(workspace)
    assert code == 1  # a snapshot set aside is a failed extraction, for IT to see
    assert "set aside" in output and "the export job died halfway" in output
    assert state(store) == before
    assert not workspace.path("erp", "exports", name).exists()
    assert workspace.path("erp", "exports", "error", name).exists()
    (hold,) = holds(store)
    assert hold.status == "set_aside"


def test_open_amounts_gone_down_count_like_vanished_items(
    workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    before = state(store)
    header, *lines = export_lines()
    # every item still there, every open amount halved (a partly exported amount column?)
    column = header.rstrip("\n").split(",").index("open_amount")
    halved = []
    for line in lines:
        cells = line.rstrip("\n").split(",")
        with contextlib.suppress(IndexError, ValueError):  # broken lines stay broken
            cells[column] = f"{float(cells[column]) / 2:.2f}"
        halved.append(",".join(cells) + "\n")
    workspace.path("erp", "exports", "open_items_2.csv").write_text(
        header + "".join(halved), encoding="utf-8"
    )
    code, output = run(workspace)
    assert code == 1, output
    (hold,) = holds(store)
    assert "would vanish or be paid" in hold.reason and "would be cleared" not in hold.reason
    assert state(store) == before
