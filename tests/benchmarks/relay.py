"""Write-back relay benchmark: outbox messages delivered per second to the CSV write-back, on
SQLite and on PostgreSQL, against its floor.

    claimbridge  gateway.pipeline.relay.outbox.deliver_writeback, pass after pass until the outbox
                 is empty: claim with a lease (one transaction), map every action through
                 the writeback-csv mapping and write the file, then mark the messages delivered,
                 guarded by the lease, and log the transfer (another transaction).
    floor        the same pending messages read with plain SQLAlchemy Core, the same 17
                 columns written with the bare csv module, and one UPDATE per message marking
                 it delivered, in one transaction: the least work that still delivers each
                 message once and records it.

Each measurement runs in its own process on a freshly filled database (a SQLite file set up
as claimbridge sets it up, or a PostgreSQL database of its own), best of `--repeat`.

    python -m tests.benchmarks.relay                       # 20,000 messages, both databases
    python -m tests.benchmarks.relay --messages 2000 --databases sqlite --json --repeat 1

PostgreSQL: --postgres-url (default $CLAIMBRIDGE_TEST_DATABASE_URL, else the local server);
skipped with a note if it cannot be reached.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 20)
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COLUMNS = (
    "action_id", "action", "company_code", "document_number", "fiscal_year", "line_item",
    "case_reference", "agency", "occurred_at", "dunning_block", "status", "amount", "interest",
    "fees", "commission", "currency", "text",
)  # fmt: skip


def _fill(url: str, messages: int) -> None:
    """A migrated database with `messages` pending write-back actions for source `erp`: a
    dunning block and a note per item, as a handover writes them."""
    from sqlalchemy import insert

    from gateway.domain.actions import ActionKind, WriteBackAction
    from gateway.domain.items import ItemKey
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade
    from gateway.storage.models import OutboxMessageRow
    from gateway.storage.repositories.outbox import ERP_ACTION, action_payload

    store = create_store(url)
    upgrade(store.engine)
    rows: list[dict[str, Any]] = []
    for n in range(messages):
        item = ItemKey("erp", "1000", f"{1800000000 + n // 2}", 2026, "001")
        case = f"CB-{n // 6:07d}"
        block = n % 2 == 0
        action = WriteBackAction(
            action_id=f"{case}:{'block' if block else 'note'}:{n}",
            kind=ActionKind.SET_DUNNING_BLOCK if block else ActionKind.ADD_NOTE,
            item=item,
            case_reference=case,
            agency="acme",
            occurred_at=T0,
            dunning_block="I" if block else "",
            text="" if block else f"handed over to ACME as {case}",
            debtor_number=f"{100000 + n // 6}",
        )
        rows.append(
            {
                "kind": ERP_ACTION,
                "destination": "erp",
                "ordering_key": str(item),
                "message_key": action.action_id,
                "payload": action_payload(action),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": T0,
                "last_error": "",
                "created_at": T0,
            }
        )
    with store.unit_of_work() as session:
        for start in range(0, len(rows), 5_000):
            session.execute(insert(OutboxMessageRow), rows[start : start + 5_000])
    store.dispose()


def measure_floor(url: str, folder: Path) -> tuple[float, int]:
    from sqlalchemy import select, update

    from gateway.storage.database import create_store
    from gateway.storage.models import OutboxMessageRow as M

    store = create_store(url)  # same engine settings (WAL, busy timeout...) as claimbridge
    out = folder / "floor.csv"
    started = time.perf_counter()
    with store.engine.begin() as connection:
        pending = connection.execute(
            select(M.id, M.payload)
            .where(M.kind == "erp_action", M.destination == "erp", M.status == "pending")
            .order_by(M.id)
        ).all()
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for _, p in pending:
                _, company, document, year, line = p["item"]
                writer.writerow(
                    [p["action_id"], p["kind"], company, document, year, line,
                     p["case_reference"], p["agency"], p["occurred_at"], p["dunning_block"],
                     p["status"], "", "", "", "", "", p["text"]]
                )  # fmt: skip
        now = datetime.now(UTC)
        for message_id, _ in pending:
            connection.execute(
                update(M)
                .where(M.id == message_id)
                .values(status="delivered", delivered_at=now, attempts=M.attempts + 1)
            )
    elapsed = time.perf_counter() - started
    store.dispose()
    return elapsed, len(pending)


def measure_claimbridge(url: str, folder: Path) -> tuple[float, int]:
    from gateway.config import load_config
    from gateway.pipeline import RunContext
    from gateway.pipeline.relay.outbox import deliver_writeback
    from gateway.sample.init import init_folder
    from gateway.storage.database import create_store

    config_path = init_folder(folder / "ws", AS_OF)
    config = load_config(config_path, environ={"CLAIMBRIDGE_DATABASE_URL": url})
    store = create_store(config.database_url)
    context = RunContext(config, store, AS_OF, lambda: datetime.now(UTC) + timedelta(days=1))
    delivered = 0
    started = time.perf_counter()
    while True:
        result = deliver_writeback(context, "erp")
        if result.error:
            raise SystemExit(f"relay failed: {result.error}")
        if not result.delivered:
            break
        delivered += result.delivered
    elapsed = time.perf_counter() - started
    store.dispose()
    return elapsed, delivered


class _Database:
    """A fresh database for one measurement: a SQLite file, or a PostgreSQL database."""

    def __init__(self, kind: str, folder: Path, pg_url: str) -> None:
        self.kind, self.pg_url = kind, pg_url
        self.name = f"cbbench_relay_{os.getpid()}_{secrets.token_hex(3)}"
        self.url = f"sqlite:///{folder / 'relay.db'}" if kind == "sqlite" else self._create_pg()

    def _create_pg(self) -> str:
        from sqlalchemy import create_engine, make_url, text

        admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        return make_url(self.pg_url).set(database=self.name).render_as_string(False)

    def drop(self) -> None:
        if self.kind != "postgresql":
            return
        from sqlalchemy import create_engine, text

        admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def _child(kind: str, database: str, messages: int, pg_url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = _Database(database, folder, pg_url)
        try:
            _fill(db.url, messages)
            measure = measure_floor if kind == "floor" else measure_claimbridge
            seconds, delivered = measure(db.url, folder)
        finally:
            db.drop()
    if delivered != messages:
        raise SystemExit(f"{kind}: {delivered} of {messages} messages delivered")
    print(json.dumps({"seconds": seconds, "delivered": delivered}))


def _run(kind: str, database: str, messages: int, repeat: int, pg_url: str) -> float:
    best = float("inf")
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.relay", "--child", kind, database,
             "--messages", str(messages), "--postgres-url", pg_url],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        best = min(best, json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    return best


def _postgres_reachable(url: str) -> str:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000, help="outbox messages")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CLAIMBRIDGE_TEST_DATABASE_URL") or DEFAULT_PG
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.messages, args.postgres_url)
        return
    if not args.json:
        print(
            f"{'benchmark':<34}{'seconds':>10}{'floor s':>10}{'ratio':>8}"
            f"{'msg/s':>10}{'floor msg/s':>13}"
        )
    for database in args.databases.split(","):
        if database == "postgresql":
            problem = _postgres_reachable(args.postgres_url)
            if problem:
                print(f"# postgresql skipped: {problem}", file=sys.stderr)
                continue
        floor = _run("floor", database, args.messages, args.repeat, args.postgres_url)
        ours = _run("claimbridge", database, args.messages, args.repeat, args.postgres_url)
        figure = {
            "name": f"relay_{args.messages}_messages_{database}",
            "seconds": round(ours, 3),
            "floor_seconds": round(floor, 3),
            "ratio": round(ours / floor, 2),
            "messages_per_second": round(args.messages / ours),
            "floor_messages_per_second": round(args.messages / floor),
        }
        if args.json:
            print(json.dumps(figure))
        else:
            print(
                f"{figure['name']:<34}{figure['seconds']:>10.2f}{figure['floor_seconds']:>10.2f}"
                f"{figure['ratio']:>8.2f}{figure['messages_per_second']:>10}"
                f"{figure['floor_messages_per_second']:>13}"
            )


if __name__ == "__main__":
    main()
