"""The ERPs `claimbridge demo --erp NAME` can run the loop with.

A demo ERP prepares the folder `init` made (its configuration's `sources`, its first data) and,
once the agency has answered, moves time on: the debtors pay some items directly. The CSV ERP
is the default; the SAP simulator and Tryton register themselves here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gateway.sample.data import day_two_export
from simulators.demo.sap_erp import sap_next_day, sap_prepare
from simulators.tryton.erp import (
    tryton_missing,
    tryton_next_day,
    tryton_prepare,
    tryton_running,
)

__all__ = ["DEMO_ERPS", "DemoErp"]


@dataclass(frozen=True, slots=True)
class DemoErp:
    name: str
    describe: str
    # Adapt the initialised folder to this ERP (configuration, first data); run once.
    prepare: Callable[[Path, date], None]
    # The ERP's next state after the agency answered; returns whether anything was written.
    next_day: Callable[[Path, date], bool]
    # What the ERP did on its next day, in words.
    next_day_says: str = "one item was paid directly and another one in part"
    # Why this ERP cannot run here (a missing package), or None.
    missing: Callable[[], str | None] = lambda: None
    # Keeps the ERP up while the cycles run (a server), if it needs to be.
    running: Callable[[Path, date], AbstractContextManager[None]] = lambda f, d: nullcontext()
    # Where to see what the ERP received.
    look_at: str = "{folder}/erp/writeback (what the ERP imports)"
    # The records of this ERP's data the extraction quarantines on purpose, in words ("" if
    # none): the demo shows that bad input is set aside with its reason and the rest goes on.
    quarantined_on_purpose: str = ""


def _csv_next_day(folder: Path, today: date) -> bool:
    exports = folder / "erp" / "exports"
    name = f"open_items_{today:%Y%m%d}_2.csv"
    if (exports / name).exists() or (exports / "archive" / name).exists():
        return False
    (exports / name).write_bytes(day_two_export(today))
    return True


DEMO_ERPS: dict[str, DemoErp] = {
    "csv": DemoErp(
        "csv",
        "an ERP that drops open-items exports (CSV) in a folder",
        prepare=lambda folder, today: None,
        next_day=_csv_next_day,
        quarantined_on_purpose=(
            "each export has 4 bad lines (an amount '1.234,5O', 31 February, the currency "
            "'EURO', an item listed twice with two amounts)"
        ),
    ),
    "sap": DemoErp(
        "sap",
        "a simulated SAP system reached over RFC (FI-AR open items, Z-functions, postings)",
        prepare=sap_prepare,
        next_day=sap_next_day,
        look_at="{folder}/erp/sap-simulator.json (the SAP system's blocks, notes and postings)",
        quarantined_on_purpose=(
            "3 customers (one per company code) are in the authorization group VIP, which "
            "claimbridge's RFC user may not display (SAP answers F2/543)"
        ),
    ),
    "tryton": DemoErp(
        "tryton",
        "a real Tryton 8.2 server (seeded customers, invoices, dunnings) read over JSON-RPC",
        prepare=tryton_prepare,
        next_day=tryton_next_day,
        next_day_says="a debtor paid a handed-over invoice directly to the company",
        missing=tryton_missing,
        running=tryton_running,
        look_at="{folder}/tryton (the Tryton database: blocked dunnings, notes, payments)",
    ),
}
