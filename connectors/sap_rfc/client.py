"""The RFC client protocol, and how a configured client is opened.

The SAP connector talks to SAP through `RfcClient`: pyrfc's `Connection.call` reduced to what
the connector needs. Two implementations: `PyRfcClient` (SAP's pyrfc, an optional extra that
needs SAP's proprietary NW RFC SDK) and `SimulatedSap` (an in-process system that answers as
SAP answers through pyrfc, for tests, the demo and the benchmark). Both raise pyrfc's exception
classes (the simulator its own look-alikes, by the same names), so the connector classifies
failures once, in `connectors.sap_rfc.failures`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from connectors.sap_rfc.options import RfcClientOptions

__all__ = ["RfcClient", "open_client"]


class RfcClient(Protocol):
    """A connection to one SAP system, opened on first use and reused until closed."""

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        """Call a remote-enabled function module; returns its EXPORT, CHANGING and TABLES
        parameters as pyrfc does (structures as dicts, tables as lists of dicts, dates as
        'YYYYMMDD' strings, packed numbers as Decimal, character fields right-stripped)."""

    def close(self) -> None:
        """Close the connection (a later call opens a new one)."""


def open_client(options: RfcClientOptions, base_dir: Path) -> RfcClient:
    """The client the options choose; nothing is contacted until the first call."""
    if options.client == "simulator":
        from connectors.sap_rfc.simulator import SimulatedSap

        return SimulatedSap.from_options(options, base_dir)
    from connectors.sap_rfc.pyrfc_client import PyRfcClient

    if options.connection is None:  # the options model refuses this; keeps mypy honest
        raise ValueError("the pyrfc client needs connection parameters")
    return PyRfcClient(options.connection, options.timeout_seconds)
