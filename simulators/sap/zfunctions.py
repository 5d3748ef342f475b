"""claimbridge's own function modules, as docs/sap.md specifies them for the SAP side.

Z_CLAIMBRIDGE_DUNNING_BLOCK sets (or with a blank I_MANSP removes) the dunning block of one
open customer item; Z_CLAIMBRIDGE_ITEM_NOTE records a note or the collection status on an item
(open or cleared). Neither commits: the caller ends the unit of work with
BAPI_TRANSACTION_COMMIT. Both answer in RETURN (BAPIRET2, message class ZCLAIMBRIDGE):
000/007 success, 001 the document is locked by another user (worth retrying), 002 no such
item, 003 a warning (the item is cleared: nothing to block), 004 unknown dunning block,
005 the action was applied before (success: a repeated delivery changes nothing), 006 no
authorization for the company code, 008 unknown kind.
"""

from __future__ import annotations

from typing import Any

from simulators.sap.messages import bapiret2
from simulators.sap.session import Change, SapSession
from simulators.sap.state import SimState, item_key

__all__ = ["DUNNING_BLOCKS", "dunning_block", "item_note"]

# Dunning block keys of the simulated system (table T040S); blank means none.
DUNNING_BLOCKS = frozenset({"", "A", "B", "I", "R", "Z"})
_CLASS = "ZCLAIMBRIDGE"


def _item(sim: SapSession, p: dict[str, Any]) -> tuple[str, Any, dict[str, Any] | None]:
    """(item key, the item or None, an error RETURN row or None)."""
    cc, document, year, line = p["I_BUKRS"], p["I_BELNR"], p["I_GJAHR"], p["I_BUZEI"]
    key = item_key(cc, document, year, line)
    if sim.company_code_problem(cc) is not None:
        return key, None, bapiret2("E", _CLASS, "006", cc)
    found = sim.find_item(cc, document, year, line)
    if found is None:
        return key, None, bapiret2("E", _CLASS, "002", key, parameter="I_BELNR")
    holder = sim.state.locks.get(f"{cc}/{document}/{year}")
    if holder and holder != sim.user:
        return key, None, bapiret2("E", _CLASS, "001", cc, document, year, holder)
    return key, found[0], None


def dunning_block(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    key, row, problem = _item(sim, p)
    if problem is not None:
        return {"RETURN": [problem]}
    block, action = p["I_MANSP"], p["I_ACTION_ID"]
    if block not in DUNNING_BLOCKS:
        return {"RETURN": [bapiret2("E", _CLASS, "004", block, parameter="I_MANSP")]}
    if row["CLEAR_DATE"]:
        return {"RETURN": [bapiret2("W", _CLASS, "003", key)]}

    def apply(state: SimState) -> None:
        if block:
            state.blocks[key] = block
        else:
            state.blocks.pop(key, None)

    log = {"function": "Z_CLAIMBRIDGE_DUNNING_BLOCK", "item": key, "action_id": action}
    sim.defer(Change({**log, "value": block}, apply, (key,)))
    return {"RETURN": [bapiret2("S", _CLASS, "000", key, block)]}


def item_note(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    kind = p["I_KIND"]
    if kind not in ("NOTE", "STATUS"):
        return {"RETURN": [bapiret2("E", _CLASS, "008", kind, parameter="I_KIND")]}
    key, _, problem = _item(sim, p)
    if problem is not None:
        return {"RETURN": [problem]}
    action = p["I_ACTION_ID"]
    if action and any(n.get("action_id") == action for n in sim.state.notes.get(key, [])):
        return {"RETURN": [bapiret2("S", _CLASS, "005", action[:50])]}
    note = {
        "action_id": action,
        "kind": kind,
        "text": p["I_TEXT"],
        "case": p["I_CASE"],
        "agency": p["I_AGENCY"],
    }

    def apply(state: SimState) -> None:
        state.notes.setdefault(key, []).append(note)
        if kind == "STATUS":
            state.statuses[key] = note["text"]

    log = {"function": "Z_CLAIMBRIDGE_ITEM_NOTE", "item": key, "action_id": action}
    sim.defer(Change({**log, "value": kind}, apply))
    return {"RETURN": [bapiret2("S", _CLASS, "007", key, kind.lower())]}
