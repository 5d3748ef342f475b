"""The messages a BAPI returns in its RETURN parameter, whichever structure it uses.

BAPIRETURN (the old one, e.g. BAPI_AR_ACC_GETOPENITEMS): TYPE, CODE (message class and number
run together), MESSAGE, LOG_NO, LOG_MSG_NO, MESSAGE_V1..V4. BAPIRET1 and BAPIRET2 (newer BAPIs,
BAPI_ACC_DOCUMENT_POST, BAPI_TRANSACTION_COMMIT): TYPE, ID, NUMBER, MESSAGE, ..., MESSAGE_V1..V4
(BAPIRET2 adds PARAMETER, ROW, FIELD, SYSTEM). RETURN is a structure or a table of them.
TYPE is S (success), I (information), W (warning), E (error) or A (abort); E and A mean the
call failed. A blank TYPE (an all-initial structure) means no message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ReturnMessage", "failures", "messages"]

FAILED = frozenset({"E", "A"})


@dataclass(frozen=True, slots=True)
class ReturnMessage:
    """One message of a RETURN parameter."""

    type: str
    ident: str  # message class (ID), or BAPIRETURN's CODE
    number: str
    text: str
    variables: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return self.type in FAILED

    @property
    def key(self) -> str:
        """ID/NUMBER, e.g. RW/609 (for BAPIRETURN: the CODE)."""
        return f"{self.ident}/{self.number}" if self.number else self.ident

    def mentions(self, *values: str) -> bool:
        """Whether one of the message variables is one of `values`."""
        return any(v and v in self.variables for v in values)

    def describe(self) -> str:
        """'E RW/609 Error in document: BKPFF $ SIM100 [V1=BKPFF, V2=$, V3=SIM100]'."""
        variables = ", ".join(f"V{i}={v}" for i, v in enumerate(self.variables, 1) if v)
        head = f"{self.type} {self.key}".strip()
        return f"{head} {self.text}".strip() + (f" [{variables}]" if variables else "")


def _message(row: Mapping[str, Any]) -> ReturnMessage | None:
    kind = str(row.get("TYPE") or "").strip()
    text = str(row.get("MESSAGE") or "").strip()
    if not kind and not text:
        return None
    if "ID" in row:
        ident, number = str(row.get("ID") or "").strip(), str(row.get("NUMBER") or "").strip()
    else:
        ident, number = str(row.get("CODE") or "").strip(), ""
    variables = tuple(str(row.get(f"MESSAGE_V{i}") or "").strip() for i in range(1, 5))
    return ReturnMessage(kind, ident, number, text, variables)


def messages(value: Any) -> list[ReturnMessage]:
    """The messages of a RETURN parameter (a structure or a table of them)."""
    rows = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
    return [m for row in rows if (m := _message(row)) is not None]


def failures(value: Any) -> list[ReturnMessage]:
    """The messages of type E or A."""
    return [m for m in messages(value) if m.failed]
