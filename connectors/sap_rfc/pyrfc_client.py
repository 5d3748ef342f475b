"""The RFC client backed by SAP's pyrfc (optional extra `claimbridge[sap]`, which needs SAP's
proprietary NW RFC SDK). pyrfc is imported (connectors.sap_rfc.sdk) when a connection is first
opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.sap_rfc.options import RfcClientOptions, RfcConnectionOptions
from connectors.sap_rfc.sdk import import_pyrfc

__all__ = ["PyRfcClient"]


class PyRfcClient:
    """One pyrfc connection, opened at the first call and reused until `close`.

    Dates come back as 'YYYYMMDD' strings (pyrfc's default, `dtime` off) and character fields
    right-stripped (`rstrip` on): the shape the mappings and the simulator share. Each call is
    cancelled after `timeout` seconds (pyrfc's `timeout` option), which pyrfc reports as an
    RFC_CANCELED error and answers by opening a new connection.
    """

    def __init__(self, connection: RfcConnectionOptions, timeout: float) -> None:
        self._parameters = connection
        self._timeout = timeout
        self._connection: Any = None

    @classmethod
    def from_options(cls, options: RfcClientOptions, base_dir: Path) -> PyRfcClient:
        """The client `client: pyrfc` options describe (`base_dir` is not needed)."""
        if options.connection is None:  # the options model refuses this; keeps mypy honest
            raise ValueError("the pyrfc client needs connection parameters")
        return cls(options.connection, options.timeout_seconds)

    def _open(self) -> Any:
        pyrfc = import_pyrfc()
        config = {"dtime": False, "rstrip": True, "timeout": self._timeout}
        return pyrfc.Connection(config=config, **self._parameters.pyrfc_parameters())

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        if self._connection is None:
            self._connection = self._open()
        result: dict[str, Any] = self._connection.call(function, **params)
        return result

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()
