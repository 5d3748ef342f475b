"""Ingest benchmark: agency status events posted to a real `claimbridge serve` (one uvicorn
worker, in its own process) on SQLite and on PostgreSQL, against its floor.

The floor is a bare FastAPI endpoint that reads the same JSON body and does nothing else,
served by uvicorn on the same machine in the same run, and sent the very same requests: what
HTTP, JSON and the ASGI stack cost before claimbridge does any work (authentication,
idempotency, the transfer log, the state machine, the outbox, the commit).

    python -m tests.benchmarks.ingest                        # 1,000 + 200 events (< 1 min)
    python -m tests.benchmarks.ingest --events 20000 --batch 1000 --single 2000
    python -m tests.benchmarks.ingest --events 200 --json --databases sqlite

Two ways of sending: `batch` (POST /v1/agency/events/batch, `--batch` events per request) and
`single` (POST /v1/agency/events, one event per request; `--single` of them). Events go to
`events / 4` cases, four per case (accepted, in_progress, a payment, a message), sent in that
order one request after another, as one agency's integration would. Prints per figure:
seconds, floor seconds, ratio; events per second; p50 and p99 latency per request, ours and
the floor's. PostgreSQL is measured when CLAIMBRIDGE_TEST_DATABASE_URL (or --postgres) points
at a server; otherwise it is skipped with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request

from tests.agency_server import running_module, running_server

AS_OF = date(2026, 11, 20)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# --- the floor: a bare endpoint --------------------------------------------------------------


def floor_app() -> FastAPI:
    app = FastAPI()

    @app.get("/livez")
    def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/agency/events")
    @app.post("/v1/agency/events/batch")
    async def accept(request: Request) -> dict[str, bool]:
        json.loads(await request.body())
        return {"ok": True}

    return app


def serve_floor(port: int) -> None:
    import uvicorn

    uvicorn.run(floor_app(), host="127.0.0.1", port=port, log_level="warning")


# --- a workspace with an API agency and many submitted cases -------------------------------


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cbbench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_unreachable(url: str) -> str:
    """Why PostgreSQL cannot be used ('' when it can)."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return ""


def prepare(folder: Path, database_url: str, cases: int) -> tuple[Path, str, list[str]]:
    """A workspace on `database_url` whose agency `acme` pulls over the API, `cases`
    submitted cases, and an API key. Returns (config path, key, case references)."""
    from gateway.config import load_config
    from gateway.domain.events import CaseEvent, EventKind, EventOrigin
    from gateway.pipeline import RunContext, Step, run_cycle
    from gateway.pipeline.cases.updates import CaseUpdater
    from gateway.sample.init import init_folder
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade
    from gateway.storage.models import utcnow
    from gateway.storage.repositories.agency_keys import AgencyKeys
    from gateway.storage.repositories.cases import CaseRepository
    from tests.conftest import Workspace, set_settle
    from tests.integration.agency_api_setup import api_agencies

    config_path = init_folder(folder, AS_OF)
    set_settle(config_path, 0)
    workspace = Workspace(folder, database_url)
    # No throttling in a throughput measurement.
    api_agencies(workspace, acme_api="      rate_limit: 1000000\n      burst: 1000000\n")
    store = create_store(database_url)
    upgrade(store.engine)
    config = load_config(config_path, environ={"CLAIMBRIDGE_DATABASE_URL": database_url})
    context = RunContext(config, store, AS_OF, lambda: datetime.now(UTC))
    run_cycle(context, (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    now = utcnow()
    references: list[str] = []
    with store.unit_of_work() as session:
        repo = CaseRepository(session)
        base = repo.by_reference("CB-0000001")
        assert base is not None
        items = [(ci.item_id, ci.handed_over_minor) for ci, _ in repo.items(base.id)]
        updater = CaseUpdater(session, context.writeback_rules, now)
        for _ in range(cases):
            case = repo.create(
                agency="acme",
                source=base.source,
                debtor_number=base.debtor_number,
                currency=base.currency,
                policy=base.policy,
                items=items,
                reference_prefix="BM",
                now=now,
            )
            for kind, origin in (
                (EventKind.APPROVED, EventOrigin.CREDITOR),
                (EventKind.SUBMITTED, EventOrigin.GATEWAY),
            ):
                updater.apply(case, CaseEvent(kind, origin, f"{kind.value}:{case.reference}", now))
            references.append(case.reference)
        key = AgencyKeys(session).issue("acme", (), now).token
    store.dispose()
    return config_path, key, references


def events_for(references: list[str], tag: str) -> list[dict[str, Any]]:
    """Four events per case, in the order they happened."""
    events: list[dict[str, Any]] = []
    for reference in references:
        base = {"case_reference": reference}
        events += [
            {**base, "event_id": f"{tag}-{reference}-1", "kind": "accepted",
             "occurred_at": "2026-11-20T09:00:00Z"},
            {**base, "event_id": f"{tag}-{reference}-2", "kind": "in_progress",
             "occurred_at": "2026-11-21T09:00:00Z"},
            {**base, "event_id": f"{tag}-{reference}-3", "kind": "payment", "amount": "120.00",
             "principal": "100.00", "interest": "15.00", "fees": "5.00", "commission": "12.00",
             "occurred_at": "2026-11-22T09:00:00Z"},
            {**base, "event_id": f"{tag}-{reference}-4", "kind": "message",
             "occurred_at": "2026-11-23T09:00:00Z", "note": "debtor called"},
        ]  # fmt: skip
    return events


# --- sending -------------------------------------------------------------------------------


def requests_for(
    events: list[dict[str, Any]], mode: str, batch: int
) -> list[tuple[str, bytes, int]]:
    if mode == "single":
        return [("/v1/agency/events", json.dumps(e).encode(), 1) for e in events]
    return [
        (
            "/v1/agency/events/batch",
            json.dumps({"events": events[i : i + batch]}).encode(),
            len(events[i : i + batch]),
        )
        for i in range(0, len(events), batch)
    ]


def send(base: str, key: str, requests: list[tuple[str, bytes, int]]) -> dict[str, float]:
    """Send the requests one after another on one keep-alive connection."""
    latencies: list[float] = []
    events = 0
    with httpx.Client(base_url=base, timeout=300) as http:
        started = time.perf_counter()
        for path, body, count in requests:
            headers = {
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Type": "application/json",
            }
            t0 = time.perf_counter()
            response = http.post(path, content=body, headers=headers)
            latencies.append(time.perf_counter() - t0)
            if response.status_code not in (200, 201):
                raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
            events += count
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "seconds": elapsed,
        "events": events,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def measure(database: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    singles = min(args.single, args.events)
    cases = (args.events + singles) // 4 + 1
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        if database == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        config_path, key, references = prepare(Path(tmp) / "ws", url, cases)
        split = args.events // 4
        plans = {
            "batch": requests_for(events_for(references[:split], "b"), "batch", args.batch),
            "single": requests_for(
                events_for(references[split : split + singles // 4], "s"), "single", args.batch
            ),
        }
        with running_module("tests.benchmarks.ingest", "--floor-server") as floor_base:
            floors = {mode: send(floor_base, key, plan) for mode, plan in plans.items()}
        with running_server(config_path, url) as base:
            ours = {mode: send(base, key, plan) for mode, plan in plans.items()}
    for mode in plans:
        o, f = ours[mode], floors[mode]
        figures.append(
            {
                "name": f"ingest_{mode}_{o['events']:.0f}_events_{database}",
                "seconds": round(o["seconds"], 3),
                "floor_seconds": round(f["seconds"], 3),
                "ratio": round(o["seconds"] / f["seconds"], 2),
                "events_per_second": round(o["events"] / o["seconds"]),
                "floor_events_per_second": round(f["events"] / f["seconds"]),
                "p50_ms": round(o["p50_ms"], 2),
                "p99_ms": round(o["p99_ms"], 2),
                "floor_p50_ms": round(f["p50_ms"], 2),
                "floor_p99_ms": round(f["p99_ms"], 2),
            }
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000, help="events sent in batches")
    parser.add_argument("--batch", type=int, default=500, help="events per batch request")
    parser.add_argument("--single", type=int, default=200, help="events sent one per request")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CLAIMBRIDGE_TEST_DATABASE_URL") or DEFAULT_PG,
        help="PostgreSQL server URL (a database of its own is created and dropped)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--floor-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        serve_floor(args.port)
        return
    if not args.json:
        print(
            f"{'benchmark':<36}{'seconds':>9}{'floor s':>9}{'ratio':>7}{'events/s':>10}"
            f"{'floor/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'fl p50':>8}{'fl p99':>8}"
        )
    for database in args.databases.split(","):
        if database == "postgresql":
            reason = postgres_unreachable(args.postgres)
            if reason:
                print(
                    f"postgresql skipped: {args.postgres} unreachable ({reason})", file=sys.stderr
                )
                continue
            with postgres_database(args.postgres) as url:
                figures = measure(database, url, args)
        else:
            figures = measure(database, "", args)
        for figure in figures:
            if args.json:
                print(json.dumps(figure))
            else:
                print(
                    f"{figure['name']:<36}{figure['seconds']:>9.2f}{figure['floor_seconds']:>9.2f}"
                    f"{figure['ratio']:>7.1f}{figure['events_per_second']:>10}"
                    f"{figure['floor_events_per_second']:>9}{figure['p50_ms']:>8.1f}"
                    f"{figure['p99_ms']:>8.1f}{figure['floor_p50_ms']:>8.1f}"
                    f"{figure['floor_p99_ms']:>8.1f}"
                )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
