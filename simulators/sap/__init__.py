"""A simulated SAP system that answers RFC calls exactly as SAP does through pyrfc."""

from simulators.sap.ledger import COMPANY_CODES, Customer
from simulators.sap.state import DEFAULT_PASSWORD, DEFAULT_USER, SimState, item_key
from simulators.sap.system import SimulatedSap

__all__ = [
    "COMPANY_CODES",
    "DEFAULT_PASSWORD",
    "DEFAULT_USER",
    "Customer",
    "SimState",
    "SimulatedSap",
    "item_key",
]
