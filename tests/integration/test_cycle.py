"""The whole loop on the embedded default: sample export → cases → agency → ERP write-back."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from gateway.pipeline import run_cycle, summary_totals
from gateway.sample import SAMPLE_FACTS, day_two_export
from gateway.storage.database import Store
from gateway.storage.models import CaseRow
from simulators.file_agency import FileAgencySimulator
from tests.conftest import TODAY, Workspace
from tests.integration.helpers import counts, files


def read_csv_rows(location: str) -> list[dict[str, str]]:
    return list(csv.DictReader(Path(location).read_text(encoding="utf-8").splitlines()))


def agency(workspace: Workspace) -> FileAgencySimulator:
    return FileAgencySimulator(
        workspace.path("agency", "to-agency"), workspace.path("agency", "from-agency")
    )


def test_the_first_cycle_matches_the_sample_data(workspace: Workspace, store: Store) -> None:
    summary = run_cycle(workspace.context(store))
    assert not summary.failed, summary.errors
    totals = summary_totals(summary)
    facts = SAMPLE_FACTS
    assert totals["records_read"] == facts.lines
    assert totals["items_accepted"] == facts.items
    assert totals["records_quarantined"] == facts.quarantined
    assert totals["items_selected"] == facts.selected_items
    assert totals["cases_created"] == totals["cases_handed_over"] == facts.cases
    (selection,) = summary.selection
    assert selection.excluded == facts.excluded
    assert selection.candidates == facts.items

    (handover,) = summary.handover
    rows = read_csv_rows(handover.location)
    assert len(rows) == facts.selected_items
    assert {r["case_reference"] for r in rows} == {f"CB-{i:07d}" for i in range(1, 8)}
    manifest = json.loads(Path(handover.location + ".manifest.json").read_text(encoding="utf-8"))
    assert manifest["records"] == facts.selected_items and manifest["cases"] == facts.cases
    assert manifest["totals"] == {"EUR": "10887.55", "GBP": "3400.00", "USD": "1150.00"}

    # the ERP hears of every handed-over item: dunning block, note, status
    (writeback,) = summary.writeback
    actions = read_csv_rows(writeback.location)
    blocks = [a for a in actions if a["action"] == "set_dunning_block"]
    assert len(blocks) == facts.selected_items and {a["dunning_block"] for a in blocks} == {"I"}
    assert len(actions) == 3 * facts.selected_items
    assert len({a["action_id"] for a in actions}) == len(actions)


def test_the_second_cycle_applies_the_agency_and_the_erp_and_a_third_changes_nothing(
    workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    assert len(agency(workspace).answer(datetime.now(UTC))) == 1
    workspace.path("erp", "exports", "open_items_2.csv").write_bytes(day_two_export(TODAY))

    second = run_cycle(workspace.context(store))
    assert not second.failed, second.errors
    totals = summary_totals(second)
    assert totals["items_cleared"] == SAMPLE_FACTS.day_two_cleared
    assert totals["direct_payments"] == SAMPLE_FACTS.day_two_cleared + SAMPLE_FACTS.day_two_reduced
    assert totals["events_applied"] == 20 and totals["events_already_known"] == 1
    assert totals["events_quarantined"] == 1  # the case the agency made up
    assert totals["notices_sent"] == 2
    with store.unit_of_work(read_only=True) as session:
        states = {c.reference: c for c in session.scalars(select(CaseRow))}
    assert {r: c.state for r, c in states.items()} == {
        "CB-0000001": "closed_paid",
        "CB-0000002": "payment_plan",
        "CB-0000003": "disputed",
        "CB-0000004": "legal",
        "CB-0000005": "rejected",
        "CB-0000006": "closed_partially_paid",
        "CB-0000007": "closed_paid_directly",
    }
    paid = states["CB-0000001"]
    assert paid.collected_principal_minor == paid.handed_over_minor == 223_040
    assert paid.collected_fees_minor == 4_000 and paid.commission_minor == 33_456
    partial = states["CB-0000006"]
    assert (partial.collected_principal_minor, partial.written_off_minor) == (50_000, 65_000)
    assert states["CB-0000004"].paid_directly_minor == 30_000
    assert not any(c.needs_attention for c in states.values())

    (writeback,) = second.writeback
    actions = read_csv_rows(writeback.location)
    payments = [a for a in actions if a["action"] == "post_payment"]
    assert (
        sum(float(a["amount"]) for a in payments if a["case_reference"] == "CB-0000001") == 2230.40
    )
    unblocked = {a["case_reference"] for a in actions if a["action"] == "clear_dunning_block"}
    assert unblocked == {"CB-0000005"}  # the rejected case goes back to the creditor's dunning

    before, present = counts(store), files(workspace.folder)
    third = run_cycle(workspace.context(store))
    assert not third.changed_anything
    assert counts(store) == before
    assert files(workspace.folder) == present


def test_a_json_handover_carries_its_control_totals(workspace: Workspace, store: Store) -> None:
    text = workspace.config_path.read_text().replace("format: csv", "format: json")
    workspace.config_path.write_text(text)
    summary = run_cycle(workspace.context(store))
    (handover,) = summary.handover
    assert handover.location.endswith(".json")
    body = json.loads(Path(handover.location).read_text(encoding="utf-8"))
    assert body["control"] == {
        "case_count": 7,
        "item_count": 11,
        "totals": {"EUR": "10887.55", "GBP": "3400.00", "USD": "1150.00"},
    }
    first = body["cases"][0]
    assert first["case_reference"] == "CB-0000001" and len(first["items"]) == 2
    assert first["items"][0]["open_amount"] == "1250.00"
    (status_file,) = agency(workspace).answer(datetime.now(UTC))
    assert status_file.exists()


def test_manual_approval_holds_cases_back_from_the_agency(
    workspace: Workspace, store: Store
) -> None:
    text = workspace.config_path.read_text().replace("approval: automatic", "approval: manual")
    workspace.config_path.write_text(text)
    summary = run_cycle(workspace.context(store))
    assert summary_totals(summary)["cases_created"] == 7
    assert summary.handover == []
    with store.unit_of_work(read_only=True) as session:
        assert {c.state for c in session.scalars(select(CaseRow))} == {"selected"}
