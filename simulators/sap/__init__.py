"""A simulated SAP system that answers RFC calls exactly as SAP does through pyrfc."""

from connectors.sap_rfc.simulator.ledger import COMPANY_CODES, Customer
from connectors.sap_rfc.simulator.state import DEFAULT_PASSWORD, DEFAULT_USER, SimState, item_key
from connectors.sap_rfc.simulator.system import SimulatedSap

__all__ = [
    "COMPANY_CODES",
    "DEFAULT_PASSWORD",
    "DEFAULT_USER",
    "Customer",
    "SimState",
    "SimulatedSap",
    "item_key",
]
