"""Basis functions of the simulated system: RFC_PING, RFC_SYSTEM_INFO and
RFC_GET_FUNCTION_INTERFACE (what `claimbridge check` uses to see that SAP answers and that the
configured functions and parameters exist)."""

from __future__ import annotations

from typing import Any

from simulators.sap.abap import Structure
from simulators.sap.ddic import FUNCTIONS, RFC_FUNINT, RFCSI
from simulators.sap.rfc_errors import RFC_ABAP_EXCEPTION, ABAPApplicationError
from simulators.sap.session import SapSession

__all__ = ["function_interface", "ping", "system_info"]

_EXID = {"C": "C", "N": "N", "D": "D", "P": "P", "I": "I", "STRING": "g"}


def ping(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    return {}


def system_info(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "RFCSI_EXPORT": RFCSI.complete(
            {
                "RFCPROTO": "011",
                "RFCCHARTYP": "4103",
                "RFCINTTYP": "LIT",
                "RFCFLOTYP": "IE3",
                "RFCDEST": f"simsap_{sim.system_id}_00",
                "RFCHOST": "simsap",
                "RFCSYSID": sim.system_id,
                "RFCDATABS": sim.system_id,
                "RFCDBHOST": "simsap",
                "RFCDBSYS": "HDB",
                "RFCSAPRL": "758",
                "RFCMACH": "  390",
                "RFCOPSYS": "Linux",
                "RFCTZONE": "     0",
                "RFCIPADDR": "127.0.0.1",
                "RFCKERNRL": "793",
                "RFCHOST2": "simsap",
                "RFCIPV6ADDR": "127.0.0.1",
            }
        ),
        "CURRENT_RESOURCES": 8,
        "MAXIMAL_RESOURCES": 10,
        "RECOMMENDED_DELAY": 0,
    }


def function_interface(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    name = p["FUNCNAME"]
    interface = FUNCTIONS.get(name)
    if interface is None:
        raise ABAPApplicationError(
            f"ID:FL Type:E Number:046 {name}",
            code=RFC_ABAP_EXCEPTION,
            key="FU_NOT_FOUND",
            msg_class="FL",
            msg_type="E",
            msg_number="046",
            msg_v1=name,
        )
    rows = []
    for position, parameter in enumerate(interface, 1):
        kind = parameter.type
        rows.append(
            RFC_FUNINT.complete(
                {
                    "PARAMCLASS": parameter.direction,
                    "PARAMETER": parameter.name,
                    "TABNAME": kind.name if isinstance(kind, Structure) else "",
                    "EXID": ("h" if parameter.direction == "T" else "u")
                    if isinstance(kind, Structure)
                    else _EXID[kind.kind],
                    "POSITION": position,
                    "INTLENGTH": 0 if isinstance(kind, Structure) else kind.length,
                    "DECIMALS": 0 if isinstance(kind, Structure) else kind.decimals,
                    "PARAMTEXT": parameter.text,
                    "OPTIONAL": "X" if parameter.optional else "",
                }
            )
        )
    return {"REMOTE_CALL": "R", "UPDATE_TASK": "", "PARAMS": rows}
