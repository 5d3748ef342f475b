"""The sample ERP export `claimbridge init` writes: realistic open items, dated from today.

Every line is there for a reason, so that a run's summary can be checked against the data:
items that qualify for the sample policy, items each criterion keeps out, and bad lines of the
kinds real exports have. `SAMPLE_FACTS` states what a run must find.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["SAMPLE_FACTS", "SampleFacts", "day_two_export", "sample_export"]

COLUMNS = (
    "company_code",
    "document_number",
    "fiscal_year",
    "line_item",
    "customer_number",
    "customer_name",
    "customer_type",
    "vat_id",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
    "language",
    "segment",
    "document_date",
    "posting_date",
    "due_date",
    "currency",
    "amount",
    "open_amount",
    "dunning_level",
    "last_dunning_date",
    "dunning_block",
    "disputed",
    "reference",
    "document_type",
)

_DEBTORS = {
    "100231": (
        "Müller Maschinenbau GmbH",
        "company",
        "DE811234567",
        "Industriestraße 12",
        "70565",
        "Stuttgart",
        "DE",
        "buchhaltung@mueller-maschinenbau.de",
        "+49 711 123450",
        "de",
        "",
    ),
    "100487": (
        "Boulangerie Lefèvre SARL",
        "company",
        "FR40123456789",
        "14 rue Mercière",
        "69002",
        "Lyon",
        "FR",
        "compta@lefevre-boulangerie.fr",
        "+33 4 78 00 11 22",
        "fr",
        "small",
    ),
    "100512": (
        "Jan Kowalski",
        "person",
        "",
        "Kastanienallee 7",
        "10435",
        "Berlin",
        "DE",
        "jan.kowalski@example.de",
        "+49 30 5550123",
        "de",
        "",
    ),
    "100733": (
        "Nordlicht Logistik AG",
        "company",
        "DE298765432",
        "Am Sandtorkai 40",
        "20457",
        "Hamburg",
        "DE",
        "kreditoren@nordlicht-logistik.de",
        "+49 40 3334440",
        "de",
        "strategic",
    ),
    "100918": (
        "Atelier Moreau",
        "company",
        "FR83987654321",
        "3 quai de la Fosse",
        "44000",
        "Nantes",
        "FR",
        "contact@atelier-moreau.fr",
        "+33 2 40 12 34 56",
        "fr",
        "small",
    ),
    "101044": (
        "Sophie Martin",
        "person",
        "",
        "27 rue de Charonne",
        "75011",
        "Paris",
        "FR",
        "sophie.martin@example.fr",
        "+33 6 12 34 56 78",
        "fr",
        "",
    ),
    "101250": (
        "Rhein Elektro KG",
        "company",
        "DE176543210",
        "Deutz-Mülheimer Str. 30",
        "51063",
        "Köln",
        "DE",
        "rechnungen@rhein-elektro.de",
        "+49 221 987650",
        "de",
        "",
    ),
    "101377": (
        "Bright Components Ltd",
        "company",
        "GB123456789",
        "Wellington Street 22",
        "LS1 4DL",
        "Leeds",
        "GB",
        "accounts@brightcomponents.co.uk",
        "+44 113 496 0000",
        "en",
        "",
    ),
    "101502": (
        "Hofmann & Söhne OHG",
        "company",
        "DE254321098",
        "Königstraße 55",
        "90402",
        "Nürnberg",
        "DE",
        "info@hofmann-soehne.de",
        "+49 911 224466",
        "de",
        "VIP",
    ),
    "101689": (
        "Clara Weber",
        "person",
        "",
        "Praterstraße 19",
        "1020",
        "Wien",
        "AT",
        "clara.weber@example.at",
        "+43 1 555 0199",
        "de",
        "",
    ),
}

# (debtor, company code, currency, amount, days overdue, dunning level, block, disputed, why)
_ITEMS: tuple[tuple[str, str, str, str, int, int, str, bool, str], ...] = (
    # qualify: dunning level ≥ 3, ≥ 30 days overdue, ≥ 50.00, no excluded block, not disputed
    ("100231", "1000", "EUR", "1250.00", 95, 3, "", False, "selected"),
    ("100231", "1000", "EUR", "980.40", 64, 3, "", False, "selected"),
    ("100487", "2000", "EUR", "455.20", 72, 3, "", False, "selected"),
    ("100512", "1000", "EUR", "89.90", 120, 3, "", False, "selected"),
    ("100512", "1000", "EUR", "129.00", 45, 3, "", False, "selected"),
    ("100733", "1000", "EUR", "4820.00", 150, 3, "", False, "selected"),
    ("100733", "1000", "EUR", "2310.75", 110, 3, "", False, "selected"),
    ("100733", "1000", "EUR", "612.30", 40, 3, "", False, "selected"),
    ("101377", "1000", "GBP", "3400.00", 88, 3, "", False, "selected"),
    ("101377", "1000", "USD", "1150.00", 70, 3, "", False, "selected"),
    ("101689", "1000", "EUR", "240.00", 55, 3, "", False, "selected"),
    # kept out by one criterion each
    ("100918", "2000", "EUR", "310.00", 35, 1, "", False, "dunning level"),
    ("100918", "2000", "EUR", "95.50", 40, 1, "", False, "dunning level"),
    ("101044", "2000", "EUR", "420.00", 50, 2, "", False, "dunning level"),
    ("101250", "1000", "EUR", "1780.00", 60, 2, "", False, "dunning level"),
    ("101250", "1000", "EUR", "66.60", 33, 2, "", False, "dunning level"),
    ("101502", "1000", "EUR", "2200.00", 12, 3, "", False, "days overdue"),
    ("101502", "1000", "EUR", "540.00", 20, 3, "", False, "days overdue"),
    ("100918", "2000", "EUR", "24.90", 80, 3, "", False, "minimum amount"),
    ("101250", "1000", "EUR", "905.00", 100, 3, "R", False, "dunning block"),
    ("101502", "1000", "EUR", "1320.00", 90, 3, "", True, "dispute"),
    # a credit memo, and invoices not yet due
    ("100231", "1000", "EUR", "-150.00", 95, 0, "", False, "credit"),
    ("100487", "2000", "EUR", "610.00", -10, 0, "", False, "not due"),
    ("101044", "2000", "EUR", "175.00", -20, 0, "", False, "not due"),
    ("101689", "1000", "EUR", "99.00", -5, 0, "", False, "not due"),
)


@dataclass(frozen=True, slots=True)
class SampleFacts:
    lines: int  # data lines in the day-one export
    items: int  # lines that become items
    quarantined: int  # bad lines
    selected_items: int
    cases: int
    excluded: dict[str, int]  # criterion → items (of the good ones) failing it
    day_two_cleared: int  # items the day-two export no longer holds
    day_two_reduced: int  # items whose open amount went down


SAMPLE_FACTS = SampleFacts(
    lines=len(_ITEMS) + 4,
    items=len(_ITEMS),
    quarantined=4,
    selected_items=sum(1 for i in _ITEMS if i[8] == "selected"),
    cases=7,  # one per debtor and currency: 101377 has a GBP and a USD case
    excluded={
        "open amount > 0": 1,  # the credit (never handed over, whatever the policy)
        "dunning level ≥ 3": 9,  # 5 below level 3, the credit and the 3 not yet due
        "days overdue ≥ 30": 5,  # 2 too recent and the 3 not yet due
        "open amount ≥ 50.00": 2,  # 24.90 and the credit
        "dunning block not in R": 1,
        "not disputed": 1,
    },
    day_two_cleared=1,
    day_two_reduced=1,
)


def _rows(today: date) -> list[list[str]]:
    rows: list[list[str]] = []
    for n, (debtor, company, currency, amount, overdue, level, block, disputed, _) in enumerate(
        _ITEMS
    ):
        name, kind, vat, street, postal, city, country, email, phone, lang, segment = _DEBTORS[
            debtor
        ]
        due = today - timedelta(days=overdue)
        document_date = due - timedelta(days=30)
        last_dunning = "" if level == 0 else (due + timedelta(days=14 * level)).isoformat()
        if last_dunning and date.fromisoformat(last_dunning) > today:
            last_dunning = (today - timedelta(days=2)).isoformat()
        rows.append(
            [
                company,
                f"{1800001000 + n}",
                str(document_date.year),
                "001",
                debtor,
                name,
                kind,
                vat,
                street,
                postal,
                city,
                country,
                email,
                phone,
                lang,
                segment,
                document_date.isoformat(),
                document_date.isoformat(),
                due.isoformat(),
                currency,
                amount,
                amount,
                str(level),
                last_dunning,
                block,
                "1" if disputed else "0",
                f"RE-{document_date.year}-{4711 + n}",
                "DR" if not amount.startswith("-") else "DG",
            ]
        )
    return rows


def _bad_rows(good: list[list[str]]) -> list[list[str]]:
    """Four lines of the kinds real exports contain, each with a readable item key."""
    bad_amount = list(good[5])
    bad_amount[1], bad_amount[20], bad_amount[21] = "1800009001", "1.234,5O", "1.234,5O"
    bad_date = list(good[12])
    bad_date[1], bad_date[18] = "1800009002", f"{int(bad_date[2])}-02-31"
    bad_currency = list(good[16])
    bad_currency[1], bad_currency[19] = "1800009003", "EURO"
    duplicate = list(good[2])
    duplicate[20] = duplicate[21] = "455.02"
    return [bad_amount, bad_date, bad_currency, duplicate]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def sample_export(today: date) -> bytes:
    """The day-one export: every item above, with the bad lines among them."""
    good = _rows(today)
    bad = _bad_rows(good)
    return _csv([*good[:6], bad[0], *good[6:13], bad[1], *good[13:17], bad[2], *good[17:], bad[3]])


def day_two_export(today: date) -> bytes:
    """The next export, as the ERP would write it after the debtor 101689 paid its item
    directly and Nordlicht Logistik paid 300.00 of its 612.30."""
    good = _rows(today)
    bad = _bad_rows(good)
    day_two = [row for row in good if row[4] != "101689" or row[20] != "240.00"]
    for row in day_two:
        if row[4] == "100733" and row[21] == "612.30":
            row[21] = "312.30"
    return _csv(day_two + bad)
