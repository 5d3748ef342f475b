"""Extraction benchmark: parse + map + validate + store an OPOS CSV on SQLite, against its floor.

The floor is the same file read with the csv module and inserted with executemany into a bare
table (every column TEXT, no index) of a SQLite database set up as claimbridge sets it up (WAL,
synchronous=NORMAL, the same page cache), in batches of the size claimbridge writes: the least
work that still reads and stores every row.
Each measurement runs in its own process, so that its peak memory (RSS) is its own.

    python -m tests.benchmarks.extract                     # 100,000 and 1,000,000 rows
    python -m tests.benchmarks.extract --rows 20000 --json --repeat 1

Prints, per size: seconds, floor seconds, ratio, and the peak RSS of both; each the best of
`--repeat` runs (default 3), since a shared machine slows single runs down at random.
Targets (issue 2): ratio ≤ 2.0, peak memory ≤ 250 MB and flat from 100,000 to 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from gateway.sample.data import COLUMNS
from gateway.storage.database import SQLITE_CACHE_KIB
from gateway.storage.repositories.items import ItemWriter

AS_OF = date(2026, 11, 20)


def generate(path: Path, rows: int, seed: int = 20261120) -> None:
    """An OPOS export with the generic-opos layout: one debtor per ~50 items, several company
    codes and currencies, dunning levels, blocks, disputes, credits."""
    rng = random.Random(seed)
    debtors = max(1, rows // 50)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for n in range(rows):
            debtor = rng.randrange(debtors)
            due = AS_OF - timedelta(days=rng.randrange(-30, 400))
            amount = rng.randrange(-50_000, 5_000_000)
            currency = "EUR" if n % 10 else rng.choice(("USD", "GBP", "CHF"))
            writer.writerow(
                [
                    ("1000", "2000", "3000")[n % 3],
                    f"{1800000000 + n}",
                    "2026",
                    f"{1 + n % 3:03d}",
                    f"{100000 + debtor}",
                    f"Customer {debtor} GmbH",
                    "company" if debtor % 7 else "person",
                    f"DE{200000000 + debtor}",
                    f"Street {debtor % 300}",
                    f"{10000 + debtor % 89999}",
                    "Berlin",
                    "DE",
                    f"ar{debtor}@example.com",
                    "+49 30 123456",
                    "de",
                    "" if debtor % 13 else "VIP",
                    (due - timedelta(days=30)).isoformat(),
                    (due - timedelta(days=30)).isoformat(),
                    due.isoformat(),
                    currency,
                    f"{amount / 100:.2f}",
                    f"{amount / 100:.2f}",
                    str(rng.randrange(4)),
                    (due + timedelta(days=20)).isoformat() if n % 4 else "",
                    "" if n % 31 else "R",
                    "1" if n % 97 == 0 else "0",
                    f"RE-{n}",
                    "DR",
                ]
            )


def measure_floor(path: Path, folder: Path) -> float:
    db = folder / "floor.db"
    started = time.perf_counter()
    connection = sqlite3.connect(db)
    # The same storage settings claimbridge runs SQLite with (gateway.storage.database): the
    # floor is the same work on the same database, done by the bare libraries.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        connection.execute(
            f"CREATE TABLE t ({', '.join(f'c{i} TEXT' for i in range(len(header)))})"
        )
        insert = f"INSERT INTO t VALUES ({', '.join('?' * len(header))})"  # noqa: S608
        while batch := list(itertools.islice(reader, ItemWriter.BATCH)):
            connection.executemany(insert, batch)
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def measure_claimbridge(path: Path, folder: Path) -> float:
    from gateway.config import load_config
    from gateway.pipeline import RunContext, Step, run_cycle
    from gateway.sample.init import init_folder
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade

    workspace = folder / "ws"
    config_path = init_folder(workspace, AS_OF)
    for old in (workspace / "erp" / "exports").glob("*.csv"):
        old.unlink()
    target = workspace / "erp" / "exports" / "open_items_bench.csv"
    path.replace(target)
    # The export was written "earlier": no settle wait in the measurement.
    os.utime(target, (time.time() - 3600, time.time() - 3600))
    config = load_config(config_path)
    store = create_store(config.database_url)
    upgrade(store.engine)
    context = RunContext(config, store, AS_OF, lambda: datetime.now(UTC))
    if os.environ.get("BENCH_LOG"):
        from gateway.logs import configure_logging

        configure_logging("INFO")
    started = time.perf_counter()
    summary = run_cycle(context, (Step.EXTRACT,))
    elapsed = time.perf_counter() - started
    (result,) = summary.extraction
    if result.status not in ("ok", "partial") or result.accepted == 0:
        raise SystemExit(f"extraction failed: {result}")
    store.dispose()
    return elapsed


def _child(kind: str, rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "export.csv"
        generate(path, rows)
        # The generator's own memory is not the measurement's: start counting afresh.
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        seconds = (
            measure_floor(path, folder) if kind == "floor" else measure_claimbridge(path, folder)
        )
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "before_mb": baseline / 1024}
            )
        )


def _run(kind: str, rows: int, repeat: int) -> dict[str, float]:
    """The best of `repeat` runs (the least disturbed by the rest of the machine), and the
    highest peak memory among them."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.extract",
                "--child",
                kind,
                "--rows",
                str(rows),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": min(r["seconds"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--child", choices=("floor", "claimbridge"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, int(args.rows))
        return
    if not args.json:
        print(
            f"{'benchmark':<28}{'seconds':>10}{'floor s':>10}{'ratio':>8}"
            f"{'peak MB':>10}{'floor MB':>10}"
        )
    for rows in (int(r) for r in args.rows.split(",")):
        floor = _run("floor", rows, args.repeat)
        ours = _run("claimbridge", rows, args.repeat)
        figure = {
            "name": f"extract_{rows}_rows_sqlite",
            "seconds": round(ours["seconds"], 3),
            "floor_seconds": round(floor["seconds"], 3),
            "ratio": round(ours["seconds"] / floor["seconds"], 2),
            "peak_rss_mb": round(ours["peak_rss_mb"], 1),
            "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
            "rows_per_second": round(rows / ours["seconds"]),
        }
        if args.json:
            print(json.dumps(figure))
        else:
            print(
                f"{figure['name']:<28}{figure['seconds']:>10.2f}{figure['floor_seconds']:>10.2f}"
                f"{figure['ratio']:>8.2f}{figure['peak_rss_mb']:>10.1f}{figure['floor_peak_rss_mb']:>10.1f}"
            )


if __name__ == "__main__":
    main()
