"""camt.053 / camt.054: incoming payments matched to handed-over items by structured (RF) or
unstructured reference, debtor and amount, applied as direct payments (full or partial) and
reported to the agency; those that cannot be applied listed for accounting (CLI and API),
never guessed; the same payment in a notification and then a statement applied once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.cli import main
from gateway.domain.money import Money
from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import (
    BankPaymentRow,
    CaseEventRow,
    CaseItemRow,
    CaseRow,
    DebtorRow,
    OpenItemRow,
    OutboxMessageRow,
    QuarantinedRecordRow,
)
from tests.conftest import Workspace
from tests.integration.api_users import add_user, bearer
from tests.integration.camt_files import CAMT_053, CAMT_054, Entry, camt_file, camt_schema


@dataclass
class Item:
    case: str
    case_id: int
    debtor: str
    document: str
    remaining: int
    currency: str
    id: int


def with_bank(workspace: Workspace) -> Path:
    text = workspace.config_path.read_text(encoding="utf-8")
    text = text.replace(
        "\npolicies:\n",
        "\nbanks:\n  house:\n    mapping: preset:camt\n    options:\n      inbox:\n"
        "        folder: bank/statements\n        pattern: '*.xml'\n        settle_seconds: 0\n"
        "\npolicies:\n",
    )
    workspace.config_path.write_text(text, encoding="utf-8")
    folder = workspace.path("bank", "statements")
    folder.mkdir(parents=True)
    return folder


def handed_over(store: Store) -> list[Item]:
    with store.unit_of_work(read_only=True) as session:
        rows = session.execute(
            select(CaseRow, CaseItemRow, OpenItemRow, DebtorRow.name)
            .join(CaseItemRow, CaseItemRow.case_id == CaseRow.id)
            .join(OpenItemRow, OpenItemRow.id == CaseItemRow.item_id)
            .join(
                DebtorRow,
                (DebtorRow.source == CaseRow.source) & (DebtorRow.number == CaseRow.debtor_number),
            )
            .order_by(CaseRow.id, CaseItemRow.position)
        )
        return [
            Item(
                c.reference, c.id, name, oi.document_number, ci.handed_over_minor, c.currency, oi.id
            )
            for c, ci, oi, name in rows
        ]


@pytest.fixture
def setup(workspace: Workspace, store: Store) -> tuple[Path, list[Item]]:
    folder = with_bank(workspace)
    summary = run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    assert not summary.failed, summary.errors
    return folder, handed_over(store)


def rf(reference: str) -> str:
    """An ISO 11649 creditor reference for `reference` (check digits computed)."""
    digits = "".join(str(int(ch, 36)) for ch in reference + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{reference}"


def major(minor: int) -> str:
    return f"{minor / 100:.2f}"


def test_statement_payments_are_matched_applied_and_the_rest_listed(
    workspace: Workspace, store: Store, setup: tuple[Path, list[Item]]
) -> None:
    folder, items = setup
    eur = [i for i in items if i.currency == "EUR"]
    by_case: dict[str, list[Item]] = {}
    for i in eur:
        by_case.setdefault(i.case, []).append(i)
    multi = next(v for v in by_case.values() if len(v) >= 2)
    first, second = multi[0], multi[1]
    other = next(v[0] for k, v in by_case.items() if k != first.case)
    entries = [
        # 1. the RF creditor reference of an item's document number, its full amount
        Entry("E1", major(first.remaining), structured=rf(first.document), debtor="Somebody"),
        # 2. the document number in the free text, part of the amount: a partial payment
        Entry("E2", "10.00", text=f"Rechnung {second.document} Teilzahlung", debtor=second.debtor),
        # 3. names the same item, more than is open on it: listed, not applied
        Entry("E3", major(second.remaining + 100_00), text=f"INV {second.document}"),
        # 4. concerns no case at all: the creditor's ordinary cash
        Entry("E4", "99.00", text="order 7781", debtor="Unknown Customer Ltd"),
        # 5. a debit: not an incoming payment
        Entry("E5", "50.00", direction="DBIT"),
        # 6. names items of two cases of different debtors: ambiguous
        Entry("E6", "5.00", text=f"{first.document} {other.document}", debtor="A Third Party"),
        # 7. an amount that is not one
        Entry("E7", "12,50", text=f"{first.document}"),
    ]
    path = camt_file(folder / "stmt_1.xml", CAMT_053, entries)
    assert camt_schema(CAMT_053).validate(etree.parse(str(path))) is False  # E7's amount
    valid = camt_file(Path(str(path) + ".check"), CAMT_053, entries[:6])
    assert camt_schema(CAMT_053).validate(etree.parse(str(valid))), camt_schema(CAMT_053).error_log
    valid.unlink()

    (result,) = run_cycle(workspace.context(store), (Step.PAYMENTS,)).payments
    assert (result.records, result.matched, result.listed, result.unrelated) == (7, 2, 2, 1)
    assert (result.ignored, result.quarantined) == (1, 1)
    with store.unit_of_work(read_only=True) as session:
        paid = {
            ci.item_id: ci.paid_directly_minor
            for ci in session.scalars(
                select(CaseItemRow).where(CaseItemRow.case_id == first.case_id)
            )
        }
        assert paid[first.id] == first.remaining and paid[second.id] == 10_00
        case = session.get(CaseRow, first.case_id)
        assert case is not None and case.paid_directly_minor == first.remaining + 10_00
        events = list(session.scalars(select(CaseEventRow).where(CaseEventRow.origin == "bank")))
        assert len(events) == 2 and all(e.kind == "direct_payment" for e in events)
        notices = list(
            session.scalars(
                select(OutboxMessageRow).where(OutboxMessageRow.kind == "agency_notice")
            )
        )
        assert len(notices) == 2  # the agency is told of both direct payments
        listed = {
            p.status: p
            for p in session.scalars(
                select(BankPaymentRow).where(BankPaymentRow.status != "matched")
            )
        }
        assert set(listed) == {"unmatched", "ambiguous"}
        assert (
            f"more than the {Money(second.remaining - 10_00, 'EUR')} open"
            in listed["unmatched"].reason
        )
        assert first.case in listed["ambiguous"].reason and other.case in listed["ambiguous"].reason
        quarantined = session.scalars(
            select(QuarantinedRecordRow).where(QuarantinedRecordRow.location == "stmt_1.xml")
        ).one()
        assert quarantined.position.startswith("record 7 (line ")
        assert quarantined.fields == "amount" and "'12,50'" in quarantined.reason

    # The notification of the same payments, then the statement again under another name:
    # nothing is applied twice.
    camt_file(folder / "notif_1.xml", CAMT_054, entries[:2])
    (again,) = run_cycle(workspace.context(store), (Step.PAYMENTS,)).payments
    assert (again.duplicates, again.matched) == (2, 0)
    with store.unit_of_work(read_only=True) as session:
        case = session.get(CaseRow, first.case_id)
        assert case is not None and case.paid_directly_minor == first.remaining + 10_00


def test_accounting_sees_the_listed_payments_in_the_cli_and_the_api(
    workspace: Workspace,
    store: Store,
    setup: tuple[Path, list[Item]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, items = setup
    item = items[0]
    camt_file(
        folder / "stmt.xml",
        CAMT_053,
        [Entry("E9", major(item.remaining + 1), text=f"invoice {item.document}")],
    )
    run_cycle(workspace.context(store), (Step.PAYMENTS,))

    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", workspace.database_url)
    output = (
        CliRunner()
        .invoke(main, ["-c", str(workspace.config_path), "payments"], catch_exceptions=False)
        .output
    )
    assert item.case in output and "unmatched" in output and "more than the" in output

    token = add_user(store, "alice", Role.ACCOUNTING)
    with TestClient(create_app(workspace.config(), store)) as client:
        answer = client.get("/v1/payments", headers=bearer(token))
        assert answer.status_code == 200, answer.text
        (payment,) = answer.json()
        assert payment["case_reference"] == item.case and payment["status"] == "unmatched"
        assert payment["amount"] == major(item.remaining + 1)
        assert client.get("/v1/payments").status_code == 401
