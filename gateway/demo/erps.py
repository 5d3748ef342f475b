"""The ERPs `claimbridge demo --erp NAME` can run the loop with.

A demo ERP prepares the folder `init` made (its configuration's `sources`, its first data) and,
once the agency has answered, moves time on: the debtors pay some items directly. The CSV ERP
is the default; the SAP simulator and Tryton register themselves here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gateway.demo.sap_erp import sap_next_day, sap_prepare
from gateway.sample.data import day_two_export

__all__ = ["DEMO_ERPS", "DemoErp"]


@dataclass(frozen=True, slots=True)
class DemoErp:
    name: str
    describe: str
    # Adapt the initialised folder to this ERP (configuration, first data); run once.
    prepare: Callable[[Path, date], None]
    # The ERP's next state after the agency answered; returns whether anything was written.
    next_day: Callable[[Path, date], bool]
    # Where the demo's user sees what reached the ERP (relative to the folder).
    writeback_hint: str = "erp/writeback (what the ERP imports)"


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
    ),
    "sap": DemoErp(
        "sap",
        "a simulated SAP system reached over RFC (FI-AR open items, Z-functions, postings)",
        prepare=sap_prepare,
        next_day=sap_next_day,
        writeback_hint="erp/sap-simulator.json (the SAP system's blocks, notes and postings)",
    ),
}
