"""Debtor data is checked on every line of an export, not only on a debtor's first, and what is
stored does not depend on the order of the lines."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import DebtorRow, OpenItemRow, QuarantinedRecordRow
from tests.conftest import Workspace

HEADER = (
    "company_code,document_number,fiscal_year,line_item,customer_number,customer_name,"
    "street,city,country,document_date,due_date,currency,open_amount,dunning_level\n"
)


def line(doc: str, name: str = "Müller GmbH", country: str = "DE", **kw: str) -> str:
    street = kw.get("street", "Hauptstr. 1")
    dated = kw.get("dated", "2026-07-01")
    return (
        f"1000,{doc},2026,001,C1,{name},{street},Stuttgart,{country},{dated},"
        "2026-08-01,EUR,100.00,3"
    )


def extract(workspace: Workspace, store: Store, lines: list[str]) -> None:
    folder = workspace.path("erp", "exports")
    for old in folder.glob("*.csv"):
        old.unlink()
    (folder / "open_items_1.csv").write_text(
        HEADER + "".join(f"{x}\n" for x in lines), encoding="utf-8"
    )
    run_cycle(workspace.context(store), (Step.EXTRACT,))


def outcome(store: Store) -> tuple[set[str], dict[str, str], tuple[str, str, str]]:
    with store.unit_of_work(read_only=True) as session:
        stored = {r.document_number for r in session.scalars(select(OpenItemRow))}
        quarantined = {
            re.findall(r'"(D\d)"', q.raw)[0]: f"{q.fields}: {q.reason}"
            for q in session.scalars(select(QuarantinedRecordRow))
        }
        debtor = session.scalars(select(DebtorRow)).one()
        return stored, quarantined, (debtor.name, debtor.street, debtor.country)


@pytest.mark.parametrize("bad_first", [False, True])
def test_a_later_line_with_an_empty_name_is_quarantined_whatever_the_order(
    workspace: Workspace, store: Store, bad_first: bool
) -> None:
    good = [line("D1"), line("D2")]
    bad = line("D3", name="")
    extract(workspace, store, [bad, *good] if bad_first else [*good, bad])
    stored, quarantined, debtor = outcome(store)
    assert stored == {"D1", "D2"}
    assert list(quarantined) == ["D3"] and "debtor_name: missing value" in quarantined["D3"]
    assert debtor == ("Müller GmbH", "Hauptstr. 1", "DE")


@pytest.mark.parametrize("bad_first", [False, True])
def test_a_later_line_with_an_invalid_country_is_quarantined_whatever_the_order(
    workspace: Workspace, store: Store, bad_first: bool
) -> None:
    good, bad = line("D1"), line("D2", country="Germany")
    extract(workspace, store, [bad, good] if bad_first else [good, bad])
    stored, quarantined, debtor = outcome(store)
    assert stored == {"D1"}
    assert "not an ISO 3166 alpha-2 country code" in quarantined["D2"]
    assert quarantined["D2"].startswith("debtor_country")
    assert debtor[2] == "DE"


@pytest.mark.parametrize("newest_first", [False, True])
def test_different_addresses_of_one_debtor_the_newest_document_s_wins(
    workspace: Workspace, store: Store, newest_first: bool
) -> None:
    """An ERP that gives each invoice its own address (Tryton's invoice address): the debtor
    is stored with the address of its most recent document, in whatever order they come."""
    old = line("D1", street="Altweg 2", dated="2026-05-02")
    new = line("D2", street="Neuer Markt 9", dated="2026-07-15")
    middle = line("D3", street="Zwischenweg 4", dated="2026-06-20")
    extract(workspace, store, [new, old, middle] if newest_first else [old, middle, new])
    stored, quarantined, debtor = outcome(store)
    assert stored == {"D1", "D2", "D3"} and not quarantined
    assert debtor[1] == "Neuer Markt 9"
