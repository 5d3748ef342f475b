"""Tryton as the demo's ERP: a real Tryton server in the demo folder (tryton/), seeded with a
company, its customers, posted invoices and their dunnings (simulators/tryton/facts.py),
read and written by the rest connector as an integrator configures it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from simulators.tryton.config import tryton_config, tryton_source_section
from simulators.tryton.server import TrytonHome, free_port, tryton_missing

__all__ = ["DATABASE", "tryton_missing", "tryton_next_day", "tryton_prepare", "tryton_running"]

DATABASE = "claimbridge_demo"
FOLDER = "tryton"
FACTS = "seeded.json"
CONFIG_NAME = "claimbridge.yaml"
DIRECT_PAYER = "gamma-1"  # pays Tryton directly on the demo's second day (its agency: a message)


def _home(folder: Path) -> TrytonHome:
    facts = json.loads((folder / FOLDER / FACTS).read_text(encoding="utf-8"))
    return TrytonHome(folder / FOLDER, int(facts["port"]))


def tryton_prepare(folder: Path, today: date) -> None:
    """Create and seed the demo database, and point the configuration at it."""
    home = TrytonHome(folder / FOLDER, free_port())
    facts = home.create(DATABASE, today)
    facts["port"] = home.port
    (folder / FOLDER / FACTS).write_text(json.dumps(facts, indent=2), encoding="utf-8")
    config = folder / CONFIG_NAME
    section = tryton_source_section(home.url(DATABASE), f"{FOLDER}/admin-password")
    config.write_text(tryton_config(config.read_text(encoding="utf-8"), section), "utf-8")
    for export in (folder / "erp" / "exports").glob("*.csv"):
        export.unlink()  # the CSV ERP's sample export: Tryton has its own data


@contextmanager
def tryton_running(folder: Path, today: date) -> Iterator[None]:
    """The demo's Tryton server, on its port (another one if that is taken now), its books
    open for every day the run may date a move on."""
    home = _home(folder)
    _open_books(folder, home, today)
    if not _port_free(home.port):
        old = home.url(DATABASE)
        home.port = free_port()
        facts_path = folder / FOLDER / FACTS
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
        facts["port"] = home.port
        facts_path.write_text(json.dumps(facts, indent=2), encoding="utf-8")
        config = folder / CONFIG_NAME
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace(old, home.url(DATABASE)), encoding="utf-8")
    with home.serve([DATABASE]):
        yield


def tryton_next_day(folder: Path, today: date) -> bool:
    """A debtor whose case is at the agency pays Tryton directly (once)."""
    marker = folder / FOLDER / "direct-payment-made"
    if marker.exists():
        return False
    facts = json.loads((folder / FOLDER / FACTS).read_text(encoding="utf-8"))
    _home(folder).pay(DATABASE, int(facts["invoices"][DIRECT_PAYER]["id"]), today)
    marker.write_text(today.isoformat(), encoding="utf-8")
    return True


def _open_books(folder: Path, home: TrytonHome, today: date) -> None:
    """The business date may lie in the past (the demo's is the last day the shipped rates
    cover), but the agency's payments are dated when it reports them (now, in UTC) and are
    written back with that date: Tryton books a move only in a period of a fiscal year. Opens
    the years needed through tomorrow (a run that crosses midnight), once."""
    facts_path = folder / FOLDER / FACTS
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    until = date.fromisoformat(facts.get("books_until", facts["as_of"]))
    through = max(today, datetime.now(UTC).date()) + timedelta(days=1)
    if until >= through:
        return
    facts["books_until"] = home.open_books(DATABASE, through).isoformat()
    facts_path.write_text(json.dumps(facts, indent=2), encoding="utf-8")


def _port_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
