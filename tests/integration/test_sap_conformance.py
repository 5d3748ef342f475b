"""The SAP connectors pass the conformance kit (connectors/testing.py), on the simulator."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorContext
from connectors.sap_rfc import (
    SapRfcSource,
    SapRfcSourceOptions,
    SapRfcWriteBack,
    SapRfcWriteBackOptions,
)
from connectors.testing import AS_OF, SourceConformance, WriteBackConformance, sample_actions
from mappings import load_mapping
from simulators.sap import SimulatedSap

CUSTOMERS = ["100001", "100002", "100017"]  # 100017: authorization group VIP, not readable


class TestSapRfcSource(SourceConformance):
    @pytest.fixture
    def source(self, tmp_path: Path) -> SapRfcSource:
        options = SapRfcSourceOptions.model_validate(
            {
                "client": "simulator",
                "simulator": {"base_date": AS_OF.isoformat(), "customers_per_company_code": 40},
                "company_codes": ["1000"],
                "customers": {"list": CUSTOMERS},
            }
        )
        context = ConnectorContext(
            "erp", tmp_path, {"open_items": load_mapping("preset:sap-bapi3007")}
        )
        return SapRfcSource(options, context)

    @pytest.fixture
    def repeatable(self) -> bool:
        return True  # every run reads SAP again

    @pytest.fixture
    def expected_records(self) -> int:
        sap = SimulatedSap.create(base_date=AS_OF, customers_per_company_code=40)
        count = 1  # the VIP customer: one record saying why it could not be read
        for number in CUSTOMERS[:2]:
            customer = number.rjust(10, "0")
            opened = sap.call(
                "BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="1000", CUSTOMER=customer, KEYDATE=AS_OF
            )["LINEITEMS"]
            balanced = sap.call(
                "BAPI_AR_ACC_GETBALANCEDITEMS",
                COMPANYCODE="1000",
                CUSTOMER=customer,
                DATE_FROM="20261020",
                DATE_TO="20261120",
            )["LINEITEMS"]
            count += len(opened) + len(balanced)
        return count


def reference(action_id: str) -> str:
    """REF_DOC_NO of the preset's payment posting: the action id's short hash."""
    return hashlib.sha256(action_id.encode()).hexdigest()[:16].upper()


class TestSapRfcWriteBack(WriteBackConformance):
    @pytest.fixture
    def writeback(self, tmp_path: Path) -> SapRfcWriteBack:
        sap = SimulatedSap.create(
            base_date=AS_OF, customers_per_company_code=300, path=tmp_path / "sap.json"
        )
        customer = sap.ledger.customer("1000", 231)  # the debtor of the kit's actions
        for document in ("1800000001", "1800000002"):
            sap.add_invoice(customer, document, Decimal("1250.00"), "EUR", AS_OF, year="2026")
        options = SapRfcWriteBackOptions.model_validate(
            {"client": "simulator", "simulator": {"state": "sap.json"}}
        )
        mapping = load_mapping("preset:sap-writeback-rfc")
        return SapRfcWriteBack(options, ConnectorContext("erp", tmp_path, {"writeback": mapping}))

    @pytest.fixture
    def applied(self) -> Any:
        by_reference = {reference(a.action_id): a.action_id for a in sample_actions()}

        def action_ids(writeback: SapRfcWriteBack) -> list[str]:
            sap = writeback.session.client
            assert isinstance(sap, SimulatedSap)
            return [
                change.get("action_id") or by_reference[change["reference"]]
                for change in sap.state.changes
            ]

        return action_ids
