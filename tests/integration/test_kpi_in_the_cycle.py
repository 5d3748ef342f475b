"""The KPIs in a run: the extract step reads the sales feed and refreshes the debtors' scores,
and a policy selects on the risk score the same day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.pipeline.summary import summary_lines
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, CreditSalesRow, DebtorScoreRow
from tests.conftest import TODAY, Workspace
from tests.integration.helpers import export, item_line
from tests.integration.test_kpi_dso import add_sales_feed


def test_extraction_refreshes_scores_and_a_policy_selects_on_them(
    workspace: Workspace, store: Store
) -> None:
    for path in workspace.path("erp", "exports").glob("*.csv"):
        path.unlink()
    config = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(
        config.replace(
            "      - dunning_level: {at_least: 3}\n",
            "      - dunning_level: {at_least: 3}\n      - risk_score: {at_least: 30}\n",
        ),
        encoding="utf-8",
    )
    assert "risk_score" in workspace.config_path.read_text(encoding="utf-8")
    add_sales_feed(workspace, ["2026-10,1000,EUR,1000.00"])
    # 1 Nov: C1 owes P (due 1 Aug) and Q; C2 owes R. 20 Nov: P is gone (paid 111 days late).
    export(
        workspace.folder,
        "open_items_1.csv",
        [
            item_line("P", amount="100.00", debtor="C1", due="2026-08-01"),
            item_line("Q", amount="200.00", debtor="C1", due="2026-10-01"),
            item_line("R", amount="200.00", debtor="C2", due="2026-10-01"),
        ],
    )
    first = run_cycle(workspace.context(store, date(2026, 11, 1)), (Step.EXTRACT,))
    assert "sales_1.csv: 1 month of credit sales, 0 quarantined" in "".join(summary_lines(first))
    export(
        workspace.folder,
        "open_items_2.csv",
        [
            item_line("Q", amount="200.00", debtor="C1", due="2026-10-01"),
            item_line("R", amount="200.00", debtor="C2", due="2026-10-01"),
        ],
    )
    summary = run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    assert not summary.errors and summary.kpi is not None and summary.kpi.scored_debtors == 2
    with store.unit_of_work(read_only=True) as session:
        scores = {s.debtor_number: s for s in session.scalars(select(DebtorScoreRow))}
        cases = list(session.scalars(select(CaseRow)))
        sales = session.scalars(select(CreditSalesRow)).one()
    # C1: P paid on 20 Nov, 111 days late: 40 points; C2: no payment history: 15 points.
    assert (scores["C1"].risk_score, scores["C1"].delay_days) == (40, 111)
    assert (scores["C2"].risk_score, scores["C2"].computed_on) == (15, TODAY)
    assert [(c.debtor_number, c.handed_over_minor) for c in cases] == [("C1", 200_00)]
    assert sales.amount_minor == 1000_00
