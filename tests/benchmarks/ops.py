"""Operations benchmark on SQLite: what the run lease, the store's metrics and a purge cost,
each against its floor (the same work done with bare sqlite3 on the same settings).

    claim      N runs claimed and released through gateway.ops.jobs.leases (read the lease row,
               conditional UPDATE on its version, insert the run into the history, name it
               on the lease; then release), against the same statements in bare SQL with the
               conditional UPDATE of choices.md, in the same two transactions per run.
    scrape     the store's gauges of /metrics over N transfers, N outbox messages and N/10
               cases, against the same grouped queries in bare SQL.
    purge      N transfers past their retention, each with two quarantined records, purged,
               against the two bare DELETE statements.

Each measurement runs in its own process (peak RSS is its own), best of `--repeat`.

    python -m tests.benchmarks.ops                         # 1,000 claims; 100,000 rows
    python -m tests.benchmarks.ops --claims 50 --rows 500 --json --repeat 1
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.storage.database import SQLITE_BUSY_TIMEOUT_MS, SQLITE_CACHE_KIB

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    return connection


def _store(folder: Path):  # type: ignore[no-untyped-def]
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade

    store = create_store(f"sqlite:///{folder / 'bench.db'}")
    upgrade(store.engine)
    return store


# --- claim ------------------------------------------------------------------------------


def claim_floor(folder: Path, n: int) -> float:
    """The same statements as a claim and its release, in bare SQL: the conditional UPDATE of
    choices.md, the run inserted into the history and named on the lease; then the release."""
    connection = _connect(folder / "floor.db")
    connection.execute(
        "CREATE TABLE job_lease (name TEXT PRIMARY KEY, last_started TEXT, owner TEXT,"
        " run_id INTEGER, lease_until TEXT)"
    )
    connection.execute(
        "CREATE TABLE job_runs (id INTEGER PRIMARY KEY, job TEXT, slot TEXT, owner TEXT,"
        " status TEXT, started_at TEXT, UNIQUE (job, slot))"
    )
    connection.execute("INSERT INTO job_lease (name) VALUES ('cycle')")
    started = time.perf_counter()
    for i in range(n):
        now = (T0 + timedelta(minutes=i)).isoformat()
        until = (T0 + timedelta(minutes=i, seconds=120)).isoformat()
        connection.execute("BEGIN IMMEDIATE")
        won = connection.execute(
            "UPDATE job_lease SET last_started = ?, owner = ?, lease_until = ? WHERE name = ?"
            " AND (last_started IS NULL OR last_started < ?)",
            (now, "me", until, "cycle", now),
        ).rowcount
        if won != 1:
            raise SystemExit("floor: a claim was lost")
        run_id = connection.execute(
            "INSERT INTO job_runs (job, slot, owner, status, started_at)"
            " VALUES ('cycle', ?, 'me', 'running', ?) RETURNING id",
            (now, now),
        ).fetchone()[0]
        connection.execute("UPDATE job_lease SET run_id = ? WHERE name = 'cycle'", (run_id,))
        connection.execute("COMMIT")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "UPDATE job_lease SET lease_until = NULL, owner = NULL WHERE name = 'cycle'"
            " AND run_id = ? AND owner = 'me'",
            (run_id,),
        )
        connection.execute("COMMIT")
    return time.perf_counter() - started


def claim_claimbridge(folder: Path, n: int) -> float:
    from gateway.config import ScheduleConfig
    from gateway.ops.jobs.leases import Claimed, Leases
    from gateway.ops.jobs.specs import JobSpec

    store = _store(folder)
    spec = JobSpec.from_config("cycle", ScheduleConfig(job="cycle", cron="* * * * *"))
    leases = Leases(store, "me")
    leases.ensure(["cycle"])
    started = time.perf_counter()
    for i in range(n):
        claimed = leases.claim_slot(spec, T0 + timedelta(minutes=i))
        if not isinstance(claimed, Claimed) or not leases.release(claimed):
            raise SystemExit(f"claimbridge: slot {i} was not claimed ({claimed})")
    elapsed = time.perf_counter() - started
    store.dispose()
    return elapsed


# --- scrape and purge: a store with some history --------------------------------------------


def _fill(folder: Path, rows: int, old: bool) -> Path:
    """A migrated database with `rows` transfers (each with two quarantined records if `old`),
    `rows` outbox messages and rows/10 cases."""
    store = _store(folder)
    store.dispose()
    path = folder / "bench.db"
    connection = _connect(path)
    started = (T0 - timedelta(days=500 if old else 1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO transfers (id, direction, kind, channel, partner, location, status, records,"
        " rejected, error, summary, started_at, finished_at) VALUES"
        " (?, ?, 'open_items', 'local', ?, 'f.csv', ?, 10, 2, '', '', ?, ?)",
        (
            (
                i + 1,
                ("inbound", "outbound")[i % 2],
                f"partner{i % 20}",
                ("ok", "partial", "failed")[i % 3],
                started,
                started,
            )
            for i in range(rows)
        ),
    )
    if old:
        connection.executemany(
            "INSERT INTO quarantined_records (transfer_id, partner, location, position, fields,"
            " reason, raw, created_at) VALUES (?, 'erp', 'f.csv', ?, 'amount', 'bad', '[]', ?)",
            ((i // 2 + 1, str(i), started) for i in range(2 * rows)),
        )
    connection.executemany(
        "INSERT INTO outbox (kind, destination, ordering_key, message_key, payload, status,"
        " attempts, next_attempt_at, last_error, created_at) VALUES"
        " ('erp_action', ?, ?, ?, '{}', ?, 0, ?, '', ?)",
        (
            (
                f"erp{i % 5}",
                f"item{i}",
                f"m{i}",
                ("pending", "delivered", "dead", "delivered")[i % 4],
                started,
                started,
            )
            for i in range(rows)
        ),
    )
    connection.executemany(
        "INSERT INTO cases (reference, agency, source, debtor_number, currency, state, policy,"
        " handed_over_minor, collected_principal_minor, collected_interest_minor,"
        " collected_fees_minor, commission_minor, paid_directly_minor, written_off_minor,"
        " interest_claimed_minor, fees_claimed_minor, needs_attention, created_at, updated_at)"
        " VALUES (?, ?, 'erp', ?, 'EUR', ?, 'p', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ?, ?)",
        (
            (
                f"CB-{i:07d}",
                f"agency{i % 3}",
                str(i),
                ("submitted", "closed_paid")[i % 2],
                started,
                started,
            )
            for i in range(rows // 10)
        ),
    )
    connection.execute("COMMIT")
    connection.close()
    return path


SCRAPE_SQL = (
    "SELECT kind, destination, status, count(*) FROM outbox WHERE status IN ('pending', 'dead')"
    " GROUP BY kind, destination, status",
    "SELECT partner, direction, max(finished_at) FROM transfers"
    " WHERE status IN ('ok', 'partial') GROUP BY partner, direction",
    "SELECT t.partner, t.direction, count(*) FROM transfers t LEFT JOIN (SELECT partner,"
    " direction, max(id) AS ok_id FROM transfers WHERE status IN ('ok', 'partial')"
    " GROUP BY partner, direction) o ON o.partner = t.partner AND o.direction = t.direction"
    " WHERE t.status = 'failed' AND (o.ok_id IS NULL OR t.id > o.ok_id)"
    " GROUP BY t.partner, t.direction",
    "SELECT agency, state, count(*) FROM cases GROUP BY agency, state",
    "SELECT name, lease_until FROM job_leases",
    "SELECT job, max(finished_at) FROM job_runs WHERE status = 'ok' GROUP BY job",
    "SELECT kind, count(*) FROM alert_states WHERE firing = 1 GROUP BY kind",
)


def scrape_floor(folder: Path, rows: int) -> float:
    path = _fill(folder, rows, old=False)
    connection = _connect(path)
    started = time.perf_counter()
    for query in SCRAPE_SQL:
        connection.execute(query).fetchall()
    return time.perf_counter() - started


def scrape_claimbridge(folder: Path, rows: int) -> float:
    from gateway.ops.metrics import StoreCollector
    from gateway.storage.database import create_store

    path = _fill(folder, rows, old=False)
    store = create_store(f"sqlite:///{path}")
    started = time.perf_counter()
    families = list(StoreCollector(store).collect())
    elapsed = time.perf_counter() - started
    up = next(f for f in families if f.name == "claimbridge_store_up")
    if up.samples[0].value != 1:
        raise SystemExit("claimbridge: the store could not be read")
    store.dispose()
    return elapsed


def purge_floor(folder: Path, rows: int) -> float:
    path = _fill(folder, rows, old=True)
    connection = _connect(path)
    cutoff = (T0 - timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S.%f")
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "DELETE FROM quarantined_records WHERE transfer_id IN"
        " (SELECT id FROM transfers WHERE started_at < ?)",
        (cutoff,),
    )
    connection.execute("DELETE FROM transfers WHERE started_at < ?", (cutoff,))
    connection.execute("COMMIT")
    return time.perf_counter() - started


def purge_claimbridge(folder: Path, rows: int) -> float:
    from gateway.config.operations import RetentionConfig
    from gateway.ops.retention import purge
    from gateway.storage.database import create_store

    path = _fill(folder, rows, old=True)
    store = create_store(f"sqlite:///{path}")
    # only what the floor does: transfers and their quarantined records
    retention = RetentionConfig(
        quarantined_records=None,
        run_history=None,
        delivered_messages=None,
        idempotency_keys=None,
        personal_data=None,
    )
    started = time.perf_counter()
    report = purge(store, retention, T0)
    elapsed = time.perf_counter() - started
    if report.transfers != rows or report.quarantined_records != 2 * rows:
        raise SystemExit(f"claimbridge: purge removed {report.counts()}")
    store.dispose()
    return elapsed


MEASURES = {
    "claim": (claim_floor, claim_claimbridge),
    "scrape": (scrape_floor, scrape_claimbridge),
    "purge": (purge_floor, purge_claimbridge),
}


def _child(measure: str, kind: str, size: int) -> None:
    floor, ours = MEASURES[measure]
    with tempfile.TemporaryDirectory() as tmp:
        seconds = (floor if kind == "floor" else ours)(Path(tmp), size)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024}))


def _run(measure: str, kind: str, size: int, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.ops", "--child", measure, kind, str(size)],
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
    parser.add_argument("--claims", type=int, default=1_000, help="runs claimed and released")
    parser.add_argument("--rows", type=int, default=100_000, help="transfers in the store")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure, kind, size = args.child
        _child(measure, kind, int(size))
        return
    if not args.json:
        print(f"{'benchmark':<28}{'seconds':>10}{'floor s':>10}{'ratio':>8}{'peak MB':>10}")
    for measure, size, unit in (
        ("claim", args.claims, "claims"),
        ("scrape", args.rows, "rows"),
        ("purge", args.rows, "rows"),
    ):
        floor = _run(measure, "floor", size, args.repeat)
        ours = _run(measure, "claimbridge", size, args.repeat)
        figure: dict[str, object] = {
            "name": f"{measure}_{size}_{unit}_sqlite",
            "seconds": round(ours["seconds"], 4),
            "floor_seconds": round(floor["seconds"], 4),
            "ratio": round(ours["seconds"] / floor["seconds"], 2),
            "peak_rss_mb": round(ours["peak_rss_mb"], 1),
            "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
        }
        if measure == "claim":
            figure["ms_per_claim"] = round(1000 * ours["seconds"] / size, 3)
        if args.json:
            print(json.dumps(figure))
        else:
            print(
                f"{figure['name']:<28}{figure['seconds']:>10.3f}{figure['floor_seconds']:>10.3f}"
                f"{figure['ratio']:>8.2f}{figure['peak_rss_mb']:>10.1f}"
            )


if __name__ == "__main__":
    main()
