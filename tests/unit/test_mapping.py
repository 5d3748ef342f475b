"""The mapping language: steps, compile-time errors with key paths, record errors per field."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from mappings import ColumnsError, MappingSpecError, RecordError, parse_mapping
from mappings.transforms import build_step

MINIMAL = """
name: test
kind: open_items
fields:
  company_code: BUKRS
  document_number: {from: BELNR, steps: [strip, {alpha_in: 10}]}
  debtor_number: {from: KUNNR, steps: [alpha_out]}
  debtor_name: NAME
  document_date: {from: BLDAT, steps: [{date: "%Y%m%d"}]}
  net_due_date: {from: FAEDT, steps: [{date: "%d.%m.%Y"}]}
  currency: WAERS
  open_amount: {from: WRBTR, steps: [{decimal: {decimal_separator: ",", thousands_separator: "."}}]}
"""


def step(name: str, arg: object = None):
    return build_step(name, arg)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12345", "0000012345"), ("  42 ", "0000000042"), ("AB-12", "AB-12"), ("", "")],
)
def test_alpha_input_conversion_pads_numbers_only(value: str, expected: str) -> None:
    assert step("alpha_in", 10)(value) == expected


def test_alpha_output_conversion_drops_leading_zeros() -> None:
    assert step("alpha_out")("0000012345") == "12345"
    assert step("alpha_out")("0000000000") == "0"
    assert step("alpha_out")("C-0001") == "C-0001"


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("1.234,56", {"decimal_separator": ",", "thousands_separator": "."}, Decimal("1234.56")),
        ("1 234,56", {"decimal_separator": ",", "thousands_separator": " "}, Decimal("1234.56")),
        ("12.50-", {}, Decimal("-12.50")),
        ("-0.5", {}, Decimal("-0.5")),
    ],
)
def test_amounts_as_erps_write_them(text: str, args: dict[str, str], expected: Decimal) -> None:
    assert step("decimal", args)(text) == expected


def test_an_amount_with_the_wrong_separator_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"unexpected '\.'"):
        step("decimal", {"decimal_separator": ","})("1234.56")


def test_dates_in_a_format_and_sap_initial_dates() -> None:
    assert step("date", "%d/%m/%Y")("31/12/2025") == date(2025, 12, 31)
    assert step("date", "%Y%m%d")("00000000") is None
    with pytest.raises(ValueError, match=r"format %d/%m/%Y"):
        step("date", "%d/%m/%Y")("2025-12-31")


def test_datetimes_without_offset_take_the_configured_zone() -> None:
    parse = step("datetime", {"format": "%d.%m.%Y %H:%M", "timezone": "Europe/Berlin"})
    assert parse("01.07.2026 12:00") == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_a_strict_lookup_names_the_allowed_codes() -> None:
    lookup = step("lookup", {"values": {"ACK": "accepted", "PAY": "payment"}})
    assert lookup("PAY") == "payment"
    with pytest.raises(ValueError, match=r"allowed: ACK, PAY"):
        lookup("XXX")


def test_a_record_maps_to_canonical_typed_values() -> None:
    mapper = parse_mapping(MINIMAL, "test.yaml").bind(
        ["BUKRS", "BELNR", "KUNNR", "NAME", "BLDAT", "FAEDT", "WAERS", "WRBTR"]
    )
    values = dict(
        zip(
            mapper.targets,
            mapper(
                [
                    "1000",
                    " 4711 ",
                    "0000012345",
                    "ACME",
                    "20260105",
                    "04.02.2026",
                    "EUR",
                    "1.250,00",
                ]
            ),
            strict=True,
        )
    )
    assert values["document_number"] == "0000004711"
    assert values["debtor_number"] == "12345"
    assert values["document_date"] == date(2026, 1, 5)
    assert values["net_due_date"] == date(2026, 2, 4)
    assert values["open_amount"] == Decimal("1250.00")
    assert values["dunning_level"] == 0  # a target not mapped takes its default
    assert values["debtor_kind"] == "company"


def test_a_bad_record_names_every_failing_field() -> None:
    mapper = parse_mapping(MINIMAL, "test.yaml").bind(
        ["BUKRS", "BELNR", "KUNNR", "NAME", "BLDAT", "FAEDT", "WAERS", "WRBTR"]
    )
    with pytest.raises(RecordError) as caught:
        mapper(["1000", "1", "2", "", "2026-01-05", "04.02.2026", "EURO", "abc"])
    assert set(caught.value.fields) == {"debtor_name", "document_date", "currency", "open_amount"}
    message = str(caught.value)
    assert "debtor_name: missing value" in message
    assert "currency: unknown currency" in message
    assert "open_amount: not a number (value 'abc')" in message


def test_missing_columns_are_named_with_what_was_found() -> None:
    mapping = parse_mapping(MINIMAL, "test.yaml")
    with pytest.raises(ColumnsError, match=r"missing: WRBTR \(found: BUKRS"):
        mapping.bind(["BUKRS", "BELNR", "KUNNR", "NAME", "BLDAT", "FAEDT", "WAERS"])


def test_a_bad_mapping_lists_every_problem_with_its_key() -> None:
    bad = """
name: bad
kind: open_items
fields:
  company_code: {from: BUKRS, steps: [stripp]}
  document_number: {from: BELNR, steps: [{alpha_in: ten}]}
  ammount: WRBTR
  debtor_number: {value: x, from: KUNNR}
"""
    with pytest.raises(MappingSpecError) as caught:
        parse_mapping(bad, "bad.yaml")
    problems = "\n".join(caught.value.problems)
    assert "fields.debtor_number" in problems and "exactly one source" in problems


def test_compile_errors_name_the_step_and_target() -> None:
    bad = """
name: bad
kind: open_items
fields:
  company_code: {from: BUKRS, steps: [stripp]}
  document_number: {from: BELNR, steps: [{alpha_in: ten}]}
  ammount: WRBTR
  debtor_number: KUNNR
  debtor_name: N
  document_date: D
  net_due_date: F
  currency: W
"""
    with pytest.raises(MappingSpecError) as caught:
        parse_mapping(bad, "bad.yaml")
    problems = caught.value.problems
    assert any(
        p.startswith("fields.company_code.steps[0]: unknown step 'stripp'") for p in problems
    )
    assert any(
        "fields.document_number.steps[0]: step 'alpha_in' needs a int" in p for p in problems
    )
    assert any(p.startswith("fields.ammount: unknown target") for p in problems)
    assert "fields: required target 'open_amount' is not mapped" in problems


def test_dict_records_reach_into_nested_objects() -> None:
    mapping = parse_mapping(
        """
name: json
kind: open_items
fields:
  company_code: {value: "1"}
  document_number: number
  debtor_number: party.code
  debtor_name: party.name
  document_date: date
  net_due_date: maturity_date
  currency: currency.code
  open_amount: amount
""",
        "json.yaml",
    )
    mapper = mapping.for_records()
    record = {
        "number": "INV1",
        "party": {"code": "C1", "name": "ACME"},
        "date": date(2026, 1, 1),
        "maturity_date": date(2026, 2, 1),
        "currency": {"code": "EUR"},
        "amount": Decimal("12.00"),
    }
    values = dict(zip(mapper.targets, mapper(record), strict=True))
    assert (values["debtor_number"], values["debtor_name"], values["currency"]) == (
        "C1",
        "ACME",
        "EUR",
    )


def test_outbound_mappings_write_files_from_canonical_fields() -> None:
    mapping = parse_mapping(
        """
name: wb
kind: writeback
fields:
  ACTION: {from: action, steps: [upper]}
  BELNR: {from: document_number, steps: [{alpha_in: 10}]}
  BETRAG: {from: amount, steps: [{format_decimal: {decimal_separator: ",", places: 2}}]}
""",
        "wb.yaml",
    )
    row = mapping.write(
        "fields", {"action": "post_payment", "document_number": "42", "amount": Decimal("12.5")}
    )
    assert row == {"ACTION": "POST_PAYMENT", "BELNR": "0000000042", "BETRAG": "12,50"}
    with pytest.raises(MappingSpecError, match="unknown canonical field 'amout'"):
        parse_mapping("name: x\nkind: writeback\nfields:\n  A: amout\n", "x.yaml")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("DEM", "currency: unknown currency 'DEM': not on ISO 4217's current list"),
        ("FRF", "French Franc"),
        ("XXX", "has no minor unit in ISO 4217"),
        ("CLF", "fund code"),
    ],
)
def test_a_line_in_a_withdrawn_or_placeholder_currency_is_refused(code: str, reason: str) -> None:
    mapper = parse_mapping(MINIMAL, "test.yaml").bind(
        ["BUKRS", "BELNR", "KUNNR", "NAME", "BLDAT", "FAEDT", "WAERS", "WRBTR"]
    )
    line = ["1000", "1", "2", "Name", "20260105", "04.02.2026", code, "10,00"]
    with pytest.raises(RecordError, match=reason):
        mapper(line)
    # the same line in forint is fine, with ISO 4217's two decimals
    assert "HUF" in mapper([*line[:6], "HUF", "1.234,56"])
