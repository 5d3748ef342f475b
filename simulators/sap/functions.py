"""Which Python function answers which function module in the simulated system."""

from __future__ import annotations

from collections.abc import Mapping

from simulators.sap import basis, fi_ar, posting, zfunctions
from simulators.sap.session import Handler

__all__ = ["HANDLERS"]

HANDLERS: Mapping[str, Handler] = {
    "RFC_PING": basis.ping,
    "RFC_SYSTEM_INFO": basis.system_info,
    "RFC_GET_FUNCTION_INTERFACE": basis.function_interface,
    "BAPI_COMPANYCODE_GETDETAIL": fi_ar.company_code_detail,
    "BAPI_AR_ACC_GETOPENITEMS": fi_ar.get_open_items,
    "BAPI_AR_ACC_GETBALANCEDITEMS": fi_ar.get_balanced_items,
    "BAPI_CUSTOMER_GETDETAIL2": fi_ar.customer_detail,
    "Z_CLAIMBRIDGE_OPEN_CUSTOMERS": fi_ar.open_customers,
    "BAPI_ACC_DOCUMENT_POST": posting.document_post,
    "BAPI_TRANSACTION_COMMIT": posting.commit,
    "BAPI_TRANSACTION_ROLLBACK": posting.rollback,
    "Z_CLAIMBRIDGE_DUNNING_BLOCK": zfunctions.dunning_block,
    "Z_CLAIMBRIDGE_ITEM_NOTE": zfunctions.item_note,
}
