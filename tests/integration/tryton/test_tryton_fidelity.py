"""What Tryton says is owed, as the shipped presets read and write it on a database seeded
the way an accountant fills it (gateway/demo/tryton/facts.py): invoices paid in part, an
invoice in two instalments, an open credit note, invoices in USD and GBP, a second (invoice)
address, a party without a dunning procedure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gateway.pipeline import STEPS, RunContext, Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import CaseEventRow, CaseItemRow, CaseRow, DebtorRow, OpenItemRow
from tests.conftest import TODAY, Workspace
from tests.integration.tryton.conftest import SEEDED, TrytonSession, database_of, use_tryton

MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 7, 0, tzinfo=UTC)


def cycle(workspace: Workspace, store: Store, moment: datetime, *steps: Step) -> Any:
    context = RunContext(workspace.config(), store, TODAY, lambda: moment)
    return run_cycle(context, steps or STEPS)


def items(store: Store) -> dict[str, OpenItemRow]:
    with store.unit_of_work(read_only=True) as session:
        return {r.line_item: r for r in session.scalars(select(OpenItemRow))}


def line(tryton: TrytonSession, invoice: str, n: int = 0) -> str:
    return str(tryton.facts["invoices"][invoice]["lines"][n])


def test_what_is_open_is_what_tryton_still_expects(
    workspace: Workspace, tryton: TrytonSession, store: Store
) -> None:
    use_tryton(workspace, tryton, SEEDED)
    (result,) = cycle(workspace, store, MORNING, Step.EXTRACT).extraction
    assert result.quarantined == 0, result.error
    found = items(store)
    # Iota paid 500.00 of 2000.00 USD by bank transfer: 1500.00 USD is claimed, not 2000.00
    iota = found[line(tryton, "iota-1")]
    assert (iota.currency, iota.amount_minor, iota.open_amount_minor) == ("USD", 200_000, 150_000)
    # Kappa's invoice of 1000.00 in two instalments of 500.00, 300.00 paid: the payment
    # settles the instalment due first
    first, second = found[line(tryton, "kappa-1", 0)], found[line(tryton, "kappa-1", 1)]
    assert first.net_due_date < second.net_due_date
    assert (first.open_amount_minor, second.open_amount_minor) == (20_000, 50_000)
    assert first.document_number == second.document_number
    # Lambda's open credit note is read, as a credit
    credit = found[line(tryton, "lambda-credit-1")]
    assert (credit.open_amount_minor, credit.amount_minor) == (-15_000, -15_000)
    # Mu is invoiced in GBP, to its second address (the invoice address)
    assert found[line(tryton, "mu-1")].currency == "GBP"
    # Nu has no dunning procedure: never dunned on purpose, blocked for the agency
    nu = found[line(tryton, "nu-1")]
    assert (nu.dunning_level, nu.dunning_block) == (0, "N")
    with store.unit_of_work(read_only=True) as session:
        debtors = {d.number: d for d in session.scalars(select(DebtorRow))}
    mu = debtors[tryton.facts["customers"]["mu"]["code"]]
    assert (mu.street, mu.postal_code, mu.city) == ("Rechnungsweg 7", "90403", "Nürnberg")
    alpha = debtors[tryton.facts["customers"]["alpha"]["code"]]
    assert alpha.street == "Marktplatz 1"  # one address: the invoice's is the party's


def test_a_party_without_a_dunning_procedure_is_not_handed_over(
    tryton_workspace: Workspace, tryton: TrytonSession, store: Store
) -> None:
    """Even by a policy that does not look at dunning levels: its block N keeps it out."""
    workspace = tryton_workspace
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(
        text.replace("- dunning_level: {at_least: 3}", "- days_overdue: {at_least: 60}"),
        encoding="utf-8",
    )
    cycle(workspace, store, MORNING, Step.EXTRACT, Step.SELECT)
    nu = tryton.facts["customers"]["nu"]["code"]
    with store.unit_of_work(read_only=True) as session:
        debtors = {c.debtor_number for c in session.scalars(select(CaseRow))}
    assert nu not in debtors
    assert tryton.facts["customers"]["beta"]["code"] in debtors  # the policy does select


def test_instalments_partial_payments_and_foreign_currencies_through_the_loop(
    tryton_workspace: Workspace, tryton: TrytonSession, store: Store
) -> None:
    workspace = tryton_workspace
    database = database_of(workspace)
    rpc = tryton.rpc(database)
    codes = {key: c["code"] for key, c in tryton.facts["customers"].items()}
    first = cycle(workspace, store, MORNING)
    assert not first.failed, first.errors
    with store.unit_of_work(read_only=True) as session:
        cases = {c.debtor_number: c for c in session.scalars(select(CaseRow))}
        kappa_items = session.scalars(
            select(CaseItemRow).where(CaseItemRow.case_id == cases[codes["kappa"]].id)
        ).all()
    # a case claims what is open: Kappa's two instalments (200.00 + 500.00), Iota's 1500 USD
    assert len(kappa_items) == 2 and cases[codes["kappa"]].handed_over_minor == 70_000
    assert (cases[codes["iota"]].currency, cases[codes["iota"]].handed_over_minor) == (
        "USD",
        150_000,
    )
    assert codes["nu"] not in cases

    # each instalment's dunning is blocked and noted; the invoice has the note once
    kappa = tryton.facts["invoices"]["kappa-1"]
    for line_id in kappa["lines"]:
        dunning = rpc.dunning(line_id)
        assert dunning["blocked"] in (True, 1)
        assert len(rpc.notes(f"account.dunning,{dunning['id']}")) == 1
    assert rpc.notes(f"account.invoice,{kappa['id']}") == [
        f"Handed over to collection agency acme, case {cases[codes['kappa']].reference}"
    ]

    # Kappa pays 250.00 to the bank, directly in Tryton, after the handover: a partial
    # direct payment, on the instalment due first (200.00 open) and then the next (50.00)
    assert tryton.home.pay(database, kappa["id"], TODAY, Decimal("250.00")) == "posted"
    second = cycle(workspace, store, MORNING + timedelta(hours=1), Step.EXTRACT, Step.NOTICES)
    assert not second.failed, second.errors
    (extraction,) = second.extraction
    assert extraction.direct_payments == 2 and extraction.cleared == 0
    with store.unit_of_work(read_only=True) as session:
        case = session.get(CaseRow, cases[codes["kappa"]].id)
        assert case is not None and case.paid_directly_minor == 25_000
        assert case.state == "submitted"  # 450.00 still owed: the case goes on
        notes = [
            e.note
            for e in session.scalars(
                select(CaseEventRow).where(
                    CaseEventRow.case_id == case.id, CaseEventRow.kind == "direct_payment"
                )
            )
        ]
    assert sorted(notes) == sorted(
        [
            f"item 1/{kappa['number']}/{TODAY.year}/{kappa['lines'][0]} open amount reduced in "
            "tryton from 200.00 EUR to 0.00 EUR",
            f"item 1/{kappa['number']}/{TODAY.year}/{kappa['lines'][1]} open amount reduced in "
            "tryton from 500.00 EUR to 450.00 EUR",
        ]
    )
    (notices,) = second.notices
    assert notices.delivered == 2  # the agency hears of both parts


def test_an_agency_payment_in_full_on_a_usd_invoice_books_the_exchange_difference(
    workspace: Workspace, tryton: TrytonSession
) -> None:
    """Iota's invoice was booked at 1.10 USD per EUR; the agency's 1500.00 USD arrive at 1.05:
    paid in full, Tryton reconciles it and books the difference on the currency-exchange
    accounts (a prerequisite in docs/rest.md)."""
    from gateway.domain.actions import ActionKind, WriteBackAction
    from gateway.domain.items import ItemKey

    database = tryton.fresh_database()
    use_tryton(workspace, tryton, database)
    writeback = workspace.config().open_writeback("tryton")
    key = ItemKey("tryton", "1", "?", TODAY.year, line(tryton, "iota-1"))
    payment = WriteBackAction(
        "CB-9:agency:usd:payment:0",
        ActionKind.POST_PAYMENT,
        key,
        "CB-9",
        "acme",
        MORNING,
        "USD",
        amount=150_000,
    )
    result = writeback.apply([payment])
    assert result.failed == {}
    rpc = tryton.rpc(database)
    invoice = rpc.invoice(tryton.invoice("iota-1"))
    assert (invoice["state"], invoice["amount_to_pay"]) == ("paid", Decimal("0"))
    exchange = rpc.read("account.move", [["journal.type", "=", "write-off"]], ["id"])
    assert exchange, "the exchange difference is booked"
