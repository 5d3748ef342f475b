"""The RFC client backed by SAP's pyrfc (optional extra `claimbridge[sap]`, which needs SAP's
proprietary NW RFC SDK). pyrfc is imported here only, when a connection is first opened."""

from __future__ import annotations

from typing import Any

from connectors.base import ConfigurationError
from connectors.sap_rfc.options import PYRFC_MISSING, RfcConnectionOptions

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

    def _open(self) -> Any:
        try:
            import pyrfc
        except ImportError as exc:
            raise ConfigurationError(
                f"the pyrfc client is unavailable: {PYRFC_MISSING} ({exc})"
            ) from None
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
