"""Calling SAP through a client: failures classified, messages read."""

from __future__ import annotations

from typing import Any

from connectors.sap_rfc.client import RfcClient
from connectors.sap_rfc.failures import rfc_failure

__all__ = ["RfcSession"]


class RfcSession:
    """Calls function modules through one client (one connection, reused) and turns RFC
    failures into connector errors that name the function."""

    def __init__(self, client: RfcClient) -> None:
        self.client = client

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        """The function's result (EXPORT, CHANGING and TABLES parameters).

        Raises:
            ConnectionFailed: SAP unreachable, logon refused, or the call timed out (retriable).
            ConfigurationError: the function or a parameter does not exist, or a value does
                not fit its ABAP type.
            RemoteRejected: the function raised an ABAP exception or dumped.
        """
        try:
            return self.client.call(function, **params)
        except Exception as exc:  # classified below; anything else is raised as it is
            failure = rfc_failure(function, exc)
            if failure is None:
                raise
            raise failure from None

    def close(self) -> None:
        self.client.close()
