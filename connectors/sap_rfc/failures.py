"""How a failed RFC call is classified into the connector errors (connectors/base.py).

pyrfc raises, by RFC error group: LogonError, CommunicationError (also for a call cancelled by
the timeout: key RFC_CANCELED), ABAPApplicationError (an exception the function module raised,
e.g. FU_NOT_FOUND), ABAPRuntimeError (a short dump, a missing RFC authorization),
ExternalRuntimeError (e.g. RFC_INVALID_PARAMETER: a parameter the function does not have), and
TypeError for a Python value that does not fit the ABAP type. The simulator raises look-alikes
with the same names and attributes, so both clients are classified here, by class name:

    LogonError, CommunicationError, RFC_CANCELED   → ConnectionFailed (retriable)
    FU_NOT_FOUND, RFC_INVALID_PARAMETER, TypeError → ConfigurationError (the mapping or the
                                                     options name something SAP does not have)
    other ABAP application and runtime errors      → RemoteRejected (final)

Messages name the function and SAP's message; they never contain the password (pyrfc's do
not either).
"""

from __future__ import annotations

from connectors.base import ConfigurationError, ConnectionFailed, ConnectorError, RemoteRejected

__all__ = ["rfc_failure"]

_RETRIABLE_CLASSES = frozenset({"LogonError", "CommunicationError"})
_RETRIABLE_KEYS = frozenset({"RFC_CANCELED", "RFC_TIMEOUT", "RFC_CLOSED"})
_RFC_CLASSES = frozenset(
    {
        "ABAPApplicationError",
        "ABAPRuntimeError",
        "LogonError",
        "CommunicationError",
        "ExternalRuntimeError",
        "ExternalApplicationError",
        "ExternalAuthorizationError",
        "RFCError",
        "RFCLibError",
        "RFCTypeError",
    }
)


def _describe(exc: BaseException) -> str:
    message = str(getattr(exc, "message", "") or exc)
    key = str(getattr(exc, "key", "") or "")
    msg_class = str(getattr(exc, "msg_class", "") or "")
    msg_number = str(getattr(exc, "msg_number", "") or "")
    parts = [f"{type(exc).__name__}"]
    if key:
        parts.append(f"[{key}]")
    if msg_class or msg_number:
        parts.append(f"{msg_class}/{msg_number}")
    return " ".join(parts) + (f": {message}" if message else "")


def rfc_failure(function: str, exc: BaseException) -> ConnectorError | None:
    """The connector error for an exception raised by an RFC client while calling `function`;
    None if the exception is not an RFC failure (a bug, to be raised as it is)."""
    name = type(exc).__name__
    if isinstance(exc, TypeError):
        return ConfigurationError(
            f"{function}: a parameter value does not fit its ABAP type: {exc} "
            "(check the mapping's steps: NUMC fields take digit strings, dates 'YYYYMMDD')"
        )
    if name not in _RFC_CLASSES:
        return None
    key = str(getattr(exc, "key", "") or "")
    detail = _describe(exc)
    if name in _RETRIABLE_CLASSES or key in _RETRIABLE_KEYS:
        return ConnectionFailed(
            f"{function}: SAP could not be reached or refused the logon: {detail}"
        )
    if key == "FU_NOT_FOUND":
        return ConfigurationError(
            f"{function}: the function module does not exist in SAP (or is not remote-enabled): "
            f"{detail}"
        )
    if key == "RFC_INVALID_PARAMETER":
        return ConfigurationError(
            f"{function}: SAP refused a parameter the configuration or mapping gives: {detail}"
        )
    return RemoteRejected(f"{function}: {detail}")
