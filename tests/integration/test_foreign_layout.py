"""A layout the project has never seen, onboarded by a mapping file only: a German OPOS list as
an ERP's list function exports it, in latin-1, with title lines above its header, amounts
written with their own sign *and* an S/H column, and no column saying person or company."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, DebtorRow, OpenItemRow, QuarantinedRecordRow
from tests.conftest import TODAY, Workspace

MAPPING = """\
name: opos-liste
kind: open_items
description: OPOS-Liste (Debitoren) as the list function exports it
file:
  delimiter: ";"
  encoding: latin-1
  header_starts_with: Konto          # title, company, key date and a blank line above it
fields:
  company_code: {value: "1000"}
  debtor_number: {from: Konto, steps: [strip]}
  debtor_name: {from: Name, steps: [strip]}
  debtor_kind:
    compute:
      debtor_kind_from_name: {name: Name, vat_id: {from: USt-IdNr., steps: [strip]}}
  debtor_street: {from: Straße, steps: [strip]}
  debtor_postal_code: {from: PLZ, steps: [strip]}
  debtor_city: {from: Ort, steps: [strip]}
  debtor_country: {value: DE}
  document_number: {from: Beleg-Nr., steps: [strip]}
  document_date: {from: Belegdatum, steps: [{date: "%d.%m.%Y"}]}
  net_due_date: {from: Fälligkeit, steps: [{date: "%d.%m.%Y"}]}
  currency: {from: Währung, steps: [strip, upper]}
  open_amount:
    compute:
      checked_sign:
        amount:
          from: Betrag
          steps: [{decimal: {decimal_separator: ",", thousands_separator: "."}}]
        indicator: S/H
  dunning_level: {from: Mahnstufe, steps: [{default: "0"}]}
"""

HEADER = (
    "Konto;Name;USt-IdNr.;Straße;PLZ;Ort;Beleg-Nr.;Belegdatum;Fälligkeit;Betrag;S/H;Währung;"
    "Mahnstufe"
)
PREAMBLE = [
    "Offene Posten Debitoren;;;;;;;;;;;;",
    "Müller & Söhne Handelsgesellschaft mbH, Buchungskreis 1000;;;;;;;;;;;;",
    f"Stichtag: {TODAY:%d.%m.%Y};;;;;;;;;;;;",
    "",
]
LINES = [
    "10001;Bäckerei Groß GmbH;;Königstraße 5;70173;Stuttgart;RE-26-0101;02.05.2026;16.05.2026;"
    "1.190,00;S;EUR;3",
    "10001;Bäckerei Groß GmbH;;Königstraße 5;70173;Stuttgart;GS-26-0007;20.05.2026;20.05.2026;"
    "-190,00;H;EUR;0",
    "10002;Jürgen Weiß;;Lindenallee 12;80331;München;RE-26-0144;10.05.2026;24.05.2026;"
    "349,90;S;EUR;3",
    "10003;Weinhandel Özdemir;DE811234567;Am Hafen 3;28195;Bremen;RE-26-0150;12.05.2026;"
    "26.05.2026;2.500,00;S;EUR;3",
    # the sign and the indicator disagree: a credit that would become a claim
    "10002;Jürgen Weiß;;Lindenallee 12;80331;München;GS-26-0010;01.06.2026;01.06.2026;"
    "75,00;H;EUR;0",
]


def test_a_german_latin_1_opos_list_with_a_preamble(workspace: Workspace, store: Store) -> None:
    workspace.path("opos-liste.yaml").write_text(MAPPING, encoding="utf-8")
    config = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(
        config.replace("mapping: preset:generic-opos", "mapping: opos-liste.yaml"),
        encoding="utf-8",
    )
    folder = workspace.path("erp", "exports")
    for old in folder.glob("*.csv"):
        old.unlink()
    text = "\r\n".join([*PREAMBLE, HEADER, *LINES]) + "\r\n"
    (folder / "open_items_1.csv").write_bytes(text.encode("latin-1"))

    summary = run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    (result,) = summary.extraction
    assert (result.records, result.accepted, result.quarantined) == (5, 4, 1), result.error
    with store.unit_of_work(read_only=True) as session:
        items = {r.document_number: r for r in session.scalars(select(OpenItemRow))}
        debtors = {d.number: d for d in session.scalars(select(DebtorRow))}
        (bad,) = session.scalars(select(QuarantinedRecordRow))
        cases = {c.debtor_number: c for c in session.scalars(select(CaseRow))}

    # line numbers are the file's own, preamble included (header on line 5)
    assert bad.position == "10" and bad.fields == "open_amount"
    assert "indicator H says credit" in bad.reason
    assert items["RE-26-0101"].open_amount_minor == 119_000
    assert items["GS-26-0007"].open_amount_minor == -19_000
    assert debtors["10001"].name == "Bäckerei Groß GmbH" and debtors["10001"].city == "Stuttgart"
    # no person/company column: the legal form, or a VAT number, says company
    assert (debtors["10001"].kind, debtors["10003"].kind) == ("company", "company")
    assert debtors["10002"].kind == "person"

    # ... so the consumer is claimed consumer terms: no EUR 40 flat fee, lower interest
    person, company = cases["10002"], cases["10003"]
    assert company.fees_claimed_minor == 4_000
    assert person.fees_claimed_minor == 0
    # B2B interest would be at least 9 points (base rate + 9); B2C is base rate + 5
    days = (TODAY - items["RE-26-0144"].net_due_date).days
    assert 0 < person.interest_claimed_minor < 34_990 * Decimal("0.09") * days / 365
