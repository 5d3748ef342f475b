"""Web console benchmark: each page's server time on N cases, beside its floor.

The database holds N cases (60 % waiting for a decision, the rest in the later states), two
items each, N/2 debtors, three events per case and a few approvals; for IT's pages N/10
transfers (some failed, some with 20 rejected records), 2N outbox messages (2 % dead), N/20 job
runs and a few alerts; and N/10 open items in no case, for the dry run. Each page is asked of the
application in-process (FastAPI's TestClient, signed in: session look-up, query, template,
formatting in the reader's language); its floor is the page's main query written by hand and
run on the same connection pool with the bare driver (`exec_driver_sql`), rows fetched. Median
of `--repeat` requests after one warm-up. Target: no page over 300 ms at 100,000 cases.

    python -m tests.benchmarks.console                         # 100,000 cases on SQLite
    python -m tests.benchmarks.console --cases 2000 --json --repeat 3
    python -m tests.benchmarks.console --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Figures (one line each): <page>_<N>_cases_<database> with ms, floor_ms, ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PASSWORD = "benchmark passphrase"
STATES_LATER = ["submitted", "accepted", "in_progress", "payment_plan", "closed_paid", "recalled"]
NAMES = ["Müller", "Dupont", "Schmidt", "Martin", "Weber", "Bernard", "Fischer", "Laurent"]
SEGMENTS = ["", "", "", "VIP", "small", "strategic"]


def build(url: str, cases: int, seed: int = 20261120) -> None:
    """A migrated claimbridge database with `cases` cases (not measured)."""
    from gateway.domain.passwords import hash_password
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade
    from gateway.storage.models import (
        CaseApprovalRow,
        CaseEventRow,
        CaseItemRow,
        CaseRow,
        DebtorRow,
        OpenItemRow,
        UserRow,
    )

    store = create_store(url)
    upgrade(store.engine)
    rng = random.Random(seed)
    debtors = max(cases // 2, 1)
    with store.engine.begin() as connection:
        connection.execute(
            insert(UserRow),
            [
                {
                    "name": name,
                    "role": "accounting",
                    "active": True,
                    "created_at": NOW,
                    "password_hash": hash_password(PASSWORD),
                    "password_changed_at": NOW,
                }
                for name in ("alice", "bob")
            ]
            + [
                {
                    "name": "ivan",
                    "role": "it",
                    "active": True,
                    "created_at": NOW,
                    "password_hash": hash_password(PASSWORD),
                    "password_changed_at": NOW,
                }
            ],
        )
        batch: list[dict[str, Any]] = []
        for n in range(debtors):
            batch.append(
                {
                    "source": "erp",
                    "number": f"{100000 + n}",
                    "name": f"{rng.choice(NAMES)} {n} GmbH",
                    "segment": rng.choice(SEGMENTS),
                    "country": rng.choice(["DE", "FR", "AT"]),
                    "updated_at": NOW,
                }
            )
            if len(batch) == 5000:
                connection.execute(insert(DebtorRow), batch)
                batch = []
        if batch:
            connection.execute(insert(DebtorRow), batch)
    item_id = 0
    with store.engine.begin() as connection:
        for start in range(0, cases, 5000):
            case_rows, items, links, events, approvals = [], [], [], [], []
            for case_id in range(start + 1, min(start + 5000, cases) + 1):
                debtor = f"{100000 + (case_id - 1) % debtors}"
                currency = "EUR" if case_id % 10 else rng.choice(["CHF", "JPY", "GBP"])
                waiting = rng.random() < 0.6
                state = (
                    rng.choice(["selected", "selected", "on_hold"])
                    if waiting
                    else (rng.choice(STATES_LATER))
                )
                due = AS_OF - timedelta(days=rng.randint(30, 400))
                total = 0
                for line in range(2):
                    item_id += 1
                    amount = rng.randint(5_000, 2_000_000)
                    total += amount
                    items.append(
                        {
                            "id": item_id,
                            "source": "erp",
                            "company_code": rng.choice(["1000", "2000", "3000"]),
                            "document_number": f"18{item_id:08d}",
                            "fiscal_year": 2026,
                            "line_item": f"{line + 1:03d}",
                            "debtor_number": debtor,
                            "document_date": due - timedelta(days=30),
                            "posting_date": due - timedelta(days=30),
                            "net_due_date": due + timedelta(days=line * 10),
                            "currency": currency,
                            "amount_minor": amount,
                            "open_amount_minor": amount,
                            "dunning_level": 3,
                            "is_open": state != "closed_paid",
                            "first_seen_transfer_id": 1,
                            "last_seen_transfer_id": 1,
                            "last_seen_line": item_id,
                            "updated_at": NOW,
                        }
                    )
                    links.append(
                        {
                            "case_id": case_id,
                            "item_id": item_id,
                            "position": line,
                            "handed_over_minor": amount,
                        }
                    )
                required = 2 if total > 2_000_000 else 1
                case_rows.append(
                    {
                        "id": case_id,
                        "reference": f"CB-{case_id:07d}",
                        "agency": rng.choice(["acme", "acme-fr"]),
                        "source": "erp",
                        "debtor_number": debtor,
                        "currency": currency,
                        "state": state,
                        "policy": "standard",
                        "approvals_required": required,
                        "claims_as_of": AS_OF,
                        "oldest_due_date": due,
                        "handed_over_minor": total,
                        "needs_attention": False,
                        "created_at": NOW - timedelta(minutes=cases - case_id),
                        "updated_at": NOW,
                    }
                )
                for k, kind in enumerate(["selected", "message", "payment"]):
                    events.append(
                        {
                            "case_id": case_id,
                            "origin": "gateway" if k == 0 else "agency",
                            "external_id": f"e{k}",
                            "kind": kind,
                            "occurred_at": NOW - timedelta(days=3 - k),
                            "received_at": NOW,
                            "amount_minor": 1000 if kind == "payment" else 0,
                            "principal_minor": 1000 if kind == "payment" else 0,
                            "note": "policy standard (version 0123456789ab); default agency",
                            "effect": "applied",
                        }
                    )
                if required == 2 and rng.random() < 0.3:
                    approvals.append(
                        {
                            "case_id": case_id,
                            "decision_id": f"d{case_id}",
                            "approver": "bob",
                            "approver_key": "bob",
                            "approved_at": NOW,
                        }
                    )
            connection.execute(insert(OpenItemRow), items)
            connection.execute(insert(CaseRow), case_rows)
            connection.execute(insert(CaseItemRow), links)
            connection.execute(insert(CaseEventRow), events)
            if approvals:
                connection.execute(insert(CaseApprovalRow), approvals)
    _operations(store.engine, cases, rng, item_id)
    with store.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    store.dispose()


def _operations(engine: Any, cases: int, rng: random.Random, last_item_id: int) -> None:
    """What IT's pages read, in proportion to the cases: a transfer log (one transfer per ten
    cases, some failed, some with rejected records), the outbox (two messages per case, mostly
    delivered, some waiting, some dead), job runs, alerts; and open items not yet in a case
    (one per ten cases) for the dry run to consider."""
    from gateway.storage.models import (
        AlertStateRow,
        JobRunRow,
        OpenItemRow,
        OutboxMessageRow,
        QuarantinedRecordRow,
        TransferRow,
    )

    kinds = ["open_items", "handover", "agency_updates", "writeback", "notices"]
    with engine.begin() as connection:
        transfers, rejected = [], []
        for n in range(1, max(cases // 10, 1) + 1):
            status = rng.choices(["ok", "partial", "failed"], [90, 8, 2])[0]
            kind = kinds[n % len(kinds)]
            transfers.append(
                {
                    "id": n,
                    "direction": "inbound"
                    if kind in ("open_items", "agency_updates")
                    else "outbound",
                    "kind": kind,
                    "channel": "sftp",
                    "partner": "erp" if kind in ("open_items", "writeback") else "acme",
                    "location": f"file_{n}.csv",
                    "status": status,
                    "records": rng.randint(10, 5000),
                    "rejected": 20 if status == "partial" else 0,
                    "error": "connection refused" if status == "failed" else "",
                    "summary": "",
                    "started_at": NOW - timedelta(minutes=cases // 10 - n),
                    "finished_at": NOW - timedelta(minutes=cases // 10 - n),
                    "owner": "",
                }
            )
            if status == "partial":
                rejected += [
                    {
                        "transfer_id": n,
                        "partner": "erp",
                        "location": f"file_{n}.csv",
                        "position": str(line),
                        "fields": "currency",
                        "reason": "unknown currency 'XXX'",
                        "raw": json.dumps(["1000", f"18{line:08d}", "XXX"]),
                        "created_at": NOW,
                    }
                    for line in range(2, 22)
                ]
        connection.execute(insert(TransferRow), transfers)
        for start in range(0, len(rejected), 5000):
            connection.execute(insert(QuarantinedRecordRow), rejected[start : start + 5000])
        messages = []
        for n in range(1, 2 * cases + 1):
            status = rng.choices(["delivered", "pending", "dead"], [90, 8, 2])[0]
            messages.append(
                {
                    "id": n,
                    "kind": "erp_action" if n % 4 else "agency_notice",
                    "destination": "erp" if n % 4 else "acme",
                    "ordering_key": f"erp:1000:18{n:08d}",
                    "message_key": f"m{n}",
                    "payload": {"kind": "add_note", "case_reference": f"CB-{n // 2 + 1:07d}"},
                    "status": status,
                    "attempts": 8 if status == "dead" else 1,
                    "next_attempt_at": NOW,
                    "last_error": "write-back folder unavailable" if status == "dead" else "",
                    "created_at": NOW,
                    "delivered_at": NOW if status == "delivered" else None,
                }
            )
            if len(messages) == 5000:
                connection.execute(insert(OutboxMessageRow), messages)
                messages = []
        if messages:
            connection.execute(insert(OutboxMessageRow), messages)
        runs = max(cases // 20, 1)
        connection.execute(
            insert(JobRunRow),
            [
                {
                    "job": "daily-cycle",
                    "kind": "cycle",
                    "target": None,
                    "trigger": "schedule",
                    "slot": NOW - timedelta(hours=runs - n),
                    "attempt": 1,
                    "owner": "bench",
                    "status": "failed" if n % 50 == 0 else "ok",
                    "started_at": NOW - timedelta(hours=runs - n),
                    "finished_at": NOW - timedelta(hours=runs - n),
                    "counts": {"transfers": 5},
                    "error": "",
                }
                for n in range(runs)
            ],
        )
        connection.execute(
            insert(AlertStateRow),
            [
                {
                    "key": f"transfer_failed:erp:inbound:{kind}",
                    "kind": "transfer_failed",
                    "firing": n % 2 == 0,
                    "since": NOW,
                    "summary": f"{kind} failed",
                    "notice_pending": False,
                    "notified_at": NOW,
                    "updated_at": NOW,
                }
                for n, kind in enumerate(kinds)
            ],
        )
        debtors = max(cases // 2, 1)
        candidates = []
        for n in range(max(cases // 10, 1)):
            item = last_item_id + n + 1
            due = AS_OF - timedelta(days=rng.randint(0, 200))
            amount = rng.randint(1_000, 500_000)
            candidates.append(
                {
                    "id": item,
                    "source": "erp",
                    "company_code": rng.choice(["1000", "2000"]),
                    "document_number": f"19{item:08d}",
                    "fiscal_year": 2026,
                    "line_item": "001",
                    "debtor_number": f"{100000 + rng.randrange(debtors)}",
                    "document_date": due - timedelta(days=30),
                    "posting_date": due - timedelta(days=30),
                    "net_due_date": due,
                    "currency": "EUR",
                    "amount_minor": amount,
                    "open_amount_minor": amount,
                    "dunning_level": rng.randint(0, 4),
                    "is_open": True,
                    "first_seen_transfer_id": 1,
                    "last_seen_transfer_id": 1,
                    "last_seen_line": item,
                    "updated_at": NOW,
                }
            )
            if len(candidates) == 5000:
                connection.execute(insert(OpenItemRow), candidates)
                candidates = []
        if candidates:
            connection.execute(insert(OpenItemRow), candidates)


def _config(folder: Path, url: str) -> Any:
    from gateway.config import load_config
    from gateway.sample.init import init_folder

    config_path = init_folder(folder / "ws", AS_OF)
    return load_config(config_path, environ={"CLAIMBRIDGE_DATABASE_URL": url})


def _timed(run: Callable[[], Any], repeat: int) -> float:
    run()  # warm-up: caches, compiled statements, templates
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(url: str, cases: int, repeat: int) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from gateway.api import create_app
    from gateway.storage.database import create_store

    store = create_store(url)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(_config(Path(tmp), url), store)
        client = _signed_in(TestClient(app), "alice")
        operator = _signed_in(TestClient(app), "ivan")
        middle = cases // 2
        debtor = f"{100000 + middle % max(cases // 2, 1)}"
        name_part = f" {middle % max(cases // 2, 1)} gmbh"
        document = f"18{middle * 2:08d}"
        waiting = "('selected','on_hold')"
        case_cols = "c.*, d.name, d.segment"
        join = "cases c LEFT JOIN debtors d ON d.source = c.source AND d.number = c.debtor_number"
        pages: list[tuple[str, str, str]] = [
            (
                "work_list",
                "/ui/cases",
                f"SELECT {case_cols} FROM {join} WHERE c.state IN {waiting} "  # noqa: S608
                "ORDER BY c.id DESC LIMIT 51",
            ),
            (
                "work_list_page_deep",
                f"/ui/cases?cursor={_cursor('newest', middle, middle)}",
                f"SELECT {case_cols} FROM {join} WHERE c.state IN {waiting} AND c.id < {middle} "  # noqa: S608
                "ORDER BY c.id DESC LIMIT 51",
            ),
            (
                "work_list_by_amount",
                "/ui/cases?sort=amount",
                f"SELECT {case_cols} FROM {join} WHERE c.state IN {waiting} "  # noqa: S608
                "ORDER BY c.handed_over_minor DESC, c.id DESC LIMIT 51",
            ),
            (
                "work_list_by_age",
                "/ui/cases?sort=age",
                f"SELECT {case_cols} FROM {join} WHERE c.state IN {waiting} "  # noqa: S608
                "ORDER BY c.oldest_due_date, c.id LIMIT 51",
            ),
            (
                "work_list_by_debtor",
                "/ui/cases?sort=debtor",
                f"SELECT {case_cols} FROM {join} WHERE c.state IN {waiting} "  # noqa: S608
                "ORDER BY d.name, c.id LIMIT 51",
            ),
            (
                "work_list_filtered",
                "/ui/cases?agency=acme&currency=EUR&company_code=2000&segment=VIP"
                "&amount_min=1000&age_min=60",
                f"SELECT {case_cols} FROM {join} WHERE c.state IN {waiting} AND c.agency = 'acme' "  # noqa: S608
                "AND c.currency = 'EUR' AND d.segment = 'VIP' AND c.handed_over_minor >= 100000 "
                f"AND c.oldest_due_date <= '{AS_OF - timedelta(days=60)}' AND c.id IN (SELECT "
                "ci.case_id FROM case_items ci JOIN open_items oi ON oi.id = ci.item_id "
                "WHERE oi.company_code = '2000') ORDER BY c.id DESC LIMIT 51",
            ),
            (
                "work_list_search_name",
                f"/ui/cases?q={name_part.strip().replace(' ', '+')}",
                f"SELECT {case_cols} FROM {join} WHERE c.state IN {waiting} AND "  # noqa: S608
                f"lower(d.name) LIKE '%{name_part.strip()}%' ORDER BY c.id DESC LIMIT 51",
            ),
            (
                "work_list_search_document",
                f"/ui/cases?q={document}&filtered=1",
                f"SELECT {case_cols} FROM {join} WHERE c.id IN (SELECT ci.case_id FROM "  # noqa: S608
                "case_items ci JOIN open_items oi ON oi.id = ci.item_id WHERE "
                f"oi.document_number = '{document}') ORDER BY c.id DESC LIMIT 51",
            ),
            (
                "case_page",
                f"/ui/cases/CB-{middle:07d}",
                f"SELECT * FROM case_events WHERE case_id = {middle} ORDER BY id",  # noqa: S608
            ),
            (
                "why_selected",
                f"/ui/cases/CB-{middle:07d}/why",
                "SELECT oi.* FROM case_items ci JOIN open_items oi ON oi.id = ci.item_id "  # noqa: S608
                f"WHERE ci.case_id = {middle}",
            ),
            (
                "debtor_sheet",
                f"/ui/debtors/erp/{debtor}",
                f"SELECT * FROM open_items WHERE source = 'erp' AND debtor_number = '{debtor}' "  # noqa: S608
                "AND is_open ORDER BY net_due_date, id",
            ),
        ]
        with store.engine.connect() as connection:
            partial = connection.exec_driver_sql(
                "SELECT min(id) FROM transfers WHERE status = 'partial'"
            ).scalar()
        day = NOW.date().isoformat()
        it_pages: list[tuple[str, str, str]] = [
            (
                "transfer_log",
                "/ui/transfers",
                "SELECT * FROM transfers ORDER BY id DESC LIMIT 51",
            ),
            (
                "transfer_log_failed_writeback",
                "/ui/transfers?status=failed&kind=writeback",
                "SELECT * FROM transfers WHERE status = 'failed' AND kind = 'writeback' "
                "ORDER BY id DESC LIMIT 51",
            ),
            (
                "transfer_log_partner_day",
                f"/ui/transfers?partner=acme&since={day}&until={day}",
                "SELECT * FROM transfers WHERE partner = 'acme' AND started_at >= "  # noqa: S608
                f"'{day}' ORDER BY id DESC LIMIT 51",
            ),
            (
                "transfer_page",
                f"/ui/transfers/{partial}",
                f"SELECT * FROM quarantined_records WHERE transfer_id = {partial} ORDER BY id",  # noqa: S608
            ),
            (
                "outbox_dead_letters",
                "/ui/outbox",
                "SELECT * FROM outbox WHERE status = 'dead' ORDER BY id LIMIT 51",
            ),
            (
                "outbox_waiting_erp",
                "/ui/outbox?list=pending&destination=erp",
                "SELECT * FROM outbox WHERE status = 'pending' AND lease_owner IS NULL AND "
                "destination = 'erp' ORDER BY id LIMIT 51",
            ),
            (
                "jobs",
                "/ui/jobs",
                "SELECT * FROM job_runs WHERE id IN (SELECT max(id) FROM job_runs GROUP BY job)",
            ),
            (
                "job_runs",
                "/ui/jobs/daily-cycle",
                "SELECT * FROM job_runs WHERE job = 'daily-cycle' ORDER BY id DESC LIMIT 51",
            ),
            ("alerts", "/ui/alerts", "SELECT * FROM alert_states ORDER BY key"),
        ]
        pages.append(
            (
                "dry_run",
                f"/ui/dry-run?policy=standard&as_of={AS_OF}",
                "SELECT oi.* FROM open_items oi WHERE oi.is_open AND NOT EXISTS (SELECT 1 "
                "FROM case_items ci WHERE ci.item_id = oi.id)",
            )
        )
        figures = []
        database = make_url(url).get_backend_name()
        for name, path, floor_sql, who in [
            *((n, p, f, client) for n, p, f in pages),
            *((n, p, f, operator) for n, p, f in it_pages),
        ]:

            def request(path: str = path, who: Any = who) -> None:
                answer = who.get(path)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")

            if store.engine.dialect.name == "postgresql":  # psycopg's paramstyle
                floor_sql = floor_sql.replace("%", "%%")

            def floor(sql: str = floor_sql) -> None:
                with store.engine.connect() as connection:
                    connection.exec_driver_sql(sql).fetchall()

            seconds = _timed(request, repeat)
            floor_seconds = _timed(floor, repeat)
            figures.append(
                {
                    "name": f"{name}_{cases}_cases_{database}",
                    "ms": round(seconds * 1000, 1),
                    "floor_ms": round(floor_seconds * 1000, 2),
                    "ratio": round(seconds / floor_seconds, 1) if floor_seconds else None,
                    "under_300_ms": seconds < 0.3,
                }
            )
        client.close()
        operator.close()
    store.dispose()
    return figures


def _signed_in(client: Any, name: str) -> Any:
    page = client.get("/ui/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    signed = client.post(
        "/ui/login",
        data={"name": name, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return client


def _cursor(sort: str, value: Any, case_id: int) -> str:
    import base64

    raw = json.dumps([sort, value, case_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server URL: the benchmark creates and drops a database of its own "
        "there (default: a SQLite file in a temporary folder)",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    with tempfile.TemporaryDirectory() as tmp:
        admin = None
        if args.database_url:
            name = f"cbbench_{random.randrange(1 << 30)}"
            admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.database_url).set(database=name).render_as_string(False)
        else:
            url = f"sqlite:///{Path(tmp) / 'console.db'}"
        try:
            started = time.perf_counter()
            build(url, args.cases)
            if not args.json:
                print(f"built {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
            figures = measure(url, args.cases, args.repeat)
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    for figure in figures:
        if args.json:
            print(json.dumps(figure))
        else:
            flag = "" if figure["under_300_ms"] else "   OVER 300 ms"
            print(
                f"{figure['name']:<48} {figure['ms']:>8.1f} ms   "
                f"floor {figure['floor_ms']:>8.2f} ms   ratio {figure['ratio']}{flag}"
            )


if __name__ == "__main__":
    main()
