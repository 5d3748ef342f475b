"""The shipped presets read realistic exports: French (cp1252, ';', decimal comma, dd/mm/yyyy)
and German (BOM, thousands dot, S/H, ALPHA numbers, net due date from payment terms)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from connectors.csv_sftp import CsvDialect, CsvDialectOptions, read_csv
from mappings import list_presets, load_mapping


def read(path: Path, preset: str) -> list[dict[str, object]]:
    mapping = load_mapping(f"preset:{preset}")
    columns, records = read_csv(
        path, CsvDialect.resolve(mapping.file, CsvDialectOptions()), path.name
    )
    mapper = mapping.bind(columns)
    return [dict(zip(mapper.targets, mapper(r.values), strict=True)) for r in records]


def test_every_preset_compiles() -> None:
    assert {
        "generic-opos",
        "fr-export",
        "de-export",
        "handover-standard",
        "agency-events-csv",
        "writeback-csv",
        "notices-csv",
    } <= set(list_presets())
    for name in list_presets():
        assert load_mapping(f"preset:{name}").name == name


def test_french_export(tmp_path: Path) -> None:
    text = (
        "Société;N° pièce;Exercice;Ligne;Code client;Raison sociale;Type tiers;N° TVA;Adresse;"
        "Code postal;Ville;Pays;Date pièce;Date échéance;Devise;Montant;Reste dû;Sens;"
        "Niveau relance;Litige;Référence\r\n"
        "FR01;VT000123;2026;1;C0042;Boulangerie Lefèvre;Société;FR 40 123456789;14 rue Mercière;"
        "69002;Lyon;;15/01/2026;14/02/2026;EUR;1 234,56;1 034,56;D;3;Non;FA-2026-123\r\n"
        "FR01;AV000007;2026;1;C0042;Boulangerie Lefèvre;Société;;;;;;20/01/2026;20/01/2026;EUR;"
        "100,00;100,00;C;0;Oui;AV-7\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    invoice, credit = read(path, "fr-export")
    assert invoice["open_amount"] == Decimal("1034.56")
    assert invoice["amount"] == Decimal("1234.56")
    assert invoice["net_due_date"] == date(2026, 2, 14)
    assert invoice["debtor_country"] == "FR"  # defaulted
    assert invoice["debtor_vat_id"] == "FR40123456789"
    assert invoice["disputed"] is False
    assert credit["open_amount"] == Decimal("-100.00")
    assert credit["disputed"] is True


def test_german_export_with_payment_terms(tmp_path: Path) -> None:
    header = (
        "Buchungskreis;Belegnummer;Geschäftsjahr;Position;Kontonummer;Name 1;Straße;PLZ;Ort;Land;"
        "Belegdatum;Basisdatum;Zahlungsziel netto;Skontotage 1;Skontotage 2;Währung;Betrag;"
        "Offener Betrag;S/H;Mahnstufe;Letzte Mahnung;Mahnsperre;Strittig"
    )
    rows = [
        "1000;1800000123;2026;1;0000012345;Müller GmbH;Hauptstr. 1;70173;Stuttgart;;"
        "05.01.2026;05.01.2026;30;10;;EUR;1.190,00;1.190,00;S;2;20.02.2026;;",
        "1000;1400000007;2026;2;0000012345;Müller GmbH;;;;;10.01.2026;10.01.2026;30;;;EUR;"
        "50,00;50,00;H;0;;;x",
    ]
    path = tmp_path / "op.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    invoice, credit = read(path, "de-export")
    assert invoice["company_code"] == "1000"
    assert invoice["debtor_number"] == "12345"
    assert invoice["line_item"] == "001"
    assert invoice["net_due_date"] == date(2026, 2, 4)  # baseline + 30 days, not the baseline
    assert invoice["open_amount"] == Decimal("1190.00")
    assert invoice["last_dunning_date"] == date(2026, 2, 20)
    assert credit["open_amount"] == Decimal("-50.00")
    assert credit["net_due_date"] == date(2026, 1, 10)  # a credit without invoice reference
    assert credit["disputed"] is True
