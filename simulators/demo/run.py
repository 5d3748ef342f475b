"""`claimbridge demo`: the whole loop in a folder, with a simulated ERP and a simulated agency.

1. `init`: the example configuration and today's ERP export (sample data);
2. a first cycle: the export is read, the policy selects, the cases go to the agency, the ERP
   gets its write-back file (dunning blocks, notes);
3. the simulated agency answers with a status file;
4. the simulated ERP writes its next export: one handed-over item was paid directly, another
   partly;
5. a second cycle: the direct payments are detected and notified to the agency, the agency's
   events are applied, and the ERP gets the write-back file of what happened.

Run again in the same folder, it finds nothing new and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from gateway.config import load_config
from gateway.pipeline import RunContext, RunSummary, run_cycle
from gateway.sample.init import CONFIG_NAME, init_folder
from gateway.storage.database import create_store
from gateway.storage.migrations import upgrade
from simulators.demo.erps import DEMO_ERPS
from simulators.file_agency import FileAgencySimulator

__all__ = ["DemoResult", "DemoUnavailable", "run_demo"]


class DemoUnavailable(Exception):
    """The chosen ERP cannot run here; the message says why and what to install."""


@dataclass(slots=True)
class DemoResult:
    folder: Path
    initialised: bool
    first: RunSummary
    second: RunSummary
    status_files: list[Path]
    day_two_written: bool
    look_at: str = ""


def run_demo(
    folder: Path,
    today: date,
    say: Callable[[str], None] = print,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    erp: str = "csv",
) -> DemoResult:
    folder = folder.resolve()
    simulated_erp = DEMO_ERPS[erp]
    missing = simulated_erp.missing()
    if missing:
        raise DemoUnavailable(f"the {erp} demo cannot run here: {missing}")
    initialised = not (folder / CONFIG_NAME).exists()
    if initialised:
        init_folder(folder, today)
        simulated_erp.prepare(folder, today)
        say(f"1. Initialised {folder} with an example configuration and {simulated_erp.describe}.")
    else:
        say(f"1. {folder} is already initialised: running the loop again.")
    with simulated_erp.running(folder, today):
        config = load_config(folder / CONFIG_NAME)
        store = create_store(config.database_url)
        try:
            upgrade(store.engine)
            context = RunContext(config, store, today, clock)
            say("2. First cycle: extract, select, hand over, write back.")
            first = run_cycle(context)
            agency = config.agencies["acme"].options
            simulator = FileAgencySimulator(
                incoming=folder / agency.outbox,  # type: ignore[attr-defined]
                outgoing=folder / agency.inbox.folder,  # type: ignore[attr-defined]
            )
            status_files = simulator.answer(clock())
            say(
                f"3. The simulated agency answered with {len(status_files)} status file(s)."
                if status_files
                else "3. The simulated agency had nothing new to answer."
            )
            written = simulated_erp.next_day(folder, today)
            if written:
                say(f"4. In the {erp} ERP, {simulated_erp.next_day_says}.")
            else:
                say(f"4. The {erp} ERP had already moved on.")
            say("5. Second cycle: direct payments, agency updates, write-back, notices.")
            second = run_cycle(context)
        finally:
            store.dispose()
    look_at = simulated_erp.look_at.format(folder=folder)
    return DemoResult(folder, initialised, first, second, status_files, written, look_at)
