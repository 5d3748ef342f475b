"""Several `claimbridge worker` processes on one database (SQLite, or PostgreSQL with
CLAIMBRIDGE_TEST_DATABASE_URL): each slot of a job runs exactly once; a worker killed in the
middle of a run loses it to another once its lease has expired, and nothing is done twice."""

from __future__ import annotations

import csv
import json
import os
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from gateway.sample import SAMPLE_FACTS, sample_export
from gateway.storage.database import Store
from gateway.storage.models import (
    CaseEventRow,
    CaseRow,
    JobLeaseRow,
    JobRunRow,
    OpenItemRow,
    ReceivedFileRow,
    TransferRow,
)
from tests.benchmarks.extract import generate
from tests.conftest import TODAY, Workspace
from tests.integration.alert_servers import (
    ALERT_ENV,
    SMTP_PASSWORD,
    WEBHOOK_TOKEN,
    Mailbox,
    Webhook,
    alerts_section,
)
from tests.integration.workers import (
    Worker,
    free_port,
    stop_all,
    wait_for,
    wait_until_ready,
)

# the SMTP server on loopback takes passwords without TLS, on purpose
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def set_schedules(workspace: Workspace, schedules: str) -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    text = text[: text.index("schedules:")] + schedules
    workspace.config_path.write_text(text, encoding="utf-8")


def start_workers(workspace: Workspace, count: int, tmp_path: Path, **kw: object) -> list[Worker]:
    workers = [
        Worker(workspace.config_path, workspace.database_url, tmp_path / f"worker{i}.log", **kw)  # type: ignore[arg-type]
        for i in range(count)
    ]
    wait_until_ready(workers)
    return workers


def runs(store: Store, job: str) -> list[JobRunRow]:
    with store.unit_of_work(read_only=True) as session:
        return list(
            session.scalars(select(JobRunRow).where(JobRunRow.job == job).order_by(JobRunRow.id))
        )


@pytest.mark.parametrize("processes", [2, 3])
def test_every_slot_runs_exactly_once(
    workspace: Workspace, store: Store, tmp_path: Path, processes: int
) -> None:
    set_schedules(
        workspace,
        """schedules:
  relay:
    job: notices
    cron: "* * * * * *"
    lease: 10s
    misfire_grace: 5s
""",
    )
    workers = start_workers(workspace, processes, tmp_path)
    try:
        # several slots once every worker is up
        first = datetime.now().astimezone()
        wait_for(
            lambda: len([r for r in runs(store, "relay") if r.slot > first]) >= 6,
            60,
            "six slots after all workers started",
        )
    finally:
        stop_all(workers)
    history = runs(store, "relay")
    started = Counter(
        line["event"].split("slot ")[1].split(",")[0]
        for worker in workers
        for line in worker.lines()
        if line.get("event", "").startswith("job relay started")
    )
    # what every process logged it started: each slot once, across all processes
    assert started and max(started.values()) == 1, started
    ok = [r for r in history if r.status == "ok"]
    assert len(ok) == len(started) and {r.slot.isoformat() for r in ok} == set(started)
    # one decision per slot, and no slot left out between the first and the last
    slots = [r.slot for r in history]
    assert len(slots) == len(set(slots))
    seconds = sorted(int(s.timestamp()) for s in slots)
    assert seconds == list(range(seconds[0], seconds[-1] + 1))
    assert {r.status for r in history} <= {"ok", "missed"}
    assert len(ok) >= 6
    assert {r.attempt for r in history} == {1}


def _pid(owner: str) -> int:
    return int(owner.split(":")[1])


def test_a_killed_worker_loses_its_run_to_another_and_nothing_is_done_twice(
    workspace: Workspace, store: Store, tmp_path: Path
) -> None:
    exports = workspace.path("erp", "exports")
    for old in exports.glob("*.csv"):
        old.unlink()
    # Written beside the exports now, moved in once every worker is up: a worker that starts
    # early must not extract it before the others can take over.
    waiting = tmp_path / "open_items_big.csv"
    generate(waiting, 20_000)
    # A long extraction to be killed in, then a few hundred cases (not thousands) to hand over.
    text = workspace.config_path.read_text(encoding="utf-8")
    text = text.replace('min_amount: "50.00"', 'min_amount: "49000.00"')
    workspace.config_path.write_text(text, encoding="utf-8")
    set_schedules(
        workspace,
        """schedules:
  cycle:
    job: cycle
    cron: "*/10 * * * * *"
    lease: 6s
    misfire_grace: 60s
""",
    )
    workers = start_workers(workspace, 3, tmp_path)
    by_pid = {w.pid: w for w in workers}
    killed: Worker | None = None
    os.replace(waiting, exports / "open_items_big.csv")

    def extracting() -> TransferRow | None:
        with store.unit_of_work(read_only=True) as session:
            return session.scalars(
                select(TransferRow).where(
                    TransferRow.kind == "open_items",
                    TransferRow.status == "running",
                    TransferRow.run_id.is_not(None),
                )
            ).first()

    try:
        transfer = wait_for(extracting, 60, "the extraction of the big export to start", 0.02)
        with store.unit_of_work(read_only=True) as session:
            first = session.get(JobRunRow, transfer.run_id)
            assert first is not None and first.status == "running"
            killed = by_pid[_pid(first.owner)]
            slot = first.slot
        killed.kill()
        killed_at = time.monotonic()

        def taken_over() -> JobRunRow | None:
            for run in runs(store, "cycle"):
                if run.slot == slot and run.attempt == 2 and run.status != "running":
                    return run
            return None

        second = wait_for(taken_over, 120, "the run to be taken over and finished")
        waited = time.monotonic() - killed_at
    finally:
        stop_all([w for w in workers if w is not killed])

    history = [r for r in runs(store, "cycle") if r.slot == slot]
    assert [(r.attempt, r.status, r.trigger) for r in history] == [
        (1, "abandoned", "schedule"),
        (2, "ok", "takeover"),
    ]
    assert history[0].owner == first.owner and "stopped renewing its lease" in history[0].error
    assert second.owner != first.owner and second.counts["items_accepted"] > 0
    # the lease (6 s) had to expire first
    assert waited >= 4

    with store.unit_of_work(read_only=True) as session:
        big = list(
            session.scalars(
                select(TransferRow)
                .where(TransferRow.location == "open_items_big.csv")
                .order_by(TransferRow.id)
            )
        )
        # the killed attempt's transfer is marked failed; the file is taken once, by the new run
        assert big[0].id == transfer.id and big[0].status == "failed"
        assert big[0].error.startswith("abandoned:")
        taken = [t for t in big if t.status in ("ok", "partial")]
        assert len(taken) == 1 and taken[0].run_id == second.id
        assert session.scalar(select(func.count()).select_from(ReceivedFileRow)) == 1
        items = session.scalar(select(func.count()).select_from(OpenItemRow))
        assert items == taken[0].records == second.counts["items_accepted"]
        cases = session.scalar(select(func.count()).select_from(CaseRow))
        assert cases == second.counts["cases_created"] > 0
        submitted = Counter(
            session.scalars(select(CaseEventRow.case_id).where(CaseEventRow.kind == "submitted"))
        )
        assert len(submitted) == cases and set(submitted.values()) == {1}

    # the agency received each case once; the ERP each action once
    handed_over = [
        row["case_reference"]
        for path in workspace.path("agency", "to-agency").glob("*.csv")
        if not path.name.startswith("notices")
        for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    ]
    assert len(set(handed_over)) == cases
    actions = [
        row["action_id"]
        for path in workspace.path("erp", "writeback").glob("*.csv")
        for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    ]
    assert actions and len(actions) == len(set(actions))


def scrape(worker: Worker) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body = httpx.get(f"http://127.0.0.1:{worker.port}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(
    metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_workers_alert_once_per_condition_and_their_metrics_add_up(
    workspace: Workspace, store: Store, tmp_path: Path, mailbox: Mailbox, webhook: Webhook
) -> None:
    exports = workspace.path("erp", "exports")
    for old in exports.glob("*.csv"):
        old.unlink()
    # columns the mapping cannot read: the whole file is refused, the transfer fails
    (exports / "open_items_broken.csv").write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    set_schedules(
        workspace,
        """schedules:
  extract:
    job: extract
    cron: "* * * * * *"
    lease: 10s
    misfire_grace: 5s
"""
        + alerts_section(mailbox, webhook),
    )
    workers = [
        Worker(
            workspace.config_path,
            workspace.database_url,
            tmp_path / f"worker{i}.log",
            port=free_port(),
            env=ALERT_ENV,
        )
        for i in range(2)
    ]
    try:
        wait_until_ready(workers)
        key = "transfer_failed:erp:inbound:open_items"
        wait_for(lambda: webhook.bodies("firing"), 30, "the webhook to hear of the failure")
        wait_for(lambda: mailbox.messages, 30, "the e-mail about the failure")
        time.sleep(3)  # both workers check the conditions every second meanwhile
        assert [b["key"] for b in webhook.calls] == [key]
        assert len(mailbox.messages) == 1
        assert mailbox.subjects()[0].startswith("[claimbridge] FIRING: inbound open_items transfer")
        assert webhook.headers[0]["Authorization"] == f"Bearer {WEBHOOK_TOKEN}"
        assert mailbox.refused_logins == 0

        (exports / "open_items_good.csv").write_bytes(sample_export(TODAY))
        wait_for(lambda: webhook.bodies("resolved"), 30, "the webhook to hear it cleared")
        wait_for(lambda: len(mailbox.messages) == 2, 30, "the e-mail that it cleared")
        time.sleep(2)
        assert [(b["key"], b["status"]) for b in webhook.calls] == [
            (key, "firing"),
            (key, "resolved"),
        ]
        assert mailbox.subjects()[1].startswith("[claimbridge] RESOLVED:")

        scraped = [scrape(w) for w in workers]
    finally:
        stop_all(workers)

    with store.unit_of_work(read_only=True) as session:
        transfers = list(
            session.scalars(select(TransferRow).where(TransferRow.kind == "open_items"))
        )
    failed = [t for t in transfers if t.status == "failed"]
    taken = [t for t in transfers if t.status in ("ok", "partial")]
    assert len(failed) == 1 and len(taken) == 1
    # counters of each process add up to what the store holds
    labels = {"partner": "erp", "direction": "inbound", "kind": "open_items"}
    assert sum(value(m, "claimbridge_transfer_failures_total", **labels) for m in scraped) == 1
    assert (
        sum(value(m, "claimbridge_items_extracted_total", source="erp") for m in scraped)
        == taken[0].records
        == SAMPLE_FACTS.items
    )
    # gauges from the store are the same on every process
    last = [
        value(m, "claimbridge_last_success_timestamp_seconds", partner="erp", direction="inbound")
        for m in scraped
    ]
    assert last[0] == last[1] == pytest.approx(taken[0].finished_at.timestamp())  # type: ignore[union-attr]
    assert all(value(m, "claimbridge_store_up") == 1 for m in scraped)
    assert all(
        value(m, "claimbridge_job_duration_seconds_count", job="extract") >= 0 for m in scraped
    )
    assert (
        sum(value(m, "claimbridge_job_duration_seconds_count", job="extract") for m in scraped) > 0
    )

    logs = [line for w in workers for line in w.lines()]
    text = "\n".join(json.dumps(line) for line in logs)
    assert SMTP_PASSWORD not in text and WEBHOOK_TOKEN not in text
    assert any(line.get("run_id") and line.get("transfer_id") for line in logs)


def test_a_worker_told_to_stop_finishes_its_run_first(
    workspace: Workspace, store: Store, tmp_path: Path
) -> None:
    exports = workspace.path("erp", "exports")
    for old in exports.glob("*.csv"):
        old.unlink()
    generate(exports / "open_items_big.csv", 20_000)
    set_schedules(
        workspace,
        """schedules:
  extract:
    job: extract
    cron: "* * * * * *"
""",
    )
    (worker,) = start_workers(workspace, 1, tmp_path)

    def extracting() -> TransferRow | None:
        with store.unit_of_work(read_only=True) as session:
            return session.scalars(
                select(TransferRow).where(TransferRow.status == "running")
            ).first()

    try:
        transfer = wait_for(extracting, 60, "the extraction to start", 0.02)
    finally:
        assert worker.stop() == 0
    (run,) = [r for r in runs(store, "extract") if r.id == transfer.run_id]
    assert run.status == "ok" and run.counts["items_accepted"] == 20_000
    with store.unit_of_work(read_only=True) as session:
        done = session.get(TransferRow, transfer.id)
        assert done is not None and done.status == "ok"
        lease = session.get(JobLeaseRow, "extract")
        assert lease is not None and lease.lease_until is None
