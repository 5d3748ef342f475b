"""Open items from the simulated SAP system through the whole pipeline: every open item
stored as the preset maps it, noted items left out, a customer that cannot be read kept as it
is, a payment seen in SAP reported as a direct payment on the day it was made, and the whole
run refused (nothing stored) when the cause is not one customer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from connectors.sap_rfc.simulator import SimulatedSap, item_key
from gateway.domain.events import EventKind
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import (
    CaseEventRow,
    CaseRow,
    OpenItemRow,
    QuarantinedRecordRow,
    TransferRow,
)
from tests.conftest import TODAY, Workspace
from tests.integration.helpers import counts
from tests.integration.sap_helpers import CUSTOMERS, sap_of, sap_source, use_sap

KEYDATE = TODAY.strftime("%Y%m%d")


def extract(workspace: Workspace, store: Store):
    return run_cycle(workspace.context(store), (Step.EXTRACT,)).extraction


def expected_open(sap: SimulatedSap, company_codes: tuple[str, ...]) -> dict[str, list[dict]]:
    """What SAP holds open at the key date, per customer (noted items excluded), read
    straight from the simulator."""
    found = {}
    for code in company_codes:
        for customer in sap.ledger.customers_of(code):
            result = sap.call(
                "BAPI_AR_ACC_GETOPENITEMS",
                COMPANYCODE=code,
                CUSTOMER=customer.number,
                KEYDATE=KEYDATE,
                NOTEDITEMS="X",
            )
            found[f"{code}/{customer.number}"] = result["LINEITEMS"]
    return found


def applied(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """The rows that refer to another row of the same snapshot (partial payments, credit
    memos with an invoice reference), by the (company code, document) they apply to."""
    keys = {
        (r["COMP_CODE"], r["DOC_NO"], r["FISC_YEAR"], r["ITEM_NUM"], r["CURRENCY"]) for r in rows
    }
    found: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        target = (r["COMP_CODE"], r["INV_REF"], r["INV_YEAR"], r["INV_ITEM"], r["CURRENCY"])
        if r["INV_REF"] and target in keys:
            found.setdefault((r["COMP_CODE"], r["INV_REF"]), []).append(r)
    return found


def stored(store: Store) -> dict[tuple[str, str], OpenItemRow]:
    with store.unit_of_work(read_only=True) as session:
        return {
            (r.company_code, r.document_number): r for r in session.scalars(select(OpenItemRow))
        }


def test_every_open_item_is_stored_and_noted_items_are_left_out(
    workspace: Workspace, store: Store
) -> None:
    sap = use_sap(workspace)
    expected = expected_open(sap, ("1000", "2000"))
    vip = {f"{c}/{sap.ledger.customer(c, 17).number}" for c in ("1000", "2000")}
    readable = [row for key, rows in expected.items() if key not in vip for row in rows]
    noted = [r for r in readable if r["DOC_STATUS"] == "S"]
    items = [r for r in readable if r["DOC_STATUS"] != "S"]
    assert noted and len(expected) == 2 * CUSTOMERS

    folded = {id(r) for rows in applied(items).values() for r in rows}
    assert folded  # the ledger has partial payments and credit memos referring to invoices
    (result,) = extract(workspace, store)
    assert result.status == "partial"
    assert (result.accepted, result.applied, result.quarantined) == (
        len(items) - len(folded),
        len(folded),
        2,
    )
    rows = stored(store)
    assert set(rows) == {(r["COMP_CODE"], r["DOC_NO"]) for r in items if id(r) not in folded}
    assert not {(r["COMP_CODE"], r["DOC_NO"]) for r in noted} & set(rows)
    with store.unit_of_work(read_only=True) as session:
        reasons = {q.position: q.reason for q in session.scalars(select(QuarantinedRecordRow))}
    assert set(reasons) == vip
    assert all(
        r.startswith("BAPI_AR_ACC_GETOPENITEMS for company code")
        and "E F2543 No authorization to display general data for customer accounts" in r
        for r in reasons.values()
    )


def test_the_preset_maps_bapi3007_as_sap_means_it(workspace: Workspace, store: Store) -> None:
    sap = use_sap(workspace, sap_source('["3000"]', '{list: ["300001", "300002", "300003"]}'))
    extract(workspace, store)
    rows = stored(store)
    source = [
        row
        for number in ("0000300001", "0000300002", "0000300003")
        for row in sap.call(
            "BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="3000", CUSTOMER=number, KEYDATE=KEYDATE
        )["LINEITEMS"]
    ]
    referring = applied(source)
    folded = {id(r) for rows_ in referring.values() for r in rows_}
    assert len(rows) == len(source) - len(folded) > 10
    address = sap.call("BAPI_CUSTOMER_GETDETAIL2", CUSTOMERNO="0000300001", COMPANYCODE="3000")
    kinds = set()

    def minor(raw: dict) -> int:
        sign = -1 if raw["DB_CR_IND"] == "H" else 1
        digits = 0 if raw["CURRENCY"] == "JPY" else 2
        return sign * int(raw["AMT_DOCCUR"] * 10**digits)

    for raw in source:
        if id(raw) in folded:
            continue
        item = rows[("3000", raw["DOC_NO"])]
        # what refers to it (a partial payment, a credit memo) is taken off what is open
        others = referring.get(("3000", raw["DOC_NO"]), [])
        assert item.amount_minor == minor(raw)
        assert item.open_amount_minor == minor(raw) + sum(minor(r) for r in others)
        assert item.currency == raw["CURRENCY"]
        assert item.fiscal_year == int(raw["FISC_YEAR"]) and item.line_item == raw["ITEM_NUM"]
        assert item.document_date.strftime("%Y%m%d") == raw["DOC_DATE"]
        assert item.debtor_number == raw["CUSTOMER"].lstrip("0")
        assert item.dunning_level == int(raw["DUNN_LEVEL"])
        assert (item.last_dunning_date.strftime("%Y%m%d") if item.last_dunning_date else "") == (
            raw["LAST_DUNN"]
        )
        baseline = datetime.strptime(raw["BLINE_DATE"], "%Y%m%d").date()  # noqa: DTZ007
        if raw["DB_CR_IND"] == "H" and not raw["INV_REF"]:
            due = baseline
        else:
            days = int(raw["NETTERMS"]) or int(raw["DSCT_DAYS2"]) or int(raw["DSCT_DAYS1"])
            due = baseline + timedelta(days=days)
        assert item.net_due_date == due
        kinds.add((raw["PMNTTRMS"], raw["DB_CR_IND"], bool(raw["INV_REF"])))
    assert {("ZB02", "S", False), ("ZB03", "S", False)} & kinds  # the terms without net days
    with store.unit_of_work(read_only=True) as session:
        from gateway.storage.repositories.items import ItemRepository

        debtor = ItemRepository(session).get_debtor("erp", "300001")
    assert debtor is not None
    assert debtor.name == address["CUSTOMERADDRESS"]["NAME"]
    assert debtor.country == "US" and debtor.city == address["CUSTOMERADDRESS"]["CITY"]


def test_a_customer_that_cannot_be_read_keeps_its_items(workspace: Workspace, store: Store) -> None:
    sap = use_sap(workspace)
    sap.state.denied_auth_groups.clear()  # this time the RFC user may read VIP customers
    sap.state.save()
    vip = sap.ledger.customer("1000", 17)
    extract(workspace, store)
    theirs = {k for k, r in stored(store).items() if r.debtor_number == vip.number.lstrip("0")}
    assert theirs
    sap.state.denied_auth_groups.append("VIP")
    sap.state.save()
    (again,) = extract(workspace, store)
    assert again.quarantined == 2 and again.cleared == 0
    rows = stored(store)
    assert all(rows[k].is_open for k in theirs)
    assert again.clearing_skipped == ""  # everyone else is still checked for clearings


def test_a_payment_seen_in_sap_is_a_direct_payment_on_the_day_it_was_made(
    workspace: Workspace, store: Store
) -> None:
    use_sap(workspace, sap_source('["1000"]'))
    first = run_cycle(workspace.context(store))
    assert not first.failed, first.errors
    sap = sap_of(workspace)
    blocked = sorted(k for k, block in sap.state.blocks.items() if block == "I")
    assert blocked, "the write-back blocked the handed-over items in SAP"
    notes = sap.state.notes[blocked[0]]
    assert notes[0]["text"].startswith("Handed over to collection agency acme, case CB-")
    paid_on = TODAY - timedelta(days=2)
    clearing = sap.pay_in_full(blocked[0], paid_on)
    company_code, document, year, line = blocked[0].split("/")

    (result,) = extract(workspace, store)
    assert (result.cleared, result.direct_payments) == (1, 1)
    with store.unit_of_work(read_only=True) as session:
        item = session.scalars(
            select(OpenItemRow).where(OpenItemRow.document_number == document)
        ).one()
        assert not item.is_open and item.cleared_on == paid_on
        event = session.scalars(
            select(CaseEventRow).where(CaseEventRow.kind == EventKind.DIRECT_PAYMENT.value)
        ).one()
        assert event.occurred_at == datetime.combine(paid_on, datetime.min.time(), tzinfo=UTC)
        assert f"by document {clearing}" in event.note and paid_on.isoformat() in event.note
        case = session.get(CaseRow, event.case_id)
        assert case is not None and case.paid_directly_minor == item.open_amount_minor
    assert item_key(company_code, document, year, line) in sap_of(workspace).state.cleared


def test_a_partial_payment_seen_in_sap_is_a_partial_direct_payment(
    workspace: Workspace, store: Store
) -> None:
    """SAP's partial-payment method: the invoice stays open in full and the payment is a line
    of its own referring to it. The invoice's open amount goes down by it: a partial direct
    payment, recorded on the case and told to the agency; the case goes on."""
    use_sap(workspace, sap_source('["1000"]'))
    first = run_cycle(workspace.context(store))
    assert not first.failed, first.errors
    sap = sap_of(workspace)
    blocked = sorted(k for k, block in sap.state.blocks.items() if block == "I")
    document = blocked[0].split("/")[1]
    with store.unit_of_work(read_only=True) as session:
        before = session.scalars(
            select(OpenItemRow).where(OpenItemRow.document_number == document)
        ).one()
    part = (Decimal(before.open_amount_minor) / 100 / 4).quantize(Decimal("0.01"))
    assert part > 0
    sap.pay_in_part(blocked[0], part, TODAY - timedelta(days=1))

    (result,) = extract(workspace, store)
    assert (result.direct_payments, result.cleared) == (1, 0)
    assert result.applied >= 1
    paid = int(part * 100)
    with store.unit_of_work(read_only=True) as session:
        item = session.scalars(
            select(OpenItemRow).where(OpenItemRow.document_number == document)
        ).one()
        assert item.is_open and item.open_amount_minor == before.open_amount_minor - paid
        event = session.scalars(
            select(CaseEventRow).where(CaseEventRow.kind == EventKind.DIRECT_PAYMENT.value)
        ).one()
        assert event.amount_minor == paid and "open amount reduced in erp" in event.note
        case = session.get(CaseRow, event.case_id)
        assert case is not None and case.paid_directly_minor == paid
        assert case.state not in ("closed_paid_directly",)
    summary = run_cycle(workspace.context(store), (Step.NOTICES,))
    assert summary.notices[0].delivered == 1


def test_an_unknown_company_code_fails_the_whole_run(workspace: Workspace, store: Store) -> None:
    use_sap(workspace, sap_source('["1000", "9999"]'))
    (result,) = extract(workspace, store)
    assert result.status == "failed"
    assert "BAPI_COMPANYCODE_GETDETAIL for company code 9999" in result.error
    assert "Company code 9999 does not exist" in result.error
    assert counts(store)["items"] == 0  # the 1000 items read first were rolled back too
    with store.unit_of_work(read_only=True) as session:
        transfer = session.get(TransferRow, result.transfer_id)
        assert transfer is not None and transfer.status == "failed"


def test_when_every_customer_fails_the_same_way_the_run_fails(
    workspace: Workspace, store: Store
) -> None:
    listed = '{list: {"1000": ["100001"], "2000": ["200001", "200002"]}}'
    sap = use_sap(workspace, sap_source('["1000", "2000"]', listed))
    sap.state.denied_company_codes.append("2000")  # no F_BKPF_BUK for 2000
    sap.state.save()
    (result,) = extract(workspace, store)
    assert result.status == "failed"
    assert "every one of the 2 customers of company code 2000 failed" in result.error
    assert "No authorization for company code 2000" in result.error
    assert counts(store)["items"] == 0  # customer 100001 of company code 1000 is not kept


def test_sap_unreachable_fails_the_run_for_a_retry(
    workspace: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_sap(workspace)
    created = SimulatedSap.from_options.__func__  # type: ignore[attr-defined]

    def down(cls: type[SimulatedSap], *args: object) -> SimulatedSap:
        sap = created(cls, *args)
        sap.unreachable = True
        return sap

    monkeypatch.setattr(SimulatedSap, "from_options", classmethod(down))
    (result,) = extract(workspace, store)
    assert result.status == "failed" and "not reached" in result.error
    assert counts(store)["items"] == 0


def test_a_listed_customer_not_in_the_company_code_is_quarantined(
    workspace: Workspace, store: Store
) -> None:
    use_sap(workspace, sap_source('["1000"]', '{list: ["100001", "200001", "100002"]}'))
    (result,) = extract(workspace, store)
    assert result.quarantined == 1 and result.accepted > 0
    with store.unit_of_work(read_only=True) as session:
        (row,) = session.scalars(select(QuarantinedRecordRow))
    assert row.position == "1000/0000200001"
    assert "Customer 0000200001 has not been created in company code 1000" in row.reason
    assert "[V1=0000200001, V2=1000]" in row.reason


def test_one_connection_serves_the_run_and_is_closed(workspace: Workspace, store: Store) -> None:
    use_sap(workspace, sap_source('["1000", "2000"]'))
    config = workspace.config()
    source = config.open_source("erp")
    (snapshot,) = source.snapshots(TODAY)
    records = list(snapshot.open().records)
    sap = source.session.client
    assert len(records) > 1_000 and sap.connections_opened == 1
    assert sap.calls.count("BAPI_AR_ACC_GETOPENITEMS") == 2 * CUSTOMERS
    source.close()
    sap.call("RFC_PING")  # a call after closing opens a new connection
    assert sap.connections_opened == 2


def test_an_empty_baseline_date_counts_from_the_document_date_as_sap_does(
    workspace: Workspace, store: Store
) -> None:
    """A line migrated from a legacy system with ZFBDT initial: BAPI3007_2 gives BLINE_DATE
    '00000000'; SAP's due-date function takes the document date instead, and so do we."""
    sap = use_sap(workspace, sap_source('["1000"]'))
    customer = sap.ledger.customer("1000", 3)
    invoiced = TODAY - timedelta(days=70)
    sap.add_invoice(
        customer,
        "1899000001",
        Decimal("250.00"),
        "EUR",
        TODAY - timedelta(days=60),
        net_days=30,
        baseline=date.min,
        document_date=invoiced,
    )
    (row,) = [
        r
        for r in sap.call(
            "BAPI_AR_ACC_GETOPENITEMS",
            COMPANYCODE="1000",
            CUSTOMER=customer.number,
            KEYDATE=KEYDATE,
        )["LINEITEMS"]
        if r["DOC_NO"] == "1899000001"
    ]
    assert row["BLINE_DATE"] == "00000000"  # what SAP sends for an initial date
    extract(workspace, store)
    with store.unit_of_work(read_only=True) as session:
        reasons = [q.reason for q in session.scalars(select(QuarantinedRecordRow))]
    assert not [r for r in reasons if "baseline" in r], reasons
    item = stored(store)[("1000", "1899000001")]
    assert item.net_due_date == invoiced + timedelta(days=30)
    assert item.document_date == invoiced
