"""Write-back into the simulated SAP system: each action by its function and committed on its
own, a failure rolled back and holding back the item's later actions, retriable or final as
SAP's answer says, and nothing half-applied when SAP goes away."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import ConfigurationError, ConnectionFailed, ConnectorContext
from connectors.sap_rfc import SapRfcWriteBack, SapRfcWriteBackOptions
from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.items import ItemKey
from mappings import load_mapping, parse_mapping
from simulators.sap import SimulatedSap, item_key
from tests.conftest import TODAY

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DEBTOR = 231


@pytest.fixture
def sap(tmp_path: Path) -> SimulatedSap:
    sap = SimulatedSap.create(
        base_date=TODAY, customers_per_company_code=600, path=tmp_path / "sap.json"
    )
    for index, document in ((DEBTOR, "1800000001"), (DEBTOR, "1800000002"), (5, "1800000003")):
        customer = sap.ledger.customer("1000", index)
        sap.add_invoice(customer, document, Decimal("500.00"), "EUR", TODAY)
    return sap


def writeback(tmp_path: Path, mapping: str = "preset:sap-writeback-rfc", **options: object):
    settings = SapRfcWriteBackOptions.model_validate(
        {"client": "simulator", "simulator": {"state": "sap.json"}, **options}
    )
    compiled = (
        load_mapping(mapping) if mapping.startswith("preset:") else parse_mapping(mapping, "t")
    )
    return SapRfcWriteBack(settings, ConnectorContext("erp", tmp_path, {"writeback": compiled}))


def action(
    action_id: str, kind: ActionKind, document: str, debtor: int = DEBTOR, **values: object
) -> WriteBackAction:
    return WriteBackAction(
        action_id,
        kind,
        ItemKey("erp", "1000", document, 2026, "001"),
        "CB-0000001",
        "acme",
        NOW,
        currency="EUR",
        debtor_number=str(100_000 + debtor),
        **values,  # type: ignore[arg-type]
    )


def committed(tmp_path: Path) -> SimulatedSap:
    return SimulatedSap.create(path=tmp_path / "sap.json")


def test_actions_are_applied_and_committed_one_by_one(sap: SimulatedSap, tmp_path: Path) -> None:
    wb = writeback(tmp_path)
    result = wb.apply(
        [
            action("a1", ActionKind.SET_DUNNING_BLOCK, "1800000001", dunning_block="I"),
            action("a2", ActionKind.ADD_NOTE, "1800000001", text="Handed over"),
            action("a3", ActionKind.POST_PAYMENT, "1800000002", amount=12_345),
            action("a4", ActionKind.RECORD_STATUS, "1800000002", status="in_progress"),
        ]
    )
    wb.close()
    assert result.failed == {} and result.delivery is not None and result.delivery.records == 4
    calls = wb.session.client.calls  # type: ignore[attr-defined]
    assert calls == [
        "Z_CLAIMBRIDGE_DUNNING_BLOCK",
        "BAPI_TRANSACTION_COMMIT",
        "Z_CLAIMBRIDGE_ITEM_NOTE",
        "BAPI_TRANSACTION_COMMIT",
        "BAPI_ACC_DOCUMENT_POST",
        "BAPI_TRANSACTION_COMMIT",
        "Z_CLAIMBRIDGE_ITEM_NOTE",
        "BAPI_TRANSACTION_COMMIT",
    ]
    assert wb.session.client.connections_opened == 1  # type: ignore[attr-defined]
    after = committed(tmp_path)
    first, second = (item_key("1000", d, "2026", "001") for d in ("1800000001", "1800000002"))
    assert after.state.blocks[first] == "I"
    assert after.state.notes[first][0]["text"] == "Handed over"
    assert after.state.statuses[second] == "in_progress"
    customer = after.ledger.customer("1000", DEBTOR)
    payments = [r for r in after.customer_items(customer) if r["ITEM_TEXT"].startswith("Paid")]
    assert len(payments) == 1
    assert (payments[0]["AMT_DOCCUR"], payments[0]["DB_CR_IND"]) == (Decimal("123.4500"), "H")
    assert payments[0]["ALLOC_NMBR"] == "CB-0000001"


def test_a_failure_holds_back_the_items_later_actions(sap: SimulatedSap, tmp_path: Path) -> None:
    sap.state.locks["1000/1800000001/2026"] = "SMITH"
    sap.state.save()
    wb = writeback(tmp_path)
    result = wb.apply(
        [
            action("a1", ActionKind.SET_DUNNING_BLOCK, "1800000001", dunning_block="I"),
            action("a2", ActionKind.SET_DUNNING_BLOCK, "1800000002", dunning_block="I"),
            action("a3", ActionKind.ADD_NOTE, "1800000001", text="Handed over"),
        ]
    )
    wb.close()
    reason, retriable = result.failed["a1"]
    assert retriable  # ZCLAIMBRIDGE/001, a lock: it will be free later
    assert "Z_CLAIMBRIDGE_DUNNING_BLOCK: E ZCLAIMBRIDGE/001 Document 1000 1800000001 2026" in reason
    assert "locked by user SMITH" in reason
    assert (
        result.failed["a3"][1] is True
        and "an earlier action on this item failed" in (result.failed["a3"][0])
    )
    assert "a2" not in result.failed
    calls = wb.session.client.calls  # type: ignore[attr-defined]
    assert calls[:2] == ["Z_CLAIMBRIDGE_DUNNING_BLOCK", "BAPI_TRANSACTION_ROLLBACK"]
    after = committed(tmp_path)
    assert item_key("1000", "1800000002", "2026", "001") in after.state.blocks
    assert item_key("1000", "1800000001", "2026", "001") not in after.state.notes


def test_a_refused_posting_is_final_and_rolled_back(sap: SimulatedSap, tmp_path: Path) -> None:
    wb = writeback(tmp_path)
    blocked = action("p1", ActionKind.POST_PAYMENT, "1800000003", debtor=5, amount=1_000)
    result = wb.apply([blocked])
    wb.close()
    reason, retriable = result.failed["p1"]
    assert not retriable
    assert reason.startswith("BAPI_ACC_DOCUMENT_POST: E RW/609 Error in document")
    assert "E F5/351 Account 0000100005 is blocked for posting in company code 1000" in reason
    assert wb.session.client.calls[-1] == "BAPI_TRANSACTION_ROLLBACK"  # type: ignore[attr-defined]
    assert committed(tmp_path).state.documents.keys() == sap.state.documents.keys()


def test_retriable_messages_are_configurable(sap: SimulatedSap, tmp_path: Path) -> None:
    sap.state.locks["1000/1800000001/2026"] = "SMITH"
    sap.state.save()
    wb = writeback(tmp_path, retriable_messages=[])
    result = wb.apply([action("a1", ActionKind.SET_DUNNING_BLOCK, "1800000001", dunning_block="I")])
    assert result.failed["a1"][1] is False


def test_sap_away_before_anything_is_applied_raises(sap: SimulatedSap, tmp_path: Path) -> None:
    wb = writeback(tmp_path)
    wb.session.client.unreachable = True  # type: ignore[attr-defined]
    with pytest.raises(ConnectionFailed, match="not reached"):
        wb.apply([action("a1", ActionKind.SET_DUNNING_BLOCK, "1800000001", dunning_block="I")])


def test_a_timeout_midway_leaves_the_rest_for_a_retry(sap: SimulatedSap, tmp_path: Path) -> None:
    wb = writeback(tmp_path, timeout_seconds=5)
    wb.session.client.delays["Z_CLAIMBRIDGE_ITEM_NOTE"] = 60  # type: ignore[attr-defined]
    actions = [
        action("a1", ActionKind.SET_DUNNING_BLOCK, "1800000001", dunning_block="I"),
        action("a2", ActionKind.ADD_NOTE, "1800000001", text="Handed over"),
        action("a3", ActionKind.SET_DUNNING_BLOCK, "1800000002", dunning_block="I"),
    ]
    result = wb.apply(actions)
    wb.close()
    assert set(result.failed) == {"a2", "a3"}
    assert all(retriable for _, retriable in result.failed.values())
    assert "RFC_CANCELED" in result.failed["a2"][0]
    assert list(committed(tmp_path).state.blocks) == [item_key("1000", "1800000001", "2026", "001")]


def test_a_mapping_naming_what_sap_lacks_fails_clearly(sap: SimulatedSap, tmp_path: Path) -> None:
    mapping = textwrap.dedent(
        """\
        name: custom
        kind: writeback
        calls:
          set_dunning_block:
            function: Z_MY_BLOCK
            commit: true
            parameters: {I_BUKRS: company_code}
          add_note:
            function: Z_CLAIMBRIDGE_ITEM_NOTE
            parameters: {I_BUKRS: company_code, I_COMMENT: text}
        """
    )
    wb = writeback(tmp_path, mapping)
    result = wb.apply(
        [
            action("a1", ActionKind.SET_DUNNING_BLOCK, "1800000001", dunning_block="I"),
            action("a2", ActionKind.ADD_NOTE, "1800000002", text="x"),
            action("a3", ActionKind.RECORD_STATUS, "1800000002", status="paused"),
        ]
    )
    assert "Z_MY_BLOCK: the function module does not exist in SAP" in result.failed["a1"][0]
    assert (
        "I_COMMENT" in result.failed["a2"][0] and "RFC_INVALID_PARAMETER" in result.failed["a2"][0]
    )
    assert result.failed["a3"] == (
        "not applied: an earlier action on this item failed (" + result.failed["a2"][0] + ")",
        True,
    )
    alone = wb.apply([replace(action("a4", ActionKind.RECORD_STATUS, "1800000003"), status="x")])
    assert alone.failed["a4"] == (
        "write-back mapping 'custom' has no call for record_status",
        False,
    )


def test_a_mapping_without_calls_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="needs a writeback mapping with `calls`"):
        writeback(tmp_path, "preset:writeback-csv")


def test_check_names_missing_functions_and_parameters(sap: SimulatedSap, tmp_path: Path) -> None:
    results = {r.what: r for r in writeback(tmp_path).check()}
    assert results["RFC_PING"].ok and "system SIM, release 758" in results["RFC_SYSTEM_INFO"].detail
    assert results["function BAPI_ACC_DOCUMENT_POST"].ok
    assert results["function BAPI_TRANSACTION_COMMIT"].ok
    mapping = (
        "name: t\nkind: writeback\ncalls:\n  add_note:\n    function: Z_CLAIMBRIDGE_ITEM_NOTE\n"
        "    parameters: {I_BUKRS: company_code, I_COMMENT: text}\n"
        "  set_dunning_block: {function: Z_NOPE, parameters: {}}\n"
    )
    bad = {r.what: r for r in writeback(tmp_path, mapping).check()}
    assert not bad["function Z_CLAIMBRIDGE_ITEM_NOTE"].ok
    assert "has no parameter(s) I_COMMENT" in bad["function Z_CLAIMBRIDGE_ITEM_NOTE"].detail
    assert not bad["function Z_NOPE"].ok and "does not exist" in bad["function Z_NOPE"].detail
