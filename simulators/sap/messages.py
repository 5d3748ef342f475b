"""The messages the simulated system returns, by message class and number.

The texts of F2/543 and RW/605 and RW/609 follow SAP's (stechno.net's message and BAPI
documentation); the other FI numbers are illustrative, not confirmed: claimbridge never reads
message numbers except those an integrator lists (`retriable_messages`), only the message
TYPE. ZCLAIMBRIDGE is the message class of claimbridge's own function modules (docs/sap.md).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MESSAGES", "bapiret1", "bapiret2", "bapireturn", "text_of"]

MESSAGES: dict[tuple[str, str], str] = {
    ("F5", "165"): "Company code &1 does not exist",
    ("F5", "155"): "No authorization for company code &1",
    ("F2", "155"): "Customer &1 has not been created in company code &2",
    ("F2", "543"): "No authorization to display general data for customer accounts",
    ("F5", "351"): "Account &1 is blocked for posting in company code &2",
    ("F5", "702"): "Balance in transaction currency &1 is not zero: &2",
    ("F5", "268"): "G/L account &1 is not defined in company code &2",
    ("F5", "808"): "Field &1 is required in &2",
    ("F5", "101"): "Amount &1 has more decimals than currency &2 allows",
    ("RW", "605"): "Document posted successfully: &1 &2 &3",
    ("RW", "609"): "Error in document: &1 &2 &3",
    ("ZCLAIMBRIDGE", "000"): "Item &1: dunning block set to '&2'",
    ("ZCLAIMBRIDGE", "001"): "Document &1 &2 &3 is locked by user &4",
    ("ZCLAIMBRIDGE", "002"): "Item &1 does not exist",
    ("ZCLAIMBRIDGE", "003"): "Item &1 is cleared; its dunning block is not changed",
    ("ZCLAIMBRIDGE", "004"): "Dunning block &1 is not defined",
    ("ZCLAIMBRIDGE", "005"): "Action &1 was applied before",
    ("ZCLAIMBRIDGE", "006"): "No authorization to change documents in company code &1",
    ("ZCLAIMBRIDGE", "007"): "Item &1: &2 recorded",
    ("ZCLAIMBRIDGE", "008"): "Kind &1 is neither NOTE nor STATUS",
}


def text_of(ident: str, number: str, *variables: str) -> str:
    """The message text with its variables &1..&4 filled in."""
    text = MESSAGES[(ident, number)]
    for i, value in enumerate(variables, 1):
        text = text.replace(f"&{i}", value)
    return text


def bapireturn(kind: str, ident: str, number: str, *variables: str) -> dict[str, Any]:
    """A BAPIRETURN row (the old RETURN: CODE is the message class and number together)."""
    padded = [*variables, "", "", "", ""][:4]
    return {
        "TYPE": kind,
        "CODE": f"{ident}{number}"[:5],
        "MESSAGE": text_of(ident, number, *variables),
        "LOG_NO": "",
        "LOG_MSG_NO": "000000",
        "MESSAGE_V1": padded[0],
        "MESSAGE_V2": padded[1],
        "MESSAGE_V3": padded[2],
        "MESSAGE_V4": padded[3],
    }


def bapiret1(kind: str, ident: str, number: str, *variables: str) -> dict[str, Any]:
    """A BAPIRET1 row."""
    padded = [*variables, "", "", "", ""][:4]
    return {
        "TYPE": kind,
        "ID": ident,
        "NUMBER": number,
        "MESSAGE": text_of(ident, number, *variables),
        "LOG_NO": "",
        "LOG_MSG_NO": "000000",
        "MESSAGE_V1": padded[0],
        "MESSAGE_V2": padded[1],
        "MESSAGE_V3": padded[2],
        "MESSAGE_V4": padded[3],
    }


def bapiret2(
    kind: str,
    ident: str,
    number: str,
    *variables: str,
    parameter: str = "",
    row: int = 0,
    field: str = "",
    system: str = "",
) -> dict[str, Any]:
    """A BAPIRET2 row."""
    return {
        **bapiret1(kind, ident, number, *variables),
        "PARAMETER": parameter,
        "ROW": row,
        "FIELD": field,
        "SYSTEM": system,
    }
