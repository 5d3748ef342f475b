"""Agency status files: bad lines quarantined, control totals enforced, repeats harmless."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import CaseEventRow, CaseRow, QuarantinedRecordRow
from tests.conftest import Workspace
from tests.integration.helpers import counts

HEADER = (
    "event_id,case_reference,occurred_at,status,amount,principal,interest,fees,commission,"
    "currency,paid_to,note\n"
)


def status_file(
    workspace: Workspace, name: str, lines: list[str], manifest: dict[str, object] | None = None
) -> Path:
    path = workspace.path("agency", "from-agency", name)
    data = (HEADER + "".join(f"{line}\n" for line in lines)).encode()
    path.write_bytes(data)
    if manifest is not None:
        body = {"sha256": hashlib.sha256(data).hexdigest(), **manifest}
        path.with_name(name + ".manifest.json").write_text(json.dumps(body))
    return path


def submitted(workspace: Workspace, store: Store) -> None:
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))


def updates(workspace: Workspace, store: Store):
    return run_cycle(workspace.context(store), (Step.UPDATES,)).updates


def test_bad_lines_are_quarantined_and_the_rest_applied(workspace: Workspace, store: Store) -> None:
    submitted(workspace, store)
    status_file(
        workspace,
        "status_1.csv",
        [
            "E1,CB-0000001,2026-11-20T10:00:00Z,ACK,,,,,,,,",
            "E2,CB-0000999,2026-11-20T10:00:00Z,ACK,,,,,,,,",
            "E3,CB-0000002,2026-11-20T10:00:00Z,PAY,10.00,,,,,USD,agency,",
            "E4,CB-0000002,2026-11-20T10:00:00Z,HELLO,,,,,,,,",
            "E5,CB-0000002,2026-11-20T10:00:00Z,PAY,10.00,8.00,1.00,0.50,,EUR,agency,",
            "E6,CB-0000001,yesterday,WIP,,,,,,,,",
        ],
    )
    (result,) = updates(workspace, store)
    assert (result.applied, result.quarantined) == (1, 5)
    with store.unit_of_work(read_only=True) as session:
        reasons = {q.position: q.reason for q in session.scalars(select(QuarantinedRecordRow))}
    assert "no case of agency acme has this reference" in reasons["3"]
    assert "the case is in EUR, the payment in USD" in reasons["4"]
    assert "unknown code (allowed: ACCEPTED, ACK" in reasons["5"]
    assert "is not principal + interest + fees (9.50 EUR)" in reasons["6"]
    assert "occurred_at: not a date-time" in reasons["7"]


def test_a_repeated_file_and_repeated_lines_change_nothing(
    workspace: Workspace, store: Store
) -> None:
    submitted(workspace, store)
    lines = [
        "E1,CB-0000001,2026-11-20T10:00:00Z,ACK,,,,,,,,",
        "E1,CB-0000001,2026-11-20T10:00:00Z,ACK,,,,,,,,",
    ]
    status_file(workspace, "status_1.csv", lines)
    (result,) = updates(workspace, store)
    assert (result.applied, result.duplicates) == (1, 1)
    before = counts(store)
    status_file(workspace, "status_1_resent.csv", lines)
    (again,) = updates(workspace, store)
    assert again.status == "skipped"
    status_file(
        workspace, "status_2.csv", [lines[0], "E2,CB-0000001,2026-11-20T11:00:00Z,WIP,,,,,,,,"]
    )
    (third,) = updates(workspace, store)
    assert (third.applied, third.duplicates) == (1, 1)
    assert counts(store)["events"] == before["events"] + 1


def test_control_totals_that_do_not_match_refuse_the_whole_file(
    workspace: Workspace, store: Store
) -> None:
    submitted(workspace, store)
    status_file(
        workspace,
        "status_1.csv",
        ["E1,CB-0000001,2026-11-20T10:00:00Z,PAY,100.00,,,,,EUR,agency,"],
        manifest={"records": 1, "totals": {"EUR": "1000.00"}},
    )
    (result,) = updates(workspace, store)
    assert result.status == "failed"
    assert (
        "amounts in EUR add up to 100.00, the agency's control total says 1000.00" in result.error
    )
    with store.unit_of_work(read_only=True) as session:
        assert (
            session.scalars(select(CaseEventRow).where(CaseEventRow.origin == "agency")).first()
            is None
        )
    error_dir = workspace.path("agency", "from-agency", "error")
    assert (error_dir / "status_1.csv").exists() and (
        error_dir / "status_1.csv.manifest.json"
    ).exists()


def test_matching_control_totals_are_accepted(workspace: Workspace, store: Store) -> None:
    submitted(workspace, store)
    status_file(
        workspace,
        "status_1.csv",
        [
            "E1,CB-0000001,2026-11-20T10:00:00Z,PAY,100.00,,,,,EUR,agency,",
            "E2,CB-0000001,2026-11-20T10:01:00Z,WIP,,,,,,,,",
        ],
        manifest={"records": 2, "totals": {"EUR": "100.00"}},
    )
    (result,) = updates(workspace, store)
    assert (result.status, result.applied) == ("ok", 2)
    with store.unit_of_work(read_only=True) as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == "CB-0000001")).one()
        assert (case.state, case.collected_principal_minor) == ("in_progress", 10_000)
