"""Selection benchmark: a policy's selection over N items on SQLite, against its floor.

The floor is the same work written by hand: the same filter and grouping as one SQL statement
run with the bare sqlite3 module, the same per-criterion counts as one hand-written statement,
the same items read and checked by plain Python for the explanations. Each measurement runs in
its own process on the same database file (built once, not measured), best of `--repeat`,
the floor and claimbridge taken in turn. Wall seconds make the ratio; CPU seconds are printed
beside them (SQLite works inside the measured process), since on a shared machine wall time
swings with everyone else's load.

    python -m tests.benchmarks.select                       # 1,000,000 items
    python -m tests.benchmarks.select --rows 20000 --json --repeat 1

Figures:
    select_<N>_items_sqlite    the cases the policy makes: compile, WHERE, GROUP BY, debtors,
                               minimum case total, routing (target: ratio ≤ 1.5)
    counts_<N>_items_sqlite    items failing each criterion, and failing it alone (dry run)
    explain_<K>_items_sqlite   explanations, criterion by criterion, of K items
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gateway.storage.database import SQLITE_CACHE_KIB

AS_OF = date(2026, 11, 20)
POLICY: dict[str, Any] = {
    "agency": "acme",
    "criteria": [
        {"dunning_level": {"at_least": 3}},
        {"days_overdue": {"at_least": 30}},
        {"open_amount": {"at_least": "50.00"}},
        {"dunning_block": {"not_in": ["R"]}},
        {"disputed": False},
        {"not": {"segment": "VIP"}},
    ],
    "grouping": {"min_case_total": "100.00"},
    "routing": [{"agency": "acme-fr", "when": {"country": "FR"}}],
}
EXPLAINED = 10_000
NOW_TEXT = "2026-11-20 00:00:00.000000"


def build(path: Path, rows: int, seed: int = 20261120) -> None:
    """A migrated claimbridge database with `rows` open items of `rows / 50` debtors."""
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade

    store = create_store(f"sqlite:///{path}")
    upgrade(store.engine)
    store.dispose()
    rng = random.Random(seed)
    debtors = max(1, rows // 50)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executemany(
        "INSERT INTO debtors (source, number, name, name2, kind, vat_id, registration, street, "
        "postal_code, city, country, email, phone, language, segment, updated_at) "
        "VALUES ('erp', ?, ?, '', ?, '', '', '', '', '', ?, '', '', '', ?, ?)",
        (
            (
                f"{100000 + d}",
                f"Customer {d}",
                "company" if d % 7 else "person",
                ("DE", "FR", "AT")[d % 3],
                "" if d % 13 else "VIP",
                NOW_TEXT,
            )
            for d in range(debtors)
        ),
    )

    def items() -> Any:
        for n in range(rows):
            due = AS_OF - timedelta(days=rng.randrange(-30, 400))
            amount = rng.randrange(-50_000, 5_000_000)
            yield (
                ("1000", "2000", "3000")[n % 3],
                f"{1800000000 + n}",
                f"{1 + n % 3:03d}",
                f"{100000 + rng.randrange(debtors)}",
                (due - timedelta(days=30)).isoformat(),
                due.isoformat(),
                "EUR" if n % 10 else ("USD", "GBP", "CHF")[n % 3],
                amount,
                rng.randrange(4),
                (due + timedelta(days=20)).isoformat() if n % 4 else None,
                "" if n % 31 else "R",
                1 if n % 97 == 0 else 0,
                n,
                NOW_TEXT,
            )

    connection.executemany(
        "INSERT INTO open_items (source, company_code, document_number, fiscal_year, line_item, "
        "debtor_number, document_date, posting_date, net_due_date, currency, amount_minor, "
        "open_amount_minor, dunning_level, last_dunning_date, dunning_block, disputed, "
        "payment_promised_until, reference, document_type, text, is_open, cleared_on, "
        "first_seen_transfer_id, last_seen_transfer_id, last_seen_line, updated_at) "
        "VALUES ('erp', ?, ?, 2026, ?, ?, ?5, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, NULL, '', "
        "'DR', '', 1, NULL, 1, 1, ?13, ?14)",
        items(),
    )
    connection.commit()
    connection.close()


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    # The settings claimbridge runs SQLite with (gateway.storage.database).
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    return connection


_WHERE = """
    i.is_open = 1 AND NOT EXISTS (SELECT 1 FROM case_items c WHERE c.item_id = i.id)
    AND i.open_amount_minor > 0 AND i.dunning_level >= 3 AND i.net_due_date <= :day30
    AND i.open_amount_minor >= 5000 AND i.dunning_block NOT IN ('R') AND i.disputed = 0
    AND coalesce(d.segment, '') != 'VIP'
"""


def floor_select(path: Path) -> int:
    connection = _connect(path)
    query = f"""
        SELECT g.source, g.debtor_number, g.currency, g.n, g.total, g.oldest,
               coalesce(d.name, ''), coalesce(d.country, ''), coalesce(d.kind, ''),
               coalesce(d.segment, '')
        FROM (SELECT i.source, i.debtor_number, i.currency, count(*) AS n,
                     sum(i.open_amount_minor) AS total, min(i.net_due_date) AS oldest
              FROM open_items i
              LEFT JOIN debtors d ON d.source = i.source AND d.number = i.debtor_number
              WHERE {_WHERE}
              GROUP BY i.source, i.debtor_number, i.currency) g
        LEFT JOIN debtors d ON d.source = g.source AND d.number = g.debtor_number
        ORDER BY g.total DESC, g.source, g.debtor_number, g.currency
    """  # noqa: S608
    day30 = (AS_OF - timedelta(days=30)).isoformat()
    cases = [
        (row, "acme-fr" if row[7] == "FR" else "acme")
        for row in connection.execute(query, {"day30": day30})
        if row[4] >= 10_000
    ]
    connection.close()
    return len(cases)


def floor_counts(path: Path) -> int:
    connection = _connect(path)
    criteria = [
        "i.open_amount_minor > 0",
        "i.dunning_level >= 3",
        "i.net_due_date <= :day30",
        "i.open_amount_minor >= 5000",
        "i.dunning_block NOT IN ('R')",
        "i.disputed = 0",
        "coalesce(d.segment, '') != 'VIP'",
    ]
    fails = [f"sum(CASE WHEN {c} THEN 0 ELSE 1 END)" for c in criteria]
    alone = [
        f"sum(CASE WHEN NOT ({c}) AND "
        + " AND ".join(o for o in criteria if o != c)
        + " THEN 1 ELSE 0 END)"
        for c in criteria
    ]
    query = (
        f"SELECT count(*), sum(CASE WHEN {' AND '.join(criteria)} THEN 1 ELSE 0 END), "  # noqa: S608
        + ", ".join(fails + alone)
        + " FROM open_items i LEFT JOIN debtors d ON d.source = i.source AND "
        "d.number = i.debtor_number WHERE i.is_open = 1 AND NOT EXISTS "
        "(SELECT 1 FROM case_items c WHERE c.item_id = i.id)"
    )
    row = connection.execute(query, {"day30": (AS_OF - timedelta(days=30)).isoformat()}).fetchone()
    connection.close()
    return int(row[0])


def _explained_ids(rows: int) -> list[int]:
    step = max(1, rows // EXPLAINED)
    return list(range(1, rows + 1, step))[:EXPLAINED]


def floor_explain(path: Path, rows: int) -> int:
    connection = _connect(path)
    ids = _explained_ids(rows)
    day30 = (AS_OF - timedelta(days=30)).isoformat()
    results = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            "SELECT i.id, i.open_amount_minor, i.dunning_level, i.net_due_date, "  # noqa: S608
            "i.dunning_block, i.disputed, coalesce(d.segment, '') FROM open_items i "
            "LEFT JOIN debtors d ON d.source = i.source AND d.number = i.debtor_number "
            f"WHERE i.id IN ({', '.join('?' * len(chunk))})"
        )
        for item_id, amount, level, due, block, disputed, segment in connection.execute(
            query, chunk
        ):
            results.append(
                (
                    item_id,
                    amount > 0,
                    level >= 3,
                    due <= day30,
                    amount >= 5000,
                    block not in ("R",),
                    not disputed,
                    segment != "VIP",
                )
            )
    connection.close()
    return len(results)


def _context(path: Path) -> Any:
    from gateway.rules.policy import compile_policy
    from gateway.rules.spec import PolicyConfig
    from gateway.storage.database import create_store

    store = create_store(f"sqlite:///{path}")
    return store, compile_policy("bench", PolicyConfig.model_validate(POLICY))


def ours_select(path: Path) -> int:
    from gateway.pipeline.select.plan import plan_selection
    from gateway.rules.policy import compile_policy
    from gateway.rules.spec import PolicyConfig
    from gateway.storage.database import create_store

    store = create_store(f"sqlite:///{path}")
    policy = compile_policy("bench", PolicyConfig.model_validate(POLICY))
    with store.unit_of_work(read_only=True) as session:
        plan = plan_selection(session, policy, AS_OF, with_counts=False)
    store.dispose()
    return len(plan.cases)


def ours_counts(path: Path) -> int:
    from gateway.pipeline.select.queries import count_exclusions

    store, policy = _context(path)
    with store.unit_of_work(read_only=True) as session:
        candidates, _, _ = count_exclusions(session, policy, AS_OF)
    store.dispose()
    return candidates


def ours_explain(path: Path, rows: int) -> int:
    from gateway.pipeline.select.explain import explain_items

    store, policy = _context(path)
    with store.unit_of_work(read_only=True) as session:
        found = explain_items(session, policy, AS_OF, _explained_ids(rows))
    store.dispose()
    return len(found)


MEASURES = {
    "select-floor": lambda p, r: floor_select(p),
    "select": lambda p, r: ours_select(p),
    "counts-floor": lambda p, r: floor_counts(p),
    "counts": lambda p, r: ours_counts(p),
    "explain-floor": floor_explain,
    "explain": ours_explain,
}


def _child(kind: str, path: Path, rows: int) -> None:
    if not kind.endswith("-floor"):
        # Importing claimbridge is not part of the measurement (a running gateway has done it).
        import gateway.pipeline.select.explain
        import gateway.pipeline.select.plan
        import gateway.rules.policy
        import gateway.storage.database  # noqa: F401
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    result = MEASURES[kind](path, rows)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "result": result,
                "peak_rss_mb": peak_kb / 1024,
                "before_mb": baseline / 1024,
            }
        )
    )


def _once(kind: str, path: Path, rows: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.select",
            "--child",
            kind,
            "--db",
            str(path),
            "--rows",
            str(rows),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _pair(kind: str, path: Path, rows: int, repeat: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(floor, claimbridge): each the best of `repeat` runs, the two taken in turn so that a
    busy moment of the machine weighs on both alike; the highest peak memory of each."""
    runs: dict[str, list[dict[str, Any]]] = {"floor": [], "ours": []}
    for _ in range(repeat):
        runs["floor"].append(_once(f"{kind}-floor", path, rows))
        runs["ours"].append(_once(kind, path, rows))
    best = {
        side: {
            "seconds": min(r["seconds"] for r in found),
            "cpu_seconds": min(r["cpu_seconds"] for r in found),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in found),
            "result": found[0]["result"],
        }
        for side, found in runs.items()
    }
    return best["floor"], best["ours"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="1000000", help="comma-separated sizes")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--child", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, Path(args.db), int(args.rows))
        return
    if not args.json:
        print(
            f"{'benchmark':<30}{'seconds':>10}{'floor s':>10}{'ratio':>8}{'cpu ratio':>11}"
            f"{'peak MB':>10}{'floor MB':>10}"
        )
    for rows in (int(r) for r in args.rows.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "select.db"
            build(path, rows)
            explained = len(_explained_ids(rows))
            for kind, name in (
                ("select", f"select_{rows}_items_sqlite"),
                ("counts", f"counts_{rows}_items_sqlite"),
                ("explain", f"explain_{explained}_items_sqlite"),
            ):
                floor, ours = _pair(kind, path, rows, args.repeat)
                if floor["result"] != ours["result"]:
                    raise SystemExit(
                        f"{name}: claimbridge found {ours['result']}, the floor {floor['result']}"
                    )
                figure = {
                    "name": name,
                    "seconds": round(ours["seconds"], 3),
                    "floor_seconds": round(floor["seconds"], 3),
                    "ratio": round(ours["seconds"] / floor["seconds"], 2),
                    # CPU time too: on a shared machine, wall time swings with the others' load
                    # (SQLite works in the measured process, so its work is counted).
                    "cpu_seconds": round(ours["cpu_seconds"], 3),
                    "floor_cpu_seconds": round(floor["cpu_seconds"], 3),
                    "cpu_ratio": round(ours["cpu_seconds"] / floor["cpu_seconds"], 2),
                    "peak_rss_mb": round(ours["peak_rss_mb"], 1),
                    "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
                    "items": rows,
                    "result": ours["result"],
                }
                if args.json:
                    print(json.dumps(figure))
                else:
                    print(
                        f"{figure['name']:<30}{figure['seconds']:>10.3f}"
                        f"{figure['floor_seconds']:>10.3f}{figure['ratio']:>8.2f}"
                        f"{figure['cpu_ratio']:>11.2f}"
                        f"{figure['peak_rss_mb']:>10.1f}{figure['floor_peak_rss_mb']:>10.1f}"
                    )


if __name__ == "__main__":
    main()
