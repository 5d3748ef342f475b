"""The mapping language's `calls` (write-back by function calls): compiled against the
canonical action fields, checked with key paths, filled per action; other kinds and the
existing presets are unaffected."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.items import ItemKey
from mappings import MappingSpecError, RecordError, list_presets, load_mapping, parse_mapping
from mappings.canonical import action_record

ACTION = WriteBackAction(
    "CB-0000001:agency:E1:payment:0",
    ActionKind.POST_PAYMENT,
    ItemKey("erp", "1000", "1800000123", 2026, "001"),
    "CB-0000001",
    "acme",
    datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    currency="JPY",
    amount=125_000,
    debtor_number="100231",
)


def test_a_call_fills_fields_structures_and_tables() -> None:
    mapping = parse_mapping(
        """
name: t
kind: writeback
calls:
  post_payment:
    function: BAPI_ACC_DOCUMENT_POST
    commit: true
    parameters:
      DOCUMENTHEADER:
        structure:
          COMP_CODE: company_code
          PSTNG_DATE: {from: occurred_at, steps: [{format_date: "%Y%m%d"}]}
      CURRENCYAMOUNT:
        table:
          - {ITEMNO_ACC: {value: "0000000001"}, AMT_DOCCUR: amount, CURRENCY: currency}
          - {ITEMNO_ACC: {value: "0000000002"}, AMT_DOCCUR: {from: amount, steps: [negate]}}
      I_CUSTOMER: {from: debtor_number, steps: [{alpha_in: 10}]}
      I_NOTHING: text
""",
        "t",
    )
    call = mapping.calls["post_payment"]
    assert (call.function, call.commit, call.return_parameter) == (
        "BAPI_ACC_DOCUMENT_POST",
        True,
        "RETURN",
    )
    params = call.parameters(action_record(ACTION))
    assert params == {
        "DOCUMENTHEADER": {"COMP_CODE": "1000", "PSTNG_DATE": "20261120"},
        "CURRENCYAMOUNT": [
            {"ITEMNO_ACC": "0000000001", "AMT_DOCCUR": Decimal(125000), "CURRENCY": "JPY"},
            {"ITEMNO_ACC": "0000000002", "AMT_DOCCUR": Decimal(-125000)},
        ],
        "I_CUSTOMER": "0000100231",
        "I_NOTHING": "",
    }
    assert call.parameter_names == ("DOCUMENTHEADER", "CURRENCYAMOUNT", "I_CUSTOMER", "I_NOTHING")


def test_problems_are_reported_with_their_key_paths() -> None:
    with pytest.raises(MappingSpecError) as caught:
        parse_mapping(
            """
name: t
kind: writeback
calls:
  pay_everything:
    function: Z_X
  add_note:
    function: lower_case
  set_dunning_block:
    function: Z_BLOCK
    parameters:
      I_X: {from: no_such_field}
      T: {table: [{A: {from: company_code, steps: [frobnicate]}}]}
      N: null
""",
            "t",
        )
    problems = "\n".join(caught.value.problems)
    assert "calls.add_note.function" in problems
    assert "calls.set_dunning_block.parameters.N" in problems
    with pytest.raises(MappingSpecError) as compiled:
        parse_mapping(
            """
name: t
kind: writeback
calls:
  pay_everything: {function: Z_X}
  set_dunning_block:
    function: Z_BLOCK
    parameters:
      I_X: {from: no_such_field}
      T: {table: [{A: {from: company_code, steps: [frobnicate]}}]}
""",
            "t",
        )
    problems = "\n".join(compiled.value.problems)
    assert "calls.pay_everything: unknown action kind" in problems
    assert "calls.set_dunning_block.parameters.I_X.from: unknown canonical field" in problems
    assert "calls.set_dunning_block.parameters.T.table[0].A.steps[0]: unknown step" in problems


def test_calls_belong_to_writeback_mappings_only() -> None:
    with pytest.raises(MappingSpecError, match="writeback only"):
        parse_mapping(
            "name: t\nkind: notices\nfields: {a: kind}\ncalls: {add_note: {function: Z}}\n", "t"
        )
    with pytest.raises(MappingSpecError, match=r"needs 'fields' \(a file's columns.*or 'calls'"):
        parse_mapping("name: t\nkind: writeback\n", "t")
    only_calls = parse_mapping("name: t\nkind: writeback\ncalls: {add_note: {function: Z}}\n", "t")
    assert only_calls.columns_of("fields") == [] and set(only_calls.calls) == {"add_note"}


def test_a_step_failing_names_the_parameter() -> None:
    mapping = parse_mapping(
        """
name: t
kind: writeback
calls:
  record_status:
    function: Z_STATUS
    parameters:
      S:
        structure:
          STATE: {from: status, steps: [{lookup: {values: {paid: P}}}]}
""",
        "t",
    )
    action = WriteBackAction(
        "a", ActionKind.RECORD_STATUS, ACTION.item, "CB-1", "acme", ACTION.occurred_at, status="x"
    )
    with pytest.raises(RecordError) as failed:
        mapping.calls["record_status"].parameters(action_record(action))
    assert failed.value.fields == ["S.STATE"]


def test_the_existing_presets_still_compile_and_the_csv_one_has_no_calls() -> None:
    for name in list_presets():
        load_mapping(f"preset:{name}")
    assert load_mapping("preset:writeback-csv").calls == {}
    assert set(load_mapping("preset:sap-writeback-rfc").calls) == {k.value for k in ActionKind}
