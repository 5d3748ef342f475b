"""pyrfc's exception classes, as the simulator raises them: the same names, attributes and
text, so that the connector classifies a simulated failure exactly as a real one.

Source: pyrfc's `src/pyrfc/_exception.py` (SAP/PyRFC 3.3, Apache-2.0): RFCError ← RFCLibError
(message, code, key, msg_class, msg_type, msg_number, msg_v1..v4) ← ABAPApplicationError,
ABAPRuntimeError, LogonError (code 2, key RFC_LOGON_FAILURE), CommunicationError,
ExternalRuntimeError. Codes are the NW RFC SDK's RFC_RC values.
"""

from __future__ import annotations

__all__ = [
    "ABAPApplicationError",
    "ABAPRuntimeError",
    "CommunicationError",
    "ExternalRuntimeError",
    "LogonError",
    "RFCError",
    "RFCLibError",
]

# RFC_RC codes of the NW RFC SDK (sapnwrfc.h), as pyrfc's RcCodeText numbers them.
RFC_COMMUNICATION_FAILURE = 1
RFC_LOGON_FAILURE = 2
RFC_ABAP_RUNTIME_FAILURE = 3
RFC_ABAP_EXCEPTION = 5
RFC_CANCELED = 7
RFC_INVALID_PARAMETER = 20


class RFCError(Exception):
    """Exception base class of pyrfc."""


class RFCLibError(RFCError):
    """An error of the RFC library, with the ABAP message when there is one."""

    def __init__(
        self,
        message: str | None = None,
        code: int | None = None,
        key: str | None = None,
        msg_class: str | None = None,
        msg_type: str | None = None,
        msg_number: str | None = None,
        msg_v1: str | None = None,
        msg_v2: str | None = None,
        msg_v3: str | None = None,
        msg_v4: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.key = key
        self.msg_class = msg_class
        self.msg_type = msg_type
        self.msg_number = msg_number
        self.msg_v1 = msg_v1
        self.msg_v2 = msg_v2
        self.msg_v3 = msg_v3
        self.msg_v4 = msg_v4

    def __str__(self) -> str:
        return (
            f"(rc={self.code}): key={self.key}, message={self.message}"
            f" [MSG: class={self.msg_class}, type={self.msg_type}, number={self.msg_number},"
            f" v1-4:={self.msg_v1};{self.msg_v2};{self.msg_v3};{self.msg_v4}]"
        )


class ABAPApplicationError(RFCLibError):
    """The function module raised a classic ABAP exception (e.g. FU_NOT_FOUND)."""


class ABAPRuntimeError(RFCLibError):
    """A short dump or a system failure in SAP (e.g. a missing RFC authorization)."""


class LogonError(RFCLibError):
    """The logon was refused (user, password, client)."""

    def __init__(self, message: str | None = None, **kwargs: str | int | None) -> None:
        kwargs.setdefault("code", RFC_LOGON_FAILURE)
        kwargs.setdefault("key", "RFC_LOGON_FAILURE")
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class CommunicationError(RFCLibError):
    """The connection failed, broke, or was cancelled by the timeout."""


class ExternalRuntimeError(RFCLibError):
    """The RFC library refused the call on the client side (e.g. an unknown parameter)."""
