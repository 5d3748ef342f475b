"""SAP's net due date rule (domain.md §3): never the baseline date alone for an invoice."""

from datetime import date

import pytest

from mappings.computed import sap_net_due_date

BASE = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("net", "days1", "days2", "expected"),
    [
        ("30", "10", "20", date(2026, 3, 31)),  # net terms win
        ("0", "10", "20", date(2026, 3, 21)),  # no net terms: second discount days
        ("", "14", "", date(2026, 3, 15)),  # then the first
        ("", "", "", BASE),  # no terms at all: due at once
    ],
)
def test_invoice_due_dates(net: str, days1: str, days2: str, expected: date) -> None:
    assert sap_net_due_date(BASE, net, days1, days2, "S", "") == expected


def test_a_credit_without_invoice_reference_is_due_on_its_baseline_date() -> None:
    assert sap_net_due_date(BASE, "30", "", "", "H", "") == BASE


def test_a_credit_that_refers_to_an_invoice_follows_the_terms() -> None:
    assert sap_net_due_date(BASE, "30", "", "", "H", "1800000123") == date(2026, 3, 31)


def test_packed_numbers_from_rfc_work_too() -> None:
    from decimal import Decimal

    assert sap_net_due_date(BASE, Decimal(30), None, None, "S", None) == date(2026, 3, 31)


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_baseline_date_is_the_document_date_as_in_sap(empty: object) -> None:
    document = date(2026, 2, 10)
    assert sap_net_due_date(empty, "30", "", "", "S", "", document) == date(2026, 3, 12)
    assert sap_net_due_date(empty, "30", "", "", "H", "", document) == document


def test_without_baseline_nor_document_date_the_line_is_refused() -> None:
    from mappings import FieldError

    with pytest.raises(FieldError, match="baseline date and document date are both empty"):
        sap_net_due_date(None, "30", "", "", "S", "", None)
