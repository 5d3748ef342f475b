"""Retrying a failed transfer: putting back in the queue what it failed to move.

What a retry does depends on what failed:

    inbound file (open_items, agency_updates)
        set aside in the error folder (a refused file): moved back into the inbox, its
        .reason.txt to the archive; the next extract / updates run reads it again.
        Left in the inbox (a passing failure): nothing to move, the next run reads it again.
    handover batch
        a batch that failed stays pending; the next handover run of the agency delivers it
        again, under the same reference and file name.
    write-back actions, notices (outbox)
        the destination's dead messages are re-queued (attempts start again), and messages
        waiting for their next attempt are made due now.

With `run_now`, the step concerned runs at once for that partner (in the caller's process);
otherwise the next scheduled run does it. A retry is noted in the transfer's summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from connectors.base import SetAside
from gateway.config import Config
from gateway.pipeline import RunContext, RunSummary, Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import HandoverBatchRow, OutboxMessageRow, TransferRow
from gateway.storage.repositories.outbox import AGENCY_NOTICE, ERP_ACTION

__all__ = ["RETRYABLE_KINDS", "RetryRefused", "RetryResult", "retry_transfer"]

_STEPS = {
    "open_items": Step.EXTRACT,
    "agency_updates": Step.UPDATES,
    "handover": Step.HANDOVER,
    "writeback": Step.WRITEBACK,
    "notices": Step.NOTICES,
}
_MESSAGES = {"writeback": ERP_ACTION, "notices": AGENCY_NOTICE}
# The kinds of transfer a retry knows how to put back in the queue (when they failed).
RETRYABLE_KINDS = frozenset(_STEPS)


class RetryRefused(Exception):
    """The transfer cannot be retried (the message says why and what to do instead)."""


@dataclass(slots=True)
class RetryResult:
    transfer_id: int
    kind: str
    partner: str
    action: str  # requeued | pending | nothing
    detail: str
    messages: int = 0
    run: RunSummary | None = None


def retry_transfer(
    config: Config,
    store: Store,
    transfer_id: int,
    now: datetime,
    *,
    run_now: bool = False,
    as_of: date | None = None,
) -> RetryResult:
    """Put back in the queue what failed transfer `transfer_id` did not move.

    Raises:
        LookupError: no such transfer.
        RetryRefused: it did not fail, or its kind or connector cannot be retried.
    """
    with store.unit_of_work(read_only=True) as session:
        row = session.get(TransferRow, transfer_id)
        if row is None:
            raise LookupError(f"transfer {transfer_id} does not exist")
        kind, partner, location, sha256 = row.kind, row.partner, row.location, row.sha256
        status = row.status
    if status != "failed":
        raise RetryRefused(f"transfer {transfer_id} is {status}: only failed transfers are retried")
    if kind not in _STEPS:
        raise RetryRefused(f"transfers of kind {kind} cannot be retried")
    if kind in ("open_items", "agency_updates"):
        result = _requeue_file(config, transfer_id, kind, partner, location, sha256)
        if result.action == "nothing":
            result.detail = (
                _taken_since(store, transfer_id, kind, partner, location) or result.detail
            )
    elif kind == "handover":
        result = _handover(store, transfer_id, partner, location)
    else:
        result = _messages(store, transfer_id, kind, partner, now)
    with store.unit_of_work() as session:
        session.execute(
            update(TransferRow)
            .where(TransferRow.id == transfer_id)
            .values(
                summary=TransferRow.summary
                + f" [retry {now:%Y-%m-%d %H:%M:%S} UTC: {result.detail}]"
            )
        )
    if run_now:
        context = RunContext(config, store, as_of or now.date())
        result.run = run_cycle(context, (_STEPS[kind],), partner)
    return result


def _requeue_file(
    config: Config,
    transfer_id: int,
    kind: str,
    partner: str,
    location: str,
    sha256: str | None,
) -> RetryResult:
    if kind == "open_items":
        if partner not in config.sources:
            raise RetryRefused(f"source {partner} is no longer configured")
        connector = config.open_source(partner)
        step = "extract"
    else:
        if partner not in config.agencies:
            raise RetryRefused(f"agency {partner} is no longer configured")
        connector = config.open_agency(partner)
        step = "updates"
    try:
        if not isinstance(connector, SetAside):
            raise RetryRefused(
                f"the connector of {partner} cannot put refused files back; "
                "ask the partner to send the file again"
            )
        try:
            name = connector.requeue(location, sha256)
        except FileNotFoundError:
            return RetryResult(
                transfer_id,
                kind,
                partner,
                "nothing",
                f"{location} is not set aside: if it is still in the inbox, the next "
                f"{step} run reads it again",
            )
    finally:
        close = getattr(connector, "close", None)
        if close:
            close()
    return RetryResult(
        transfer_id,
        kind,
        partner,
        "requeued",
        f"{location} moved back into the inbox as {name}; the next {step} run reads it",
    )


def _taken_since(
    store: Store, transfer_id: int, kind: str, partner: str, location: str
) -> str | None:
    """Whether a later transfer took a file of that name (then there is nothing to retry)."""
    with store.unit_of_work(read_only=True) as session:
        later = session.scalar(
            select(TransferRow.id)
            .where(
                TransferRow.id > transfer_id,
                TransferRow.kind == kind,
                TransferRow.partner == partner,
                TransferRow.location == location,
                TransferRow.status.in_(("ok", "partial")),
            )
            .order_by(TransferRow.id)
        )
    return f"{location} was taken since (transfer {later})" if later is not None else None


def _handover(store: Store, transfer_id: int, agency: str, reference: str) -> RetryResult:
    with store.unit_of_work(read_only=True) as session:
        batch = session.scalars(
            select(HandoverBatchRow).where(HandoverBatchRow.reference == reference)
        ).first()
        state = (batch.status, batch.transfer_id) if batch is not None else None
    if state is None:
        raise RetryRefused(f"no handover batch {reference!r}")
    status, delivered_by = state
    if status == "delivered":
        return RetryResult(
            transfer_id,
            "handover",
            agency,
            "nothing",
            f"batch {reference} was delivered since (transfer {delivered_by})",
        )
    return RetryResult(
        transfer_id,
        "handover",
        agency,
        "pending",
        f"batch {reference} is pending; the next handover run of {agency} delivers it again",
    )


def _messages(
    store: Store, transfer_id: int, kind: str, destination: str, now: datetime
) -> RetryResult:
    message = OutboxMessageRow
    with store.unit_of_work() as session:
        dead = session.execute(
            update(message)
            .where(
                message.kind == _MESSAGES[kind],
                message.destination == destination,
                message.status == "dead",
            )
            .values(status="pending", attempts=0, next_attempt_at=now)
        ).rowcount  # type: ignore[attr-defined]
        waiting = session.execute(
            update(message)
            .where(
                message.kind == _MESSAGES[kind],
                message.destination == destination,
                message.status == "pending",
                message.next_attempt_at > now,
            )
            .values(next_attempt_at=now)
        ).rowcount  # type: ignore[attr-defined]
    count = int(dead) + int(waiting)
    what = "write-back actions" if kind == "writeback" else "notices"
    return RetryResult(
        transfer_id,
        kind,
        destination,
        "requeued" if count else "nothing",
        f"{int(dead)} dead and {int(waiting)} waiting {what} for {destination} are due now"
        if count
        else f"no dead or waiting {what} for {destination}: they were delivered since",
        messages=count,
    )
