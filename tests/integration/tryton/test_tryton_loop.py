"""The whole loop with Tryton as the ERP: overdue lines and their dunnings come out of Tryton,
the cases of dunning level 3 go to the (file) agency, and what happens there comes back into
Tryton: dunnings blocked, notes on dunnings and invoices, agency payments recorded through the
payment wizard; a debtor's payment made directly in Tryton is noticed and told to the agency.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from gateway.demo.file_agency import FileAgencySimulator
from gateway.pipeline import RunContext, run_cycle, summary_totals
from gateway.storage.database import Store
from gateway.storage.models import CaseRow
from tests.conftest import TODAY, Workspace
from tests.integration.tryton.conftest import TrytonSession, database_of

MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 7, 0, tzinfo=UTC)
HANDED_OVER = ("beta-1", "alpha-1", "alpha-2", "gamma-1", "delta-1")


def at(moment: datetime) -> object:
    return lambda: moment


def test_the_whole_loop_with_tryton_as_the_erp(
    tryton_workspace: Workspace, tryton: TrytonSession, store: Store
) -> None:
    workspace = tryton_workspace
    database = database_of(workspace)
    rpc = tryton.rpc(database)
    config = workspace.config()

    def cycle(moment: datetime) -> object:
        return run_cycle(RunContext(config, store, TODAY, at(moment)))  # type: ignore[arg-type]

    # 1. Tryton's overdue lines become items; dunning level 3 or more, at least 50.00 and not
    #    blocked in Tryton go to the agency: Beta, Alpha (two invoices), Gamma, Delta.
    first = cycle(MORNING)
    assert not first.failed, first.errors  # type: ignore[attr-defined]
    totals = summary_totals(first)  # type: ignore[arg-type]
    assert totals["records_read"] == totals["items_accepted"] == 9
    assert totals["records_quarantined"] == 0
    assert (totals["cases_created"], totals["items_selected"]) == (4, 5)
    (extraction,) = first.extraction  # type: ignore[attr-defined]
    assert extraction.label == (
        f"JSON-RPC model.account.move.line.search_read at {tryton.url(database)}"
    )
    (selection,) = first.selection  # type: ignore[attr-defined]
    assert selection.excluded["dunning level ≥ 3"] == 2  # Epsilon (level 2) and Zeta (none)
    assert selection.excluded["dunning block not in B, D, BD"] == 1  # Theta, blocked in Tryton
    assert selection.excluded["open amount ≥ 50.00"] == 1  # Eta
    with store.unit_of_work(read_only=True) as session:
        cases = {c.debtor_number: c.reference for c in session.scalars(select(CaseRow))}
    codes = {key: c["code"] for key, c in tryton.facts["customers"].items()}
    assert set(cases) == {codes["beta"], codes["alpha"], codes["gamma"], codes["delta"]}

    # ... and Tryton hears of it: the dunnings are blocked, a note on each dunning and invoice
    (writeback,) = first.writeback  # type: ignore[attr-defined]
    assert (writeback.delivered, writeback.failed) == (15, 0)  # block, note, status x 5
    for invoice in HANDED_OVER:
        dunning = rpc.dunning(tryton.line(invoice))
        assert dunning["blocked"] in (True, 1), invoice
        (note,) = rpc.notes(f"account.dunning,{dunning['id']}")
        assert note.startswith("Handed over to collection agency acme, case CB-")
    (alpha_note,) = rpc.notes(f"account.invoice,{tryton.invoice('alpha-2')}")
    assert alpha_note.startswith(
        f"Handed over to collection agency acme, case {cases[codes['alpha']]} · claimbridge ref "
    )
    assert rpc.dunning(tryton.line("epsilon-1"))["blocked"] in (False, 0)

    # 2. The agency works the cases (one per pattern: paid in full; a first instalment then a
    #    payment plan; a dispute; the courts), and Delta pays Tryton directly meanwhile.
    agency = FileAgencySimulator(
        workspace.path("agency", "to-agency"), workspace.path("agency", "from-agency")
    )
    assert len(agency.answer(MORNING + timedelta(hours=2))) == 1
    assert tryton.home.pay(database, tryton.invoice("delta-1"), TODAY) == "paid"

    second = cycle(MORNING + timedelta(hours=3))
    assert not second.failed, second.errors  # type: ignore[attr-defined]
    totals = summary_totals(second)  # type: ignore[arg-type]
    assert (totals["items_cleared"], totals["direct_payments"]) == (1, 1)  # Delta
    assert totals["notices_sent"] == 1
    assert totals["events_quarantined"] == 1  # the agency's line about a case it never had
    (writeback,) = second.writeback  # type: ignore[attr-defined]
    assert writeback.failed == 0, writeback.error
    with store.unit_of_work(read_only=True) as session:
        states = {c.debtor_number: c.state for c in session.scalars(select(CaseRow))}
    assert states == {
        codes["beta"]: "closed_paid",
        codes["alpha"]: "payment_plan",
        codes["gamma"]: "disputed",
        codes["delta"]: "closed_paid_directly",
    }

    # the agency's payments are in Tryton: Beta paid in full (the principal: interest, fees
    # and commission are not the invoice's), Alpha's 150.00 paid the older invoice (100.00)
    # and 50.00 of the next one
    beta = rpc.invoice(tryton.invoice("beta-1"))
    assert (beta["state"], beta["amount_to_pay"]) == ("paid", Decimal("0"))
    alpha_1 = rpc.invoice(tryton.invoice("alpha-1"))
    alpha_2 = rpc.invoice(tryton.invoice("alpha-2"))
    assert (alpha_1["state"], alpha_2["state"]) == ("paid", "posted")
    assert alpha_2["amount_to_pay"] == Decimal("545.00")
    gamma_notes = rpc.notes(f"account.invoice,{tryton.invoice('gamma-1')}")
    assert any(
        n.startswith("Agency reports: disputed: debtor says the goods were never delivered")
        for n in gamma_notes
    )

    # 3. The next run sees Beta's and Alpha's first invoice reconciled: paid through the
    #    agency, not directly. Nothing else changed, so nothing else happens.
    third = cycle(MORNING + timedelta(days=1))
    assert not third.failed, third.errors  # type: ignore[attr-defined]
    totals = summary_totals(third)  # type: ignore[arg-type]
    assert totals["items_accepted"] == 6  # 9 less Delta, Beta and Alpha's first invoice
    assert totals["items_cleared"] == 2
    assert totals["direct_payments"] == 0
    assert totals["writeback_actions"] == totals["notices_sent"] == 0
    with store.unit_of_work(read_only=True) as session:
        alpha = session.scalars(
            select(CaseRow).where(CaseRow.debtor_number == codes["alpha"])
        ).one()
        assert (alpha.state, alpha.paid_directly_minor) == ("payment_plan", 0)
        assert alpha.collected_principal_minor == 15_000
