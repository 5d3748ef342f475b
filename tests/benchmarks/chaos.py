"""Chaos: `kill -9` at each stage of the loop, then the next runs; the end state must be the
reference end state, with no action or notice delivered twice and none lost.

The loop, on a workspace made by `claimbridge init` with a larger export (`--debtors`, two
items each, all handed over) and small delivery batches (`--batch-size`), so that each stage
has work to be killed in:

    day 1   extract · select · handover · writeback
    agency  the simulated file agency answers the handover files (payments, plans, disputes...)
    day 2   a new export (some items paid directly, some reduced) · extract · updates
            (the agency's status file) · writeback · notices (direct payments)
    then    one more full run

Every step runs with the date of the data (`--as-of`) and the real clock. The reference: the
loop run without kills (each step in a process of its own). A kill: the
loop runs up to a stage (restored from the reference's checkpoint there), the stage's step
runs as `claimbridge run --step STAGE` in a process of its own (forked from the harness, which
has imported claimbridge, so the step starts at once) and gets SIGKILL, either at a
random moment of its work ("random": after the process has opened the database, within the
step's measured duration) or the moment its first output appears ("output": a new file in
the partner's folder, i.e. after writing and before recording it; for inbound stages, the
file moved to the archive). The loop then goes on from that stage, in a new process.

End state compared with the reference (case references and batch numbers may differ where a
killed transaction consumed an id on PostgreSQL, so records are compared by debtor):
cases (state and amounts per debtor), the ERP's write-back lines and the agency's notice and
handover lines as multisets (duplicates: copies beyond the reference; lost: copies missing;
and any action or notice id in two files), nothing left pending, dead or leased in the outbox,
no transfer left `running`, no partial file left in the partners' folders.

    python -m tests.benchmarks.chaos --kills-per-stage 20 --database sqlite \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/test
    python -m tests.benchmarks.chaos --kills-per-stage 2 --debtors 20 --json

A kill that came after the step had already ended is not counted as a kill (the step is run
again with another moment); `runs` counts every process started.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

TODAY = date(2026, 11, 20)
STAGES = ("extract", "select", "handover", "updates", "writeback", "notices")
HEADER = (
    "company_code,document_number,fiscal_year,line_item,customer_number,customer_name,"
    "document_date,due_date,currency,open_amount,dunning_level\n"
)
# (what, stage or None): the loop, step by step
TIMELINE: tuple[tuple[str, str | None], ...] = (
    ("day1", "extract"),
    ("day1", "select"),
    ("day1", "handover"),
    ("day1", "writeback"),
    ("agency", None),
    ("export2", None),
    ("day2", "extract"),
    ("day2", "updates"),
    ("day2", "writeback"),
    ("day2", "notices"),
    ("settle", None),
)
# where each stage's output appears (the kill trigger "output")
OUTPUT = {
    "extract": ("erp/exports/archive", "*.csv"),
    "select": None,
    "handover": ("agency/to-agency", "handover_*"),
    "updates": ("agency/from-agency/archive", "*.csv"),
    "writeback": ("erp/writeback", "*.csv"),
    "notices": ("agency/to-agency", "notices_*"),
}
_CASE_REF = re.compile(r"CB-\d{7}")
_BATCH_REF = re.compile(r"CB-B\d{6,}")


# --- the workspace and its data ----------------------------------------------------------


def _line(doc: str, amount: str, debtor: str) -> str:
    return f"1000,{doc},2026,001,{debtor},Debtor {debtor},2026-07-01,2026-08-01,EUR,{amount},3\n"


def _items(debtors: int) -> list[tuple[str, int, str]]:
    """(document, amount in cents, debtor) of the day-one export."""
    rng = random.Random(13)
    return [
        (f"{1800000000 + 2 * d + i}", rng.randrange(10_000, 200_000), f"D{d:05d}")
        for d in range(debtors)
        for i in range(2)
    ]


def _export(items: list[tuple[str, int, str]]) -> bytes:
    lines = [
        _line(doc, f"{cents // 100}.{cents % 100:02d}", debtor) for doc, cents, debtor in items
    ]
    return (HEADER + "".join(lines)).encode("utf-8")


def _day_two(items: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Every 10th debtor paid directly (its items gone), every 15th paid 50.00 of one item."""
    out = []
    for doc, cents, debtor in items:
        number = int(debtor[1:])
        if number % 10 == 3:
            continue
        if number % 15 == 4 and doc.endswith(("0", "2", "4", "6", "8")):
            cents -= 5_000
        out.append((doc, cents, debtor))
    return out


def make_workspace(folder: Path, debtors: int, batch_size: int) -> None:
    from gateway.sample.init import init_folder
    from tests.conftest import set_settle

    config = init_folder(folder, TODAY)
    for export in (folder / "erp" / "exports").glob("*.csv"):
        export.unlink()
    (folder / "erp" / "exports" / "open_items_day1.csv").write_bytes(_export(_items(debtors)))
    set_settle(config, 0)
    text = config.read_text(encoding="utf-8")
    # Partial files of a killed upload are swept at the next upload (none is under way here).
    text = text.replace(
        "        folder: erp/writeback\n",
        "        folder: erp/writeback\n"
        "        transport: {kind: local, stale_partials_after: 0}\n",
    )
    text = text.replace(
        "      format: csv                   # or json\n",
        "      format: csv                   # or json\n"
        "      transport: {kind: local, stale_partials_after: 0}\n",
    )
    text += f"\ndelivery:\n  batch_size: {batch_size}\n"
    config.write_text(text, encoding="utf-8")


# --- databases ---------------------------------------------------------------------------


class Database:
    """Fresh databases of one kind, copied from checkpoints."""

    def __init__(self, spec: str, scratch: Path) -> None:
        self.spec = spec
        self.kind = "postgresql" if spec.startswith("postgresql") else "sqlite"
        self.scratch = scratch
        self.token = f"chaos_{os.getpid()}_{secrets.token_hex(3)}"
        self._made: list[str] = []

    def new(self) -> str:
        from gateway.storage.database import create_store
        from gateway.storage.migrations import upgrade

        url = self._fresh()
        store = create_store(url)
        upgrade(store.engine)
        store.dispose()
        return url

    def _fresh(self) -> str:
        name = f"{self.token}_{len(self._made)}"
        self._made.append(name)
        if self.kind == "sqlite":
            return f"sqlite:///{self.scratch / (name + '.db')}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self._url(name)

    def copy(self, url: str) -> str:
        """A new database holding what `url` holds (no process may be connected to it)."""
        name = f"{self.token}_{len(self._made)}"
        self._made.append(name)
        if self.kind == "sqlite":
            source = Path(url.removeprefix("sqlite:///"))
            target = self.scratch / (name + ".db")
            shutil.copyfile(source, target)
            return f"sqlite:///{target}"
        from sqlalchemy.engine import make_url

        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(f"{path}.owners", ignore_errors=True)
            return
        from sqlalchemy.engine import make_url

        self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.spec).set(database=name).render_as_string(hide_password=False)

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.spec, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def close(self) -> None:
        for name in self._made:
            if self.kind == "postgresql":
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- running the loop --------------------------------------------------------------------


@dataclass
class Place:
    """A workspace folder and its database."""

    folder: Path
    url: str

    @property
    def config(self) -> Path:
        return self.folder / "claimbridge.yaml"


def run_in_process(place: Place, step: str | None) -> None:
    """One step of the loop in this process (a new store: a new process's presence)."""
    from gateway.config import load_config
    from gateway.pipeline import STEPS, RunContext, Step, run_cycle
    from gateway.storage.database import create_store

    config = load_config(place.config, environ={"CLAIMBRIDGE_DATABASE_URL": place.url})
    store = create_store(place.url)
    try:
        steps = STEPS if step is None else (Step(step),)
        summary = run_cycle(RunContext(config, store, TODAY, lambda: datetime.now(UTC)), steps)
        if summary.errors:
            raise RuntimeError("; ".join(summary.errors))
    finally:
        store.dispose()


def act(place: Place, what: str, stage: str | None, debtors: int) -> None:
    """Run a step of the timeline that is not killed."""
    if what in ("day1", "day2"):
        run_in_process(place, stage)
    elif what == "agency":
        from simulators.file_agency import FileAgencySimulator

        agency = FileAgencySimulator(
            place.folder / "agency" / "to-agency", place.folder / "agency" / "from-agency"
        )
        agency.answer(datetime.now(UTC))
    elif what == "export2":
        export = place.folder / "erp" / "exports" / "open_items_day2.csv"
        export.write_bytes(_export(_day_two(_items(debtors))))
    else:  # settle: one more full run
        run_in_process(place, None)


class Child:
    """`claimbridge run --step STAGE` in a process of its own, forked from this one (which has
    imported claimbridge already, so that the child starts its step at once): a real process,
    with its own connections and locks, that SIGKILL ends like any other."""

    def __init__(self, place: Place, stage: str) -> None:
        from gateway.cli import main

        args = ["-c", str(place.config), "run", "--as-of", TODAY.isoformat(), "--step", stage]
        pid = os.fork()
        if pid == 0:  # the child: run the step, never return into the harness
            code = 1
            try:
                os.environ["CLAIMBRIDGE_DATABASE_URL"] = place.url
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.dup2(null, 2)
                try:
                    main(args, standalone_mode=False)
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
            finally:
                os._exit(code)
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> bool:
        """SIGKILL; True if that is what ended it."""
        if self.poll() is not None:
            return False
        os.kill(self.pid, signal.SIGKILL)
        return self.wait() == -signal.SIGKILL


def _outputs(place: Place, stage: str) -> set[str]:
    where = OUTPUT[stage]
    if where is None:
        return set()
    folder, pattern = where
    return {p.name for p in (place.folder / folder).glob(pattern) if p.is_file()}


def timed_step(place: Place, stage: str) -> float:
    """Run the stage in a process of its own, unkilled; its seconds."""
    start = time.perf_counter()
    child = Child(place, stage)
    if child.wait() != 0:
        raise RuntimeError(f"claimbridge run --step {stage} exited {child.returncode}")
    return time.perf_counter() - start


def killed_step(place: Place, stage: str, trigger: str, span: float, rng: random.Random) -> bool:
    """Run the stage in a process of its own and SIGKILL it; False if it ended first."""
    before = _outputs(place, stage)
    child = Child(place, stage)
    if trigger == "output" and OUTPUT[stage] is not None:
        while child.poll() is None and not (_outputs(place, stage) - before):
            time.sleep(0.0002)
    else:
        deadline = time.perf_counter() + rng.uniform(0, span)
        while child.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.0005)
    return child.kill()


# --- the end state -------------------------------------------------------------------------


@dataclass
class EndState:
    cases: dict[str, tuple[Any, ...]]
    actions: Counter[str]
    notices: Counter[str]
    handed_over: Counter[str]
    id_repeats: int  # ids found in more than one file
    leftovers: list[str]  # what should not be there (pending messages, running transfers...)


def _debtor_of(place: Place) -> dict[str, str]:
    from sqlalchemy import select

    from gateway.storage.database import create_store
    from gateway.storage.models import CaseRow

    store = create_store(place.url)
    try:
        with store.unit_of_work(read_only=True) as session:
            return {
                c.reference: f"<{c.debtor_number}/{c.currency}>"
                for c in session.scalars(select(CaseRow))
            }
    finally:
        store.dispose()


def _normal(row: dict[str, str], debtors: dict[str, str], drop: tuple[str, ...]) -> str:
    kept = {k: v for k, v in row.items() if k not in drop}
    text = json.dumps(kept, sort_keys=True)
    text = _CASE_REF.sub(lambda m: debtors.get(m.group(0), m.group(0)), text)
    return _BATCH_REF.sub("<batch>", text)


def _lines(
    folder: Path, pattern: str, id_column: str, debtors: dict[str, str], drop: tuple[str, ...]
) -> tuple[Counter[str], int]:
    lines: Counter[str] = Counter()
    ids: Counter[str] = Counter()
    for path in sorted(folder.rglob(pattern)):
        if path.name.endswith(".json") or path.name.startswith("."):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                lines[_normal(row, debtors, drop)] += 1
                if id_column:
                    ids[row[id_column]] += 1
    return lines, sum(n - 1 for n in ids.values() if n > 1)


def end_state(place: Place) -> EndState:
    from sqlalchemy import func, select

    from gateway.storage.database import create_store
    from gateway.storage.models import CaseRow, OutboxMessageRow, TransferRow

    debtors = _debtor_of(place)
    store = create_store(place.url)
    try:
        with store.unit_of_work(read_only=True) as session:
            cases = {
                debtors[c.reference]: (
                    c.state,
                    c.handed_over_minor,
                    c.collected_principal_minor,
                    c.paid_directly_minor,
                    c.written_off_minor,
                )
                for c in session.scalars(select(CaseRow))
            }
            leftovers = [
                f"outbox {status}: {n}"
                for status, n in session.execute(
                    select(OutboxMessageRow.status, func.count()).group_by(OutboxMessageRow.status)
                )
                if status != "delivered"
            ]
            leased = session.scalar(
                select(func.count())
                .select_from(OutboxMessageRow)
                .where(OutboxMessageRow.lease_owner.is_not(None))
            )
            if leased:
                leftovers.append(f"outbox leased: {leased}")
            running = session.scalar(
                select(func.count()).select_from(TransferRow).where(TransferRow.status == "running")
            )
            if running:
                leftovers.append(f"transfers running: {running}")
    finally:
        store.dispose()
    folder = place.folder
    actions, repeats_a = _lines(
        folder / "erp" / "writeback", "*.csv", "action_id", debtors, ("occurred_at", "action_id")
    )
    notices, repeats_n = _lines(
        folder / "agency" / "to-agency", "notices_*.csv", "notice_id", debtors,
        ("occurred_at", "notice_id"),
    )  # fmt: skip
    handed, _ = _lines(folder / "agency" / "to-agency", "handover_*.csv", "", debtors, ())
    parts = [
        str(p.relative_to(folder))
        for p in folder.rglob("*.part")
        if p.parent.name in ("writeback", "to-agency")
    ]
    leftovers += [f"partial file {p}" for p in parts]
    return EndState(cases, actions, notices, handed, repeats_a + repeats_n, leftovers)


@dataclass
class Tally:
    kills: int = 0
    runs: int = 0
    ok: int = 0
    duplicates: int = 0
    lost: int = 0
    failures: list[str] = field(default_factory=list)


def compare(reference: EndState, got: EndState) -> tuple[int, int, list[str]]:
    """(duplicates, lost, what differs)."""
    duplicates = got.id_repeats
    lost = 0
    problems = list(got.leftovers)
    for name, want, have in (
        ("write-back lines", reference.actions, got.actions),
        ("notice lines", reference.notices, got.notices),
        ("handover lines", reference.handed_over, got.handed_over),
    ):
        extra = sum((have - want).values())
        missing = sum((want - have).values())
        duplicates += extra
        lost += missing
        if extra or missing:
            problems.append(f"{name}: {extra} beyond the reference, {missing} missing")
    if got.cases != reference.cases:
        differ = [k for k in reference.cases.keys() | got.cases.keys()
                  if reference.cases.get(k) != got.cases.get(k)]  # fmt: skip
        problems.append(f"cases differ: {sorted(differ)[:5]}")
    return duplicates, lost, problems


# --- the run -------------------------------------------------------------------------------


@contextmanager
def scratch_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="claimbridge-chaos-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def chaos(
    spec: str,
    kills: int,
    debtors: int,
    batch_size: int,
    seed: int,
    log: Callable[[str], None],
    stages: tuple[str, ...] = STAGES,
) -> dict[str, Tally]:
    rng = random.Random(seed)
    tallies = {stage: Tally() for stage in stages}
    with scratch_folder() as scratch:
        database = Database(spec, scratch)
        try:
            # The reference, with a checkpoint (folder + database) before each step.
            place = Place(scratch / "reference", database.new())
            make_workspace(place.folder, debtors, batch_size)
            checkpoints: list[Place] = []
            spans: dict[int, float] = {}
            for index, (what, stage) in enumerate(TIMELINE):
                checkpoint = Place(scratch / f"checkpoint-{index}", database.copy(place.url))
                shutil.copytree(place.folder, checkpoint.folder)
                checkpoints.append(checkpoint)
                if stage is not None:
                    spans[index] = timed_step(place, stage)
                else:
                    act(place, what, stage, debtors)
            reference = end_state(place)
            log(
                f"{database.kind}: reference: {len(reference.cases)} cases, "
                f"{sum(reference.actions.values())} write-back lines, "
                f"{sum(reference.notices.values())} notice lines; step seconds "
                + ", ".join(f"{TIMELINE[i][1]} {s:.2f}" for i, s in spans.items())
            )
            for stage in stages:
                places = [i for i, (_, s) in enumerate(TIMELINE) if s == stage]
                tally = tallies[stage]
                attempt = 0
                while tally.kills < kills and attempt < kills * 6:
                    attempt += 1
                    index = rng.choice(places)
                    trigger = "output" if attempt % 2 == 0 and OUTPUT[stage] else "random"
                    run = Place(scratch / "run", database.copy(checkpoints[index].url))
                    shutil.rmtree(run.folder, ignore_errors=True)
                    shutil.copytree(checkpoints[index].folder, run.folder)
                    tally.runs += 1
                    try:
                        if not killed_step(run, stage, trigger, spans[index], rng):
                            continue
                        tally.kills += 1
                        for what, step in TIMELINE[index:]:
                            act(run, what, step, debtors)
                            tally.runs += 1
                        duplicates, lost, problems = compare(reference, end_state(run))
                    except Exception as exc:  # noqa: BLE001 - a failed recovery is a finding
                        duplicates, lost, problems = 0, 0, [f"{type(exc).__name__}: {exc}"]
                    finally:
                        database.drop(run.url)
                    tally.duplicates += duplicates
                    tally.lost += lost
                    if problems:
                        tally.failures.append(f"{stage} ({trigger}, step {index}): {problems}")
                        log(f"  {stage} kill {tally.kills} ({trigger}): {problems}")
                    else:
                        tally.ok += 1
        finally:
            database.close()
    return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills-per-stage", type=int, default=20)
    parser.add_argument(
        "--database",
        action="append",
        help="sqlite or a PostgreSQL URL (repeatable; default: sqlite)",
    )
    parser.add_argument("--debtors", type=int, default=150, help="two items each")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--stage", action="append", choices=STAGES, help="only these stages (repeatable)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    # The recoveries' warnings (interrupted transfers, ...) are expected here.
    logging.getLogger("gateway").setLevel(logging.ERROR)
    specs = args.database or ["sqlite"]
    results: dict[str, dict[str, Tally]] = {}
    started = time.perf_counter()
    for spec in specs:
        kind = "postgresql" if spec.startswith("postgresql") else "sqlite"
        results[kind] = chaos(
            spec,
            args.kills_per_stage,
            args.debtors,
            args.batch_size,
            args.seed,
            lambda line: print(line, file=sys.stderr, flush=True),
            tuple(args.stage or STAGES),
        )
    rows = [
        {
            "database": kind,
            "stage": stage,
            "kills": t.kills,
            "runs": t.runs,
            "end_state_ok": t.ok,
            "duplicates": t.duplicates,
            "lost": t.lost,
            "failures": t.failures,
        }
        for kind, tallies in results.items()
        for stage, t in tallies.items()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"{'database':<11}{'stage':<11}{'kills':>6}{'runs':>6}{'end ok':>8}"
            f"{'dup':>6}{'lost':>6}"
        )
        for row in rows:
            print(
                f"{row['database']:<11}{row['stage']:<11}{row['kills']:>6}{row['runs']:>6}"
                f"{row['end_state_ok']:>8}{row['duplicates']:>6}{row['lost']:>6}"
            )
        print(f"({time.perf_counter() - started:.0f} s, {args.debtors} debtors, batches of "
              f"{args.batch_size}, seed {args.seed})")  # fmt: skip
    bad = any(r["kills"] != r["end_state_ok"] or r["duplicates"] or r["lost"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
