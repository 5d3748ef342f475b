"""SAP over RFC: open items of FI-AR in, statuses and payments back through configurable
function modules; with pyrfc (optional extra `claimbridge[sap]`) or the simulated system."""

from connectors.sap_rfc.client import RfcClient, RfcClientFactory, open_client
from connectors.sap_rfc.options import (
    RfcClientOptions,
    RfcConnectionOptions,
    SapRfcSourceOptions,
    SapRfcWriteBackOptions,
    SimulatorOptions,
)
from connectors.sap_rfc.pyrfc_client import PyRfcClient
from connectors.sap_rfc.sdk import PYRFC_MISSING, pyrfc_missing
from connectors.sap_rfc.session import RfcSession
from connectors.sap_rfc.source import SapRfcSnapshot, SapRfcSource
from connectors.sap_rfc.writeback import SapRfcWriteBack

__all__ = [
    "PYRFC_MISSING",
    "PyRfcClient",
    "RfcClient",
    "RfcClientFactory",
    "RfcClientOptions",
    "RfcConnectionOptions",
    "RfcSession",
    "SapRfcSnapshot",
    "SapRfcSource",
    "SapRfcSourceOptions",
    "SapRfcWriteBack",
    "SapRfcWriteBackOptions",
    "SimulatorOptions",
    "open_client",
    "pyrfc_missing",
]
