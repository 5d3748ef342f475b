"""The whole loop with Tryton as the ERP: overdue lines and their dunnings come out of Tryton,
the cases of dunning level 3 go to the (file) agency, and what happens there comes back into
Tryton: dunnings blocked, notes on dunnings and invoices, agency payments recorded through the
payment wizard (in USD too); a debtor's payment made directly in Tryton is noticed and told to
the agency.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from gateway.demo.file_agency import FileAgencySimulator
from gateway.pipeline import RunContext, run_cycle, summary_totals
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, OutboxMessageRow
from tests.conftest import TODAY, Workspace
from tests.integration.tryton.conftest import TrytonSession, database_of

MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 7, 0, tzinfo=UTC)
HANDED_OVER = ("beta-1", "alpha-1", "alpha-2", "gamma-1", "delta-1", "iota-1", "mu-1", "lambda-1")


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

    # 1. Tryton's open receivable lines become items (an invoice in two instalments is two
    #    lines, a credit note one); dunning level 3 or more, at least 50.00, not blocked in
    #    Tryton and a dunning procedure go to the agency: Beta, Alpha (two invoices), Gamma,
    #    Delta, Iota (USD, paid in part), Kappa (two instalments), Lambda (its open credit
    #    note netted in), Mu (GBP).
    first = cycle(MORNING)
    assert not first.failed, first.errors  # type: ignore[attr-defined]
    totals = summary_totals(first)  # type: ignore[arg-type]
    assert totals["records_read"] == totals["items_accepted"] == 16
    assert totals["records_quarantined"] == 0
    assert (totals["cases_created"], totals["items_selected"]) == (8, 11)
    (extraction,) = first.extraction  # type: ignore[attr-defined]
    assert extraction.label == (
        f"JSON-RPC model.account.move.line.search_read at {tryton.url(database)}"
    )
    (selection,) = first.selection  # type: ignore[attr-defined]
    # Epsilon (level 2), Zeta and Nu (never dunned), Lambda's credit note (no dunning)
    assert selection.excluded["dunning level ≥ 3"] == 4
    # Theta, blocked in Tryton; Nu, no dunning procedure
    assert selection.excluded["dunning block not in B, D, BD, N"] == 2
    assert selection.excluded["open amount ≥ 50.00"] == 2  # Eta, and the credit note
    with store.unit_of_work(read_only=True) as session:
        cases = {c.debtor_number: c.reference for c in session.scalars(select(CaseRow))}
        totals_of = {c.debtor_number: c.handed_over_minor for c in session.scalars(select(CaseRow))}
    codes = {key: c["code"] for key, c in tryton.facts["customers"].items()}
    assert set(cases) == {
        codes[k] for k in ("beta", "alpha", "gamma", "delta", "iota", "kappa", "lambda", "mu")
    }
    assert totals_of[codes["lambda"]] == 65_000  # 800.00 less the open credit note of 150.00
    assert totals_of[codes["iota"]] == 150_000  # 2000.00 USD less the 500.00 paid

    # ... and Tryton hears of it: the dunnings are blocked, a note on each dunning and invoice
    (writeback,) = first.writeback  # type: ignore[attr-defined]
    assert (writeback.delivered, writeback.failed) == (33, 0)  # block, note, status x 11
    for invoice in HANDED_OVER:
        dunning = rpc.dunning(tryton.line(invoice))
        assert dunning["blocked"] in (True, 1), invoice
        (note,) = rpc.notes(f"account.dunning,{dunning['id']}")
        assert note.startswith("Handed over to collection agency acme, case CB-")
    assert rpc.notes(f"account.invoice,{tryton.invoice('alpha-2')}") == [
        f"Handed over to collection agency acme, case {cases[codes['alpha']]}"
    ]
    assert rpc.dunning(tryton.line("epsilon-1"))["blocked"] in (False, 0)

    # 2. The agency works the cases in the order they were made (the handover file's), one
    #    pattern each (gateway/demo/file_agency.py): 0 paid in full, 1 a first instalment
    #    then a payment plan, 2 a dispute, 3 the courts, 4 rejected, 5 part paid then
    #    insolvent, 6 a message. The debtor of the message pays Tryton directly meanwhile.
    with store.unit_of_work(read_only=True) as session:
        order = [c.debtor_number for c in session.scalars(select(CaseRow).order_by(CaseRow.id))]
    key_of = {code: key for key, code in codes.items()}
    pattern = {key_of[code]: index % 7 for index, code in enumerate(order)}
    direct = next(key for key, n in pattern.items() if n == 6)
    agency = FileAgencySimulator(
        workspace.path("agency", "to-agency"), workspace.path("agency", "from-agency")
    )
    assert len(agency.answer(MORNING + timedelta(hours=2))) == 1
    assert tryton.home.pay(database, tryton.invoice(f"{direct}-1"), TODAY) == "paid"

    second = cycle(MORNING + timedelta(hours=3))
    assert not second.failed, second.errors  # type: ignore[attr-defined]
    totals = summary_totals(second)  # type: ignore[arg-type]
    assert (totals["items_cleared"], totals["direct_payments"]) == (1, 1), order
    assert totals["notices_sent"] == 1
    assert totals["events_quarantined"] == 1  # the agency's line about a case it never had
    (writeback,) = second.writeback  # type: ignore[attr-defined]
    with store.unit_of_work(read_only=True) as session:
        dead = [
            (m.message_key, m.last_error)
            for m in session.scalars(
                select(OutboxMessageRow).where(OutboxMessageRow.status == "dead")
            )
        ]
        states = {c.debtor_number: c.state for c in session.scalars(select(CaseRow))}
    assert writeback.failed == 0, dead
    expected = {
        0: "closed_paid",
        1: "payment_plan",
        2: "disputed",
        3: "legal",
        4: "rejected",
        6: "closed_paid_directly",
    }
    assert {k: states[codes[k]] for k, n in pattern.items() if n in expected} == {
        k: expected[n] for k, n in pattern.items() if n in expected
    }

    # the agency's payments are in Tryton: paid in full (the principal), or in part
    paid_in_full = [k for k, n in pattern.items() if n == 0]
    for key in paid_in_full:
        for invoice, facts in tryton.facts["invoices"].items():
            if invoice.startswith(f"{key}-") and "credit" not in invoice:
                found = rpc.invoice(facts["id"])
                assert (found["state"], found["amount_to_pay"]) == ("paid", Decimal("0")), key
    # an agency event is noted once on an invoice, also on one in instalments
    kappa_notes = rpc.notes(f"account.invoice,{tryton.invoice('kappa-1')}")
    assert len([n for n in kappa_notes if n.startswith("Agency reports")]) == len(
        {n for n in kappa_notes if n.startswith("Agency reports")}
    )

    # 3. The next run sees the invoices paid in full reconciled, those paid in part reduced:
    #    paid through the agency, not directly. Nothing else changed, so nothing else happens.
    third = cycle(MORNING + timedelta(days=1))
    assert not third.failed, third.errors  # type: ignore[attr-defined]
    totals = summary_totals(third)  # type: ignore[arg-type]
    # the cases are made in the order of their debtor numbers, so the patterns are known:
    assert pattern == {
        "iota": 0, "kappa": 1, "lambda": 2, "mu": 3,
        "beta": 4, "alpha": 5, "gamma": 6, "delta": 0,
    }  # fmt: skip
    # reconciled now: Iota's and Delta's invoices (paid in full by the agency), and Alpha's
    # older invoice (its part payment of 347.50 pays the 100.00 due first in full)
    assert totals["items_cleared"] == 3
    assert totals["items_accepted"] == 16 - 1 - 3  # and Gamma, paid directly
    assert totals["direct_payments"] == 0
    assert totals["writeback_actions"] == totals["notices_sent"] == 0
    part = next(k for k, n in pattern.items() if n == 1)
    with store.unit_of_work(read_only=True) as session:
        case = session.scalars(select(CaseRow).where(CaseRow.debtor_number == codes[part])).one()
        assert (case.state, case.paid_directly_minor) == ("payment_plan", 0)
        assert case.collected_principal_minor == min(15_000, case.handed_over_minor // 2)
