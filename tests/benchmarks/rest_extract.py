"""REST extraction benchmark: open items read page by page over JSON-RPC (Tryton's answers, the
Tryton preset's request and mapping), mapped, validated and stored on SQLite, against its floor.

The server is a separate process imitating Tryton's `search_read` (offset/limit, typed values,
related fields under `name.`), with every page rendered once beforehand, so that both sides
wait for the same bytes. The floor is the same pages fetched with httpx and parsed with the
json module, and the same leaf values inserted with executemany into a bare SQLite table set
up as claimbridge sets it up: the least work that still fetches, reads and stores every record.
Each measurement runs in its own process, so that its peak memory (RSS) is its own.

    python -m tests.benchmarks.rest_extract                     # 20,000 and 200,000 records
    python -m tests.benchmarks.rest_extract --rows 2000 --json --repeat 1

Prints, per size: seconds, floor seconds, ratio, and the peak RSS of both; each the best of
`--repeat` runs (default 3). What it shows: memory does not grow with the number of records
(pages stream through), and the connector's cost over the bare libraries.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gateway.storage.database import SQLITE_CACHE_KIB

AS_OF = date(2026, 11, 20)
PAGE = 500
DATABASE = "bench"
# The leaves the floor stores: what the Tryton preset reads.
LEAVES = (
    ("id",),
    ("move.", "number"),
    ("move.", "date"),
    ("move.", "company"),
    ("maturity_date",),
    ("amount",),
    ("amount_currency.", "code"),
    ("party.", "code"),
    ("party.", "name"),
    ("party.", "email"),
    ("party.", "addresses.", 0, "street"),
    ("party.", "addresses.", 0, "postal_code"),
    ("party.", "addresses.", 0, "city"),
    ("dunnings.", 0, "level.", "sequence"),
    ("dunnings.", 0, "state"),
    ("dunnings.", 0, "blocked"),
)


def _date(day: date) -> dict[str, Any]:
    return {"__class__": "date", "year": day.year, "month": day.month, "day": day.day}


def record(n: int) -> dict[str, Any]:
    """Line n as Tryton's search_read answers it."""
    rng = random.Random(n)
    debtor = n // 50
    due = AS_OF - timedelta(days=1 + rng.randrange(400))
    dunned = rng.random() < 0.7
    return {
        "id": n + 1,
        "description": None,
        "amount": {"__class__": "Decimal", "decimal": f"{rng.randrange(100, 5_000_000) / 100:.2f}"},
        "maturity_date": _date(due),
        "move.": {
            "number": str(n + 1),
            "date": _date(due - timedelta(days=30)),
            "post_date": _date(due - timedelta(days=29)),
            "company": 1,
            "id": n + 1,
        },
        "amount_currency.": {"code": "EUR", "id": 1},
        "move_origin.": {"rec_name": f"INV-{n + 1}", "id": n + 1},
        "party.": {
            "code": str(100_000 + debtor),
            "name": f"Customer {debtor} GmbH",
            "email": f"ar{debtor}@example.com",
            "phone": "+49 30 123456",
            "lang.": None,
            "tax_identifier.": None,
            "addresses.": [
                {
                    "street": f"Street {debtor % 300}",
                    "postal_code": "10115",
                    "city": "Berlin",
                    "country.": {"code": "DE", "id": 1},
                    "id": debtor,
                }
            ],
            "id": debtor,
        },
        "dunnings.": [
            {
                "level.": {"sequence": 1 + rng.randrange(3), "id": 1},
                "state": "waiting",
                "blocked": 0,
                "date": _date(due + timedelta(days=20)),
                "id": n,
            }
        ]
        if dunned
        else [],
    }


def serve(rows: int, port_file: Path) -> None:
    """The imitation of Tryton: login, and search_read pages rendered in advance."""
    pages = {
        offset: json.dumps(
            {"id": 0, "result": [record(n) for n in range(offset, min(offset + PAGE, rows))]}
        ).encode()
        for offset in range(0, rows + 1, PAGE)
    }
    login = json.dumps({"id": 0, "result": [1, "0123456789abcdef" * 4, None]}).encode()
    empty = json.dumps({"id": 0, "result": []}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if call["method"] == "common.db.login":
                body = login
            else:
                offset, limit = call["params"][1], call["params"][2]
                if limit != PAGE:
                    raise SystemExit(f"unexpected page size {limit}")
                body = pages.get(offset, empty)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}/{DATABASE}/rpc/"


def measure_floor(port: int, folder: Path) -> float:
    import httpx

    started = time.perf_counter()
    connection = sqlite3.connect(folder / "floor.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    connection.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(len(LEAVES)))})")
    insert = f"INSERT INTO t VALUES ({', '.join('?' * len(LEAVES))})"  # noqa: S608
    with httpx.Client() as client:
        offset = 0
        while True:
            body = {
                "id": 1,
                "method": "model.account.move.line.search_read",
                "params": [[], offset, PAGE, None, [], {}],
            }
            records = json.loads(client.post(url(port), json=body).content)["result"]
            rows = []
            for r in records:
                row = []
                for path in LEAVES:
                    value: Any = r
                    for part in path:
                        try:
                            value = value[part]
                        except (KeyError, IndexError):
                            value = None
                            break
                    row.append(json.dumps(value) if isinstance(value, dict) else value)
                rows.append(row)
            connection.executemany(insert, rows)
            if len(records) < PAGE:
                break
            offset += len(records)
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def measure_claimbridge(port: int, folder: Path) -> float:
    from gateway.config import load_config
    from gateway.pipeline import RunContext, Step, run_cycle
    from gateway.sample.init import init_folder
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade
    from simulators.tryton.config import tryton_config, tryton_source_section

    workspace = folder / "ws"
    config_path = init_folder(workspace, AS_OF)
    (workspace / "password").write_text("bench\n", encoding="utf-8")
    section = tryton_source_section(url(port), str(workspace / "password"))
    config_path.write_text(tryton_config(config_path.read_text(), section), encoding="utf-8")
    config = load_config(config_path)
    store = create_store(config.database_url)
    upgrade(store.engine)
    context = RunContext(config, store, AS_OF, lambda: datetime.now(UTC))
    started = time.perf_counter()
    summary = run_cycle(context, (Step.EXTRACT,))
    elapsed = time.perf_counter() - started
    (result,) = summary.extraction
    if result.status != "ok" or result.accepted == 0:
        raise SystemExit(f"extraction failed: {result} {summary.errors}")
    store.dispose()
    return elapsed


def _child(kind: str, port: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seconds = (measure_floor if kind == "floor" else measure_claimbridge)(port, Path(tmp))
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024}))


def _run(kind: str, port: int, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.rest_extract",
                "--child",
                kind,
                "--port",
                str(port),
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


def _server(rows: int, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port_file = folder / f"port-{rows}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.rest_extract",
            "--serve",
            str(rows),
            "--port-file",
            str(port_file),
        ]
    )
    deadline = time.monotonic() + 600
    while not port_file.exists() or not port_file.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the benchmark server did not start")
        time.sleep(0.05)
    port = int(port_file.read_text())
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="20000,200000", help="comma-separated sizes")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--child", choices=("floor", "claimbridge"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.port_file)
        return
    if args.child:
        _child(args.child, args.port)
        return
    if not args.json:
        print(
            f"{'benchmark':<30}{'seconds':>10}{'floor s':>10}{'ratio':>8}"
            f"{'peak MB':>10}{'floor MB':>10}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (int(r) for r in args.rows.split(",")):
            process, port = _server(rows, Path(tmp))
            try:
                floor = _run("floor", port, args.repeat)
                ours = _run("claimbridge", port, args.repeat)
            finally:
                process.terminate()
                process.wait(timeout=30)
            figure = {
                "name": f"rest_extract_{rows}_records_sqlite",
                "seconds": round(ours["seconds"], 3),
                "floor_seconds": round(floor["seconds"], 3),
                "ratio": round(ours["seconds"] / floor["seconds"], 2),
                "peak_rss_mb": round(ours["peak_rss_mb"], 1),
                "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
                "records_per_second": round(rows / ours["seconds"]),
            }
            if args.json:
                print(json.dumps(figure))
            else:
                print(
                    f"{figure['name']:<30}{figure['seconds']:>10.2f}"
                    f"{figure['floor_seconds']:>10.2f}{figure['ratio']:>8.2f}"
                    f"{figure['peak_rss_mb']:>10.1f}{figure['floor_peak_rss_mb']:>10.1f}"
                )


if __name__ == "__main__":
    main()
