"""`grouping.net_credits`: a debtor's open credits (credit notes) join its case, which then
claims what is owed net; a credit used up in the ERP against the case's invoices is no
payment by the debtor."""

from __future__ import annotations

from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import CaseItemRow, CaseRow
from tests.conftest import Workspace
from tests.integration.helpers import export, item_line


def netting(workspace: Workspace) -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    text = text.replace('min_case_total: "0.00"', 'min_case_total: "0.00"\n      net_credits: true')
    workspace.config_path.write_text(text, encoding="utf-8")


def clean(workspace: Workspace) -> None:
    for path in workspace.path("erp", "exports").glob("*.csv"):
        path.unlink()


def cases(store: Store) -> dict[str, tuple[int, int, int]]:
    """debtor → (handed over, items, paid directly)."""
    with store.unit_of_work(read_only=True) as session:
        found = {}
        for case in session.scalars(select(CaseRow)):
            count = len(
                session.scalars(select(CaseItemRow).where(CaseItemRow.case_id == case.id)).all()
            )
            found[case.debtor_number] = (case.handed_over_minor, count, case.paid_directly_minor)
        return found


def test_open_credits_are_netted_into_the_case(workspace: Workspace, store: Store) -> None:
    netting(workspace)
    clean(workspace)
    export(
        workspace.folder,
        "open_items_1.csv",
        [
            item_line("D1", amount="800.00", debtor="C1"),
            item_line("CN1", amount="-150.00", debtor="C1", level=0),
            item_line("D2", amount="100.00", debtor="C2"),
            item_line("CN2", amount="-300.00", debtor="C2", level=0),  # more credit than debt
            item_line("CN3", amount="-20.00", debtor="C3", level=0),  # a credit alone
        ],
    )
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    assert cases(store) == {"C1": (65_000, 2, 0)}  # C2 is owed nothing net: no case

    # the ERP applies the credit note to the invoice: the invoice shows 650.00, the credit
    # note is gone. That is not a payment by the debtor.
    export(
        workspace.folder,
        "open_items_2.csv",
        [
            item_line("D1", amount="650.00", debtor="C1"),
            item_line("D2", amount="100.00", debtor="C2"),
        ],
    )
    summary = run_cycle(workspace.context(store), (Step.EXTRACT,))
    (extraction,) = summary.extraction
    assert extraction.direct_payments == 0
    assert cases(store)["C1"] == (65_000, 2, 0)

    # ... and a real payment after that is one
    export(workspace.folder, "open_items_3.csv", [item_line("D1", amount="600.00", debtor="C1")])
    (extraction,) = run_cycle(workspace.context(store), (Step.EXTRACT,)).extraction
    assert extraction.direct_payments == 1
    assert cases(store)["C1"] == (65_000, 2, 5_000)


def test_without_net_credits_a_case_claims_its_invoices_only(
    workspace: Workspace, store: Store
) -> None:
    clean(workspace)
    export(
        workspace.folder,
        "open_items_1.csv",
        [
            item_line("D1", amount="800.00", debtor="C1"),
            item_line("CN1", amount="-150.00", debtor="C1", level=0),
        ],
    )
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    assert cases(store) == {"C1": (80_000, 1, 0)}  # the gross amount: the credit left out
