"""The conditions that alert, read from the store.

    transfer_failed:PARTNER:DIRECTION:KIND  the newest finished transfer of that kind failed
    dead_letters:KIND:DESTINATION           outbox messages are dead (given up after retries)
    job_missed:JOB                          the job's newest slot was missed
    job_failed:JOB                          the job's newest run failed by itself (a step
                                            raised), not only through failed transfers
    partner_silent:PARTNER:DIRECTION        nothing succeeded with the partner in that
                                            direction for longer than its silence rule allows
    snapshot_held:SOURCE                    a snapshot of the source was held for
                                            confirmation (it would clear too much)

Each is computed from the store, so every process sees the same conditions; one clears when
the store no longer shows it (a later transfer succeeded, the dead letters were re-queued or
delivered, a later run succeeded, the partner was heard from).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.config.operations import SilenceRule
from gateway.logs import redact_text
from gateway.storage.models import JobRunRow, OutboxMessageRow, SnapshotHoldRow, TransferRow

__all__ = ["Condition", "current_conditions"]

_FINISHED = ("ok", "partial", "failed")
_KIND_NAMES = {"erp_action": "write-back actions", "agency_notice": "notices"}


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    kind: str
    summary: str


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{value.total_seconds():g}s"


def _short(text: str, limit: int = 300) -> str:
    text = redact_text(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failed_transfers(session: Session) -> list[Condition]:
    newest = (
        select(func.max(TransferRow.id))
        .where(TransferRow.status.in_(_FINISHED))
        .group_by(TransferRow.partner, TransferRow.direction, TransferRow.kind)
    )
    rows = session.scalars(
        select(TransferRow).where(TransferRow.id.in_(newest), TransferRow.status == "failed")
    )
    return [
        Condition(
            f"transfer_failed:{t.partner}:{t.direction}:{t.kind}",
            "transfer_failed",
            f"{t.direction} {t.kind} transfer {t.id} with {t.partner} failed at "
            f"{_when(t.finished_at or t.started_at)}"
            + (f" ({t.location})" if t.location else "")
            + f": {_short(t.error) or 'no error text'}",
        )
        for t in rows
    ]


def _dead_letters(session: Session) -> list[Condition]:
    message = OutboxMessageRow
    rows = session.execute(
        select(message.kind, message.destination, func.count(), func.max(message.id))
        .where(message.status == "dead")
        .group_by(message.kind, message.destination)
    )
    found = []
    for kind, destination, count, last_id in rows:
        last = session.get(OutboxMessageRow, last_id)
        error = _short(last.last_error) if last is not None else ""
        found.append(
            Condition(
                f"dead_letters:{kind}:{destination}",
                "dead_letters",
                f"{count} {_KIND_NAMES.get(kind, kind)} for {destination} are dead letters "
                f"(last error: {error or 'none recorded'}); after fixing the cause: "
                f"claimbridge outbox retry --destination {destination}",
            )
        )
    return found


def _jobs(session: Session, jobs: list[str]) -> list[Condition]:
    if not jobs:
        return []
    found = []
    for statuses, kind in (
        (("ok", "failed", "missed"), "job_missed"),
        (("ok", "failed"), "job_failed"),
    ):
        newest = (
            select(func.max(JobRunRow.id))
            .where(JobRunRow.job.in_(jobs), JobRunRow.status.in_(statuses))
            .group_by(JobRunRow.job)
        )
        wanted = "missed" if kind == "job_missed" else "failed"
        for run in session.scalars(
            select(JobRunRow).where(JobRunRow.id.in_(newest), JobRunRow.status == wanted)
        ):
            if kind == "job_failed" and not (run.counts or {}).get("step_errors", 1):
                continue  # its failed transfers alert on their own
            what = (
                f"job {run.job} missed its slot {_when(run.slot)}"
                if kind == "job_missed"
                else f"job {run.job} failed (run {run.id}, slot {_when(run.slot)})"
            )
            found.append(Condition(f"{kind}:{run.job}", kind, f"{what}: {_short(run.error)}"))
    return found


def _silent(session: Session, rules: list[SilenceRule], now: datetime) -> list[Condition]:
    found = []
    earliest = session.scalar(select(func.min(TransferRow.started_at)))
    for rule in rules:
        last = session.scalar(
            select(func.max(TransferRow.finished_at)).where(
                TransferRow.partner == rule.partner,
                TransferRow.direction == rule.direction,
                TransferRow.status.in_(("ok", "partial", "skipped")),
            )
        )
        reference = last or earliest
        if reference is None or now - reference <= rule.after:
            continue
        heard = f"last on {_when(last)}" if last else "never so far"
        found.append(
            Condition(
                f"partner_silent:{rule.partner}:{rule.direction}",
                "partner_silent",
                f"no {rule.direction} transfer with {rule.partner} succeeded for more than "
                f"{_span(rule.after)} ({heard})",
            )
        )
    return found


def _held_snapshots(session: Session) -> list[Condition]:
    found: dict[str, Condition] = {}
    for hold in session.scalars(
        select(SnapshotHoldRow).where(SnapshotHoldRow.status == "held").order_by(SnapshotHoldRow.id)
    ):
        found[hold.source] = Condition(
            f"snapshot_held:{hold.source}",
            "snapshot_held",
            f"{hold.label} of {hold.source} is held for confirmation (hold {hold.id}): "
            f"{_short(hold.reason)}; `claimbridge snapshots confirm {hold.id}` or "
            f"`claimbridge snapshots reject {hold.id}`",
        )
    return list(found.values())


def current_conditions(
    session: Session, jobs: list[str], rules: list[SilenceRule], now: datetime
) -> list[Condition]:
    """Every condition that fires now."""
    return [
        *_failed_transfers(session),
        *_dead_letters(session),
        *_jobs(session, jobs),
        *_silent(session, rules, now),
        *_held_snapshots(session),
    ]
