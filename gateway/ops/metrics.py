"""Prometheus metrics: what this process did, and the state of the store.

Two kinds, and they add up differently when several claimbridge processes run:

- counters and histograms of this process (`*_total`, `claimbridge_job_duration_seconds`):
  incremented as this process runs jobs; each process counts only its own work and starts from
  zero when it starts. Across processes, add them up: `sum by (source)
  (rate(claimbridge_items_extracted_total[1h]))`.
- gauges read from the store when /metrics is scraped (outbox depth, dead letters, last
  success per partner and direction, cases per state, jobs running, alerts firing): the same
  on every process, because they come from the one database. Across processes, take one:
  `max by (destination) (claimbridge_outbox_messages{status="dead"})`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.pipeline import RunSummary
from gateway.storage.database import Store
from gateway.storage.models import (
    AlertStateRow,
    CaseRow,
    JobLeaseRow,
    JobRunRow,
    OutboxMessageRow,
    TransferRow,
    utcnow,
)

__all__ = [
    "PROCESS_REGISTRY",
    "StoreCollector",
    "exposition",
    "observe_alert_notice",
    "observe_job",
    "observe_summary",
]

PROCESS_REGISTRY = CollectorRegistry()
ProcessCollector(registry=PROCESS_REGISTRY)
PlatformCollector(registry=PROCESS_REGISTRY)
GCCollector(registry=PROCESS_REGISTRY)

ITEMS_EXTRACTED = Counter(
    "claimbridge_items_extracted",
    "Open items taken from ERP snapshots by this process.",
    ["source"],
    registry=PROCESS_REGISTRY,
)
RECORDS_QUARANTINED = Counter(
    "claimbridge_records_quarantined",
    "Records set aside with their reason by this process (bad lines of exports and agency files).",
    ["partner", "kind"],
    registry=PROCESS_REGISTRY,
)
ITEMS_SELECTED = Counter(
    "claimbridge_items_selected",
    "Open items selected into new cases by this process.",
    ["policy"],
    registry=PROCESS_REGISTRY,
)
CASES_HANDED_OVER = Counter(
    "claimbridge_cases_handed_over",
    "Cases delivered to agencies by this process.",
    ["agency"],
    registry=PROCESS_REGISTRY,
)
EVENTS_RECEIVED = Counter(
    "claimbridge_agency_events_received",
    "Agency status and payment records read by this process, by what became of them.",
    ["agency", "outcome"],
    registry=PROCESS_REGISTRY,
)
MESSAGES_DELIVERED = Counter(
    "claimbridge_messages_delivered",
    "Outbox messages delivered by this process (ERP write-back actions, agency notices).",
    ["kind", "destination"],
    registry=PROCESS_REGISTRY,
)
TRANSFER_FAILURES = Counter(
    "claimbridge_transfer_failures",
    "Transfers that failed in runs of this process.",
    ["partner", "direction", "kind"],
    registry=PROCESS_REGISTRY,
)
JOB_RUNS = Counter(
    "claimbridge_job_runs",
    "Runs of scheduled jobs by this process, by outcome (ok, failed, missed).",
    ["job", "outcome"],
    registry=PROCESS_REGISTRY,
)
JOB_DURATION = Histogram(
    "claimbridge_job_duration_seconds",
    "How long runs of scheduled jobs took in this process.",
    ["job"],
    buckets=(0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200),
    registry=PROCESS_REGISTRY,
)
ALERT_NOTICES = Counter(
    "claimbridge_alert_notifications",
    "Alert notifications sent by this process, by channel and outcome.",
    ["channel", "outcome"],
    registry=PROCESS_REGISTRY,
)


def observe_summary(summary: RunSummary) -> None:
    """Count what a run of pipeline steps did."""
    for snapshot in summary.extraction:
        ITEMS_EXTRACTED.labels(snapshot.source).inc(snapshot.accepted)
        if snapshot.quarantined:
            RECORDS_QUARANTINED.labels(snapshot.source, "open_items").inc(snapshot.quarantined)
        if snapshot.status == "failed":
            TRANSFER_FAILURES.labels(snapshot.source, "inbound", "open_items").inc()
    for selection in summary.selection:
        ITEMS_SELECTED.labels(selection.policy).inc(selection.selected_items)
    for handover in summary.handover:
        if handover.status == "delivered":
            CASES_HANDED_OVER.labels(handover.agency).inc(handover.cases)
        elif handover.status == "failed":
            TRANSFER_FAILURES.labels(handover.agency, "outbound", "handover").inc()
    for update in summary.updates:
        EVENTS_RECEIVED.labels(update.agency, "applied").inc(update.applied)
        EVENTS_RECEIVED.labels(update.agency, "duplicate").inc(update.duplicates)
        EVENTS_RECEIVED.labels(update.agency, "quarantined").inc(update.quarantined)
        if update.quarantined:
            RECORDS_QUARANTINED.labels(update.agency, "agency_updates").inc(update.quarantined)
        if update.status == "failed":
            TRANSFER_FAILURES.labels(update.agency, "inbound", "agency_updates").inc()
    for relayed in (*summary.writeback, *summary.notices):
        MESSAGES_DELIVERED.labels(relayed.kind, relayed.destination).inc(relayed.delivered)
        if relayed.error and not relayed.delivered:
            TRANSFER_FAILURES.labels(relayed.destination, "outbound", relayed.kind).inc()


def observe_job(job: str, outcome: str, seconds: float | None) -> None:
    JOB_RUNS.labels(job, outcome).inc()
    if seconds is not None:
        JOB_DURATION.labels(job).observe(seconds)


def observe_alert_notice(channel: str, ok: bool) -> None:
    ALERT_NOTICES.labels(channel, "sent" if ok else "failed").inc()


def _rows(session: Session, query: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in session.execute(query)]


def _epoch(value: object) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else 0.0


class StoreCollector(Collector):
    """Gauges read from the store at scrape time (a few grouped queries)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.perf_counter()
        up = GaugeMetricFamily(
            "claimbridge_store_up", "Whether the last scrape could read the database."
        )
        try:
            families = list(self._families())
        except Exception:  # noqa: BLE001 - a scrape reports the database down, it never fails
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
        took = GaugeMetricFamily(
            "claimbridge_store_scrape_seconds", "How long reading the store gauges took."
        )
        took.add_metric([], time.perf_counter() - started)
        yield took

    def _families(self) -> Iterator[GaugeMetricFamily]:
        with self.store.unit_of_work(read_only=True) as session:
            outbox = GaugeMetricFamily(
                "claimbridge_outbox_messages",
                "Outbox messages waiting (pending) or given up (dead), from the store.",
                labels=["kind", "destination", "status"],
            )
            rows = _rows(
                session,
                select(
                    OutboxMessageRow.kind,
                    OutboxMessageRow.destination,
                    OutboxMessageRow.status,
                    func.count(),
                )
                .where(OutboxMessageRow.status.in_(["pending", "dead"]))
                .group_by(
                    OutboxMessageRow.kind, OutboxMessageRow.destination, OutboxMessageRow.status
                ),
            )
            for kind, destination, status, count in rows:
                outbox.add_metric([kind, destination, status], count)
            yield outbox

            last = GaugeMetricFamily(
                "claimbridge_last_success_timestamp_seconds",
                "When a transfer with the partner in that direction last succeeded (Unix time).",
                labels=["partner", "direction"],
            )
            rows = _rows(
                session,
                select(
                    TransferRow.partner, TransferRow.direction, func.max(TransferRow.finished_at)
                )
                .where(TransferRow.status.in_(["ok", "partial"]))
                .group_by(TransferRow.partner, TransferRow.direction),
            )
            for partner, direction, when in rows:
                last.add_metric([partner, direction], _epoch(when))
            yield last

            failed = GaugeMetricFamily(
                "claimbridge_transfers_failed_since_success",
                "Failed transfers with the partner in that direction since its last success.",
                labels=["partner", "direction"],
            )
            ok_ids = (
                select(
                    TransferRow.partner,
                    TransferRow.direction,
                    func.max(TransferRow.id).label("ok_id"),
                )
                .where(TransferRow.status.in_(["ok", "partial"]))
                .group_by(TransferRow.partner, TransferRow.direction)
                .subquery()
            )
            rows = _rows(
                session,
                select(TransferRow.partner, TransferRow.direction, func.count())
                .select_from(TransferRow)
                .outerjoin(
                    ok_ids,
                    (ok_ids.c.partner == TransferRow.partner)
                    & (ok_ids.c.direction == TransferRow.direction),
                )
                .where(
                    TransferRow.status == "failed",
                    (ok_ids.c.ok_id.is_(None)) | (TransferRow.id > ok_ids.c.ok_id),
                )
                .group_by(TransferRow.partner, TransferRow.direction),
            )
            for partner, direction, count in rows:
                failed.add_metric([partner, direction], count)
            yield failed

            cases = GaugeMetricFamily(
                "claimbridge_cases", "Cases by agency and state.", labels=["agency", "state"]
            )
            rows = _rows(
                session,
                select(CaseRow.agency, CaseRow.state, func.count()).group_by(
                    CaseRow.agency, CaseRow.state
                ),
            )
            for agency, state, count in rows:
                cases.add_metric([agency, state], count)
            yield cases

            now = utcnow()
            running = GaugeMetricFamily(
                "claimbridge_job_running",
                "Whether a run of the job holds its lease.",
                labels=["job"],
            )
            for name, until in session.execute(select(JobLeaseRow.name, JobLeaseRow.lease_until)):
                running.add_metric([name], 1 if until is not None and until > now else 0)
            yield running

            job_ok = GaugeMetricFamily(
                "claimbridge_job_last_success_timestamp_seconds",
                "When a run of the job last finished successfully (Unix time).",
                labels=["job"],
            )
            rows = _rows(
                session,
                select(JobRunRow.job, func.max(JobRunRow.finished_at))
                .where(JobRunRow.status == "ok")
                .group_by(JobRunRow.job),
            )
            for job, when in rows:
                job_ok.add_metric([job], _epoch(when))
            yield job_ok

            alerts = GaugeMetricFamily(
                "claimbridge_alerts_firing", "Alert conditions firing, by kind.", labels=["kind"]
            )
            rows = _rows(
                session,
                select(AlertStateRow.kind, func.count())
                .where(AlertStateRow.firing.is_(True))
                .group_by(AlertStateRow.kind),
            )
            for kind, count in rows:
                alerts.add_metric([kind], count)
            yield alerts


def exposition(store_registry: CollectorRegistry | None) -> bytes:
    """The text format of this process's metrics, then the store's."""
    text = generate_latest(PROCESS_REGISTRY)
    if store_registry is not None:
        text += generate_latest(store_registry)
    return text
