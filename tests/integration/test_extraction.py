"""Extraction: bad lines quarantined with their reason, files taken at most once, snapshots
clear what they no longer hold, and a failure leaves nothing half-done."""

from __future__ import annotations

from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, OpenItemRow, QuarantinedRecordRow, TransferRow
from tests.conftest import Workspace
from tests.integration.helpers import counts, export, item_line


def clean(workspace: Workspace) -> None:
    for path in workspace.path("erp", "exports").glob("*.csv"):
        path.unlink()


def extract(workspace: Workspace, store: Store):
    return run_cycle(workspace.context(store), (Step.EXTRACT,)).extraction


def items(store: Store) -> dict[str, OpenItemRow]:
    with store.unit_of_work(read_only=True) as session:
        return {r.document_number: r for r in session.scalars(select(OpenItemRow))}


def test_bad_lines_are_quarantined_with_file_line_field_and_reason(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    export(
        workspace.folder,
        "open_items_1.csv",
        [
            item_line("D1"),
            item_line("D2", amount='"12,34"'),
            item_line("D3", currency="EURO"),
            item_line("D4", due="2026-02-30"),
            item_line("D5", amount="10.005"),
            item_line("D1", amount="999.00"),
            "1000,D7,2026,001,C1",
        ],
    )
    (result,) = extract(workspace, store)
    assert (result.records, result.accepted, result.quarantined, result.duplicates) == (7, 1, 6, 1)
    with store.unit_of_work(read_only=True) as session:
        rows = {q.position: q for q in session.scalars(select(QuarantinedRecordRow))}
        transfer = session.get(TransferRow, result.transfer_id)
        assert transfer is not None and transfer.status == "partial" and transfer.rejected == 6
    assert {q.location for q in rows.values()} == {"open_items_1.csv"}
    assert rows["3"].fields == "open_amount" and "not a number (value '12,34')" in rows["3"].reason
    assert rows["4"].fields == "currency" and "unknown currency" in rows["4"].reason
    assert rows["5"].fields == "net_due_date" and "not a date" in rows["5"].reason
    assert "more decimals than EUR allows" in rows["6"].reason
    assert "duplicate key" in rows["7"].reason and "on line 2" in rows["7"].reason
    assert rows["8"].reason == "the line has 5 fields, the header has 11"
    assert '"D2"' in rows["3"].raw  # the line itself is kept
    assert items(store)["D1"].open_amount_minor == 10_000  # the first line of a key wins


def test_a_file_is_processed_at_most_once(workspace: Workspace, store: Store) -> None:
    clean(workspace)
    first = export(workspace.folder, "open_items_1.csv", [item_line("D1")])
    content = first.read_bytes()
    extract(workspace, store)
    assert workspace.path("erp", "exports", "archive", "open_items_1.csv").exists()
    again = workspace.path("erp", "exports", "open_items_again.csv")
    again.write_bytes(content)
    before = counts(store)
    (result,) = extract(workspace, store)
    assert result.status == "skipped" and "already processed as open_items_1.csv" in result.notes[0]
    after = counts(store)
    assert after["items"] == before["items"] and after["transfers"] == before["transfers"] + 1


def test_an_item_missing_from_the_next_snapshot_is_cleared(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    export(workspace.folder, "open_items_1.csv", [item_line("D1"), item_line("D2")])
    extract(workspace, store)
    export(workspace.folder, "open_items_2.csv", [item_line("D1", amount="60.00")])
    (result,) = extract(workspace, store)
    assert result.cleared == 1
    found = items(store)
    assert found["D2"].is_open is False and found["D2"].cleared_on is not None
    assert found["D1"].is_open is True and found["D1"].open_amount_minor == 6_000


def test_a_quarantined_line_with_a_known_key_does_not_clear_its_item(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    export(workspace.folder, "open_items_1.csv", [item_line("D1"), item_line("D2")])
    extract(workspace, store)
    export(workspace.folder, "open_items_2.csv", [item_line("D1"), item_line("D2", amount="oops")])
    (result,) = extract(workspace, store)
    assert (result.quarantined, result.cleared) == (1, 0)
    assert items(store)["D2"].is_open is True


def test_a_line_without_a_readable_key_suspends_clearing(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    export(workspace.folder, "open_items_1.csv", [item_line("D1"), item_line("D2")])
    extract(workspace, store)
    export(workspace.folder, "open_items_2.csv", [item_line("D1"), "1000,D2,garbage"])
    (result,) = extract(workspace, store)
    assert result.cleared == 0
    assert (
        "cleared items not detected" in result.clearing_skipped and "(3)" in result.clearing_skipped
    )
    assert items(store)["D2"].is_open is True


def test_a_file_broken_in_the_middle_leaves_nothing_behind(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    path = export(workspace.folder, "open_items_1.csv", [item_line(f"D{i}") for i in range(50)])
    with path.open("ab") as handle:
        handle.write(
            "1000,BAD,2026,001,C1,Müller,2026-07-01,2026-08-01,EUR,1.00,3\n".encode("cp1252")
        )
    (result,) = extract(workspace, store)
    assert result.status == "failed" and "near line 52: not valid utf-8" in result.error
    assert counts(store)["items"] == 0
    error_dir = workspace.path("erp", "exports", "error")
    assert (error_dir / "open_items_1.csv").exists()
    assert "not valid utf-8" in (error_dir / "open_items_1.csv.reason.txt").read_text()
    with store.unit_of_work(read_only=True) as session:
        transfer = session.get(TransferRow, result.transfer_id)
        assert transfer is not None and transfer.status == "failed" and "line 52" in transfer.error


def test_a_missing_column_refuses_the_file_with_the_columns_named(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    workspace.path("erp", "exports", "open_items_1.csv").write_text(
        "company_code,document_number\n1000,D1\n"
    )
    (result,) = extract(workspace, store)
    assert result.status == "failed"
    assert "columns required by mapping 'generic-opos' are missing: customer_number" in result.error


def test_a_value_too_long_for_the_store_quarantines_its_line_only(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    export(workspace.folder, "open_items_1.csv", [item_line("D1"), item_line("D" * 40)])
    (result,) = extract(workspace, store)
    assert (result.accepted, result.quarantined) == (1, 1)
    with store.unit_of_work(read_only=True) as session:
        (row,) = session.scalars(select(QuarantinedRecordRow))
        assert row.fields == "document_number" and "longer than 32 characters" in row.reason


def test_an_item_of_a_case_at_the_agency_cleared_in_the_erp_is_a_direct_payment(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    export(
        workspace.folder,
        "open_items_1.csv",
        [item_line("D1", amount="300.00"), item_line("D2", amount="200.00")],
    )
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    export(workspace.folder, "open_items_2.csv", [item_line("D1", amount="100.00")])
    (result,) = extract(workspace, store)
    assert (result.cleared, result.direct_payments) == (1, 2)  # D2 cleared, D1 reduced by 200
    with store.unit_of_work(read_only=True) as session:
        (case,) = session.scalars(select(CaseRow))
        assert case.paid_directly_minor == 40_000 and case.handed_over_minor == 50_000
        assert case.state == "submitted"
    summary = run_cycle(workspace.context(store), (Step.NOTICES,))
    assert summary.notices[0].delivered == 2
    (notices,) = workspace.path("agency", "to-agency").glob("notices_*.csv")
    text = notices.read_text()
    assert "direct_payment" in text and "200.00" in text and "open amount reduced" in text
