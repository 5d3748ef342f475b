"""The RFC client protocol, and how a configured client is opened.

The SAP connector talks to SAP through `RfcClient`: pyrfc's `Connection.call` reduced to what
the connector needs. Clients register under the entry-point group `claimbridge.rfc_clients`,
by the name `client:` gives in the configuration: `pyrfc` (`PyRfcClient`, SAP's pyrfc, an
optional extra that needs SAP's proprietary NW RFC SDK) and `simulator` (`simulators.sap`, an
in-process system that answers as SAP answers through pyrfc, for tests, the demo and the
benchmark; production code never imports it). Both raise pyrfc's exception classes (the
simulator its own look-alikes, by the same names), so the connector classifies failures once,
in `connectors.sap_rfc.failures`.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from connectors.base import ConfigurationError
from connectors.sap_rfc.options import RfcClientOptions

__all__ = [
    "RFC_CLIENTS_GROUP",
    "RfcClient",
    "RfcClientFactory",
    "open_client",
    "rfc_client_missing",
]

RFC_CLIENTS_GROUP = "claimbridge.rfc_clients"


class RfcClient(Protocol):
    """A connection to one SAP system, opened on first use and reused until closed."""

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        """Call a remote-enabled function module; returns its EXPORT, CHANGING and TABLES
        parameters as pyrfc does (structures as dicts, tables as lists of dicts, dates as
        'YYYYMMDD' strings, packed numbers as Decimal, character fields right-stripped)."""

    def close(self) -> None:
        """Close the connection (a later call opens a new one)."""


class RfcClientFactory(Protocol):
    """What registers under `claimbridge.rfc_clients`: a class that opens from the options."""

    def from_options(self, options: RfcClientOptions, base_dir: Path) -> RfcClient:
        """The client the options describe; nothing is contacted until the first call."""


def _factory(name: str) -> RfcClientFactory:
    points = entry_points(group=RFC_CLIENTS_GROUP, name=name)
    if not points:
        raise ConfigurationError(
            f"no RFC client {name!r} is registered (entry-point group {RFC_CLIENTS_GROUP}); "
            "install the claimbridge package (pip install .) to register it"
        )
    factory: RfcClientFactory = next(iter(points)).load()
    return factory


def rfc_client_missing(name: str) -> str:
    """Why the RFC client `name` cannot be opened here ('' if it can)."""
    try:
        _factory(name)
    except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not raised
        return str(exc) if isinstance(exc, ConfigurationError) else f"{type(exc).__name__}: {exc}"
    return ""


def open_client(options: RfcClientOptions, base_dir: Path) -> RfcClient:
    """The client the options choose; nothing is contacted until the first call.

    Raises:
        ConfigurationError: no client of that name is registered.
    """
    return _factory(options.client).from_options(options, base_dir)
