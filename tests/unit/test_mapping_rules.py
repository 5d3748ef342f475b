"""Computed rules of the mapping language for foreign layouts: a sign checked against its
debit/credit indicator, and person or company from the name when no column says it."""

from decimal import Decimal

import pytest

from mappings import FieldError
from mappings.computed import checked_sign, debtor_kind_from_name


@pytest.mark.parametrize(
    ("amount", "indicator", "expected"),
    [("-50.00", "H", "-50.00"), ("50.00", "S", "50.00"), ("0", "H", "0"), ("0", "S", "0")],
)
def test_an_amount_whose_sign_agrees_is_kept(amount: str, indicator: str, expected: str) -> None:
    assert checked_sign(amount, indicator) == Decimal(expected)


@pytest.mark.parametrize(
    ("amount", "indicator", "message"),
    [
        ("50.00", "H", "positive but its indicator H says credit"),
        ("-50.00", "S", "negative but its indicator S says debit"),
        ("50.00", "X", r"unknown debit/credit indicator \(allowed: H, S\)"),
    ],
)
def test_a_sign_that_disagrees_is_an_error(amount: str, indicator: str, message: str) -> None:
    with pytest.raises(FieldError, match=message):
        checked_sign(amount, indicator)


def test_other_indicator_codes() -> None:
    assert checked_sign("-1", "C", negative=["C", "CR"], positive="D") == Decimal(-1)
    with pytest.raises(FieldError):
        checked_sign("1", "CR", negative=["C", "CR"], positive="D")


@pytest.mark.parametrize(
    "name",
    [
        "Müller GmbH",
        "Bau-GmbH Süd",
        "Schmidt & Partner GmbH & Co. KG",
        "Weber e.K.",
        "Dupont SARL",
        "Boulangerie Lefèvre S.à r.l.",
        "Rossi S.p.A.",
        "Acme Ltd.",
        "Widgets Inc",
        "Jansen B.V.",
        "Nordic Oy",
        "Musikverein Harmonie e.V.",
    ],
)
def test_a_legal_form_in_the_name_is_a_company(name: str) -> None:
    assert debtor_kind_from_name(name) == "company"


@pytest.mark.parametrize(
    "name", ["Jürgen Weiß", "Marie Dupont", "Agathe Sagan", "Gabriele Kagel", "Sebastian Ago"]
)
def test_a_name_without_legal_form_is_a_person(name: str) -> None:
    assert debtor_kind_from_name(name) == "person"


def test_a_vat_or_registration_number_or_an_own_legal_form_is_a_company() -> None:
    assert debtor_kind_from_name("Weinhandel Özdemir", vat_id="DE811234567") == "company"
    assert debtor_kind_from_name("Zeta Druck", registration="HRB 12345") == "company"
    assert debtor_kind_from_name("Zeta Druck", name2="Zeta Druck GmbH") == "company"
    assert debtor_kind_from_name("Kovač d.o.o.", legal_forms=["d.o.o."]) == "company"
    assert debtor_kind_from_name("Kovač d.o.o.") == "person"
