"""The `files` agency channel in XML: handover files written from the shipped template and
checked against the shipped XSD, status-return files read record by record (bad ones
quarantined with record number, line and field), control totals inside the file checked,
notices in XML."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, QuarantinedRecordRow, TransferRow
from mappings.xml_layout import load_schema
from tests.conftest import Workspace

H = "{urn:claimbridge:handover:1}"


def use_xml(workspace: Workspace) -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    text = text.replace(
        "    channel: files\n",
        "    channel: files\n"
        "    mappings:\n"
        "      handover: preset:handover-xml\n"
        "      agency_events: preset:agency-events-xml\n"
        "      notices: preset:notices-xml\n",
    )
    text = text.replace("format: csv                   # or json", "format: xml")
    text = text.replace('pattern: "status_*.csv"', 'pattern: "status_*.xml"')
    workspace.config_path.write_text(text, encoding="utf-8")


def status_report(path: Path, events: list[str], control: str = "") -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StatusReport xmlns="urn:claimbridge:status:1" version="1">\n<Events>\n'
        + "\n".join(events)
        + f"\n</Events>\n{control}</StatusReport>\n",
        encoding="utf-8",
    )
    return path


def event(event_id: str, case: str, status: str, payment: str = "") -> str:
    return (
        f'<Event id="{event_id}"><CaseReference>{case}</CaseReference>'
        f"<OccurredAt>2026-11-21T10:00:00Z</OccurredAt><Status>{status}</Status>{payment}</Event>"
    )


def test_handover_and_status_return_in_xml(workspace: Workspace, store: Store) -> None:
    use_xml(workspace)
    summary = run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    assert not summary.failed, summary.errors
    (handover,) = summary.handover
    assert handover.location.endswith(".xml")
    tree = etree.parse(handover.location)
    assert load_schema("preset:claimbridge-handover-1.xsd", "").validate(tree)
    root = tree.getroot()
    cases = root.findall(f"{H}Cases/{H}Case")
    assert len(cases) == handover.cases
    assert int(root.findtext(f"{H}Control/{H}ItemCount")) == handover.items
    totals = {t.get("currency"): t.text for t in root.iterfind(f"{H}Control/{H}Total")}
    assert totals == {"EUR": "10887.55", "GBP": "3400.00", "USD": "1150.00"}
    first = cases[0]
    assert first.findtext(f"{H}Debtor/{H}Name")
    assert first.find(f"{H}Items").get("count") == str(len(first.findall(f"{H}Items/{H}Item")))
    assert Path(handover.location + ".manifest.json").exists()

    reference = first.get("reference")
    inbox = workspace.path("agency", "from-agency")
    payment = '<Payment currency="{c}"><Amount>10.00</Amount><Principal>10.00</Principal></Payment>'
    currency = first.get("currency")
    status_report(
        inbox / "status_1.xml",
        [
            event("E1", reference, "ACK"),
            event("E2", "CB-9999999", "WIP"),
            event("E3", reference, "PAY", payment.format(c=currency)),
            event("E4", reference, "NOPE"),
        ],
    )
    (result,) = run_cycle(workspace.context(store), (Step.UPDATES,)).updates
    assert (result.records, result.applied, result.quarantined) == (4, 2, 2)
    with store.unit_of_work(read_only=True) as session:
        rows = {q.position: q for q in session.scalars(select(QuarantinedRecordRow))}
        case = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()
        assert case.collected_principal_minor == 1_000
    unknown = rows["record 2 (line 5)"]
    assert unknown.fields == "case_reference" and "CB-9999999" in unknown.reason
    bad_status = rows["record 4 (line 7)"]
    assert bad_status.fields == "kind" and "'NOPE'" in bad_status.reason
    assert "NOPE" in bad_status.raw  # the values read from the record are kept


def test_control_totals_in_a_status_file_refuse_it_whole(
    workspace: Workspace, store: Store
) -> None:
    use_xml(workspace)
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    with store.unit_of_work(read_only=True) as session:
        reference = session.scalars(select(CaseRow.reference).order_by(CaseRow.id)).first()
    inbox = workspace.path("agency", "from-agency")
    control = "<Control><EventCount>2</EventCount></Control>\n"
    status_report(inbox / "status_2.xml", [event("E1", reference, "ACK")], control)
    (result,) = run_cycle(workspace.context(store), (Step.UPDATES,)).updates
    assert result.status == "failed"
    assert "1 records read, the file's control total says 2" in result.error
    assert (inbox / "error" / "status_2.xml").exists()
    with store.unit_of_work(read_only=True) as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()
        assert case.state == "submitted"  # nothing of the file was applied
        transfer = session.get(TransferRow, result.transfer_id)
        assert transfer is not None and transfer.status == "failed"


def test_a_status_file_with_a_dtd_is_refused(workspace: Workspace, store: Store) -> None:
    use_xml(workspace)
    inbox = workspace.path("agency", "from-agency")
    path = status_report(inbox / "status_3.xml", [])
    text = path.read_text("utf-8").replace(
        "\n<StatusReport", '\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<StatusReport'
    )
    path.write_text(text, "utf-8")
    (result,) = run_cycle(workspace.context(store), (Step.UPDATES,)).updates
    assert result.status == "failed" and "status_3.xml: the file declares a DTD" in result.error
    reason = (inbox / "error" / "status_3.xml.reason.txt").read_text("utf-8")
    assert "DTD" in reason
