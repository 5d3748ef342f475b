"""The outbox relay: delivers ERP write-back actions and agency notices after commit.

For one destination: claim the due messages with a lease (one transaction), deliver them with
no transaction open, then record the outcome, guarded by the lease (another transaction).
Failures are retried with exponential backoff and full jitter; after `max_attempts` a message
is dead: visible (`claimbridge outbox`), re-queued with `claimbridge outbox retry`, and holding
back later messages of the same item so that their order is never broken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connectors.base import ConnectorError, Delivery, DeliveryBatch
from gateway.pipeline.context import RunContext
from gateway.pipeline.transfers import fail_transfer, start_transfer
from gateway.storage.presence import Presence, presence_of
from gateway.storage.repositories.outbox import (
    AGENCY_NOTICE,
    ERP_ACTION,
    Outbox,
    OutboxBacklog,
    RetryPolicy,
    action_from_payload,
    notice_from_payload,
)
from gateway.storage.repositories.transfers import TransferLog

__all__ = ["RelayResult", "deliver_notices", "deliver_writeback"]

LEASE = timedelta(minutes=10)


@dataclass(slots=True)
class RelayResult:
    destination: str
    kind: str
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    batches: int = 0
    location: str = ""
    transfer_id: int | None = None
    error: str = ""
    left: OutboxBacklog | None = None


Deliver = Callable[
    [Sequence[dict[str, Any]], DeliveryBatch], tuple[Delivery, dict[str, tuple[str, bool]]]
]


def _relay(
    ctx: RunContext,
    kind: str,
    destination: str,
    transfer_kind: str,
    channel: str,
    deliver: Deliver,
    key_of: Callable[[dict[str, Any]], str],
    policy: RetryPolicy,
    batch_size: int | None = None,
) -> RelayResult:
    """Deliver batches until the destination has nothing due (the outbox is drained), or a
    delivery fails; then say what is left and when it goes."""
    result = RelayResult(destination, transfer_kind)
    presence = presence_of(ctx.store)
    batch_size = batch_size or ctx.config.model.delivery.batch_size
    while True:
        one = _relay_batch(
            ctx,
            kind,
            destination,
            transfer_kind,
            channel,
            deliver,
            key_of,
            policy,
            batch_size,
            presence,
        )
        if one is None:
            break
        result.batches += 1
        result.delivered += one.delivered
        result.failed += one.failed
        result.dead += one.dead
        result.location = one.location or result.location
        result.transfer_id = one.transfer_id
        if one.error:
            result.error = one.error
            break
        if one.delivered == 0:
            break  # every message refused one by one: the rest waits for its retry
    with ctx.store.unit_of_work(read_only=True) as session:
        result.left = Outbox(session).backlog(kind, destination, ctx.now())
    return result


def _relay_batch(
    ctx: RunContext,
    kind: str,
    destination: str,
    transfer_kind: str,
    channel: str,
    deliver: Deliver,
    key_of: Callable[[dict[str, Any]], str],
    policy: RetryPolicy,
    batch_size: int,
    presence: Presence,
) -> RelayResult | None:
    result = RelayResult(destination, transfer_kind)
    owner = presence.owner
    store = ctx.store
    with store.unit_of_work() as session:
        now = ctx.now()
        claim = Outbox(session).claim(
            kind, destination, owner, now, now + LEASE, batch_size, presence.alive
        )
    if claim is None:
        return None
    claimed = claim.messages
    batch = DeliveryBatch(f"b{claim.batch_id:08d}", claim.created_at, claim.attempt)
    transfer_id = start_transfer(
        store, direction="outbound", kind=transfer_kind, channel=channel, partner=destination
    )
    result.transfer_id = transfer_id
    ids_by_key = {key_of(payload): message_id for message_id, payload in claimed}
    try:
        delivery, failed = deliver([payload for _, payload in claimed], batch)
    except ConnectorError as exc:
        retriable = exc.retriable
        with store.unit_of_work() as session:
            failures = {message_id: (str(exc), retriable) for message_id, _ in claimed}
            result.dead = Outbox(session).failed(
                failures, owner, policy, ctx.now(), whole_batch=True
            )
        what = "will be retried" if retriable and not result.dead else "dead"
        fail_transfer(store, transfer_id, f"{exc} (batch {batch.key}: {what})")
        result.failed, result.error = len(claimed), str(exc)
        return result
    with store.unit_of_work() as session:
        outbox = Outbox(session)
        now = ctx.now()
        failed_ids = {
            ids_by_key[key]: reason for key, reason in failed.items() if key in ids_by_key
        }
        ok_ids = [message_id for message_id, _ in claimed if message_id not in failed_ids]
        result.dead = outbox.failed(failed_ids, owner, policy, now)
        result.delivered = outbox.delivered(claim.batch_id, ok_ids, owner, transfer_id, now)
        result.failed = len(failed_ids)
        result.location = delivery.location
        errors = "; ".join(f"{key}: {reason}" for key, (reason, _) in list(failed.items())[:10])
        again = (
            f", batch {batch.key} sent again (attempt {batch.attempt})" if batch.attempt > 1 else ""
        )
        notes = "".join(f"; {note}" for note in delivery.notes)
        TransferLog(session).finish(
            transfer_id,
            status="partial" if failed_ids else "ok",
            records=result.delivered,
            rejected=result.failed,
            bytes_=delivery.bytes,
            sha256=delivery.sha256,
            location=delivery.location,
            channel=delivery.channel,
            error=errors,
            summary=f"{result.delivered} delivered, {result.failed} failed{again}{notes}",
        )
    return result


def deliver_writeback(
    ctx: RunContext, source: str, policy: RetryPolicy | None = None
) -> RelayResult:
    """Deliver the pending write-back actions of a source to its ERP."""
    writeback = ctx.config.open_writeback(source)
    if writeback is None:
        return RelayResult(source, "writeback")
    setup = ctx.config.sources[source].writeback
    if setup is None:
        return RelayResult(source, "writeback")

    def deliver(
        payloads: Sequence[dict[str, Any]], batch: DeliveryBatch
    ) -> tuple[Delivery, dict[str, tuple[str, bool]]]:
        outcome = writeback.apply([action_from_payload(p) for p in payloads], batch)
        delivery = outcome.delivery or Delivery(setup.connector.name, "", len(payloads))
        return delivery, outcome.failed

    try:
        return _relay(
            ctx,
            ERP_ACTION,
            source,
            "writeback",
            setup.connector.name,
            deliver,
            lambda p: str(p["action_id"]),
            policy or retry_policy(ctx),
        )
    finally:
        close = getattr(writeback, "close", None)
        if close:
            close()


def deliver_notices(ctx: RunContext, agency: str, policy: RetryPolicy | None = None) -> RelayResult:
    """Deliver the pending notices (recalls, direct payments) to an agency."""
    channel = ctx.config.open_agency(agency)

    def deliver(
        payloads: Sequence[dict[str, Any]], batch: DeliveryBatch
    ) -> tuple[Delivery, dict[str, tuple[str, bool]]]:
        notices = [notice_from_payload(p) for p in payloads]
        # A channel that sends notices one by one (rest-push) says which were refused, so
        # that one refused notice does not fail the others.
        each = getattr(channel, "send_notices_each", None)
        if each is not None:
            outcome: tuple[Delivery, dict[str, tuple[str, bool]]] = each(notices)
            return outcome
        return channel.send_notices(notices, batch), {}

    try:
        return _relay(
            ctx,
            AGENCY_NOTICE,
            agency,
            "notices",
            ctx.config.agencies[agency].config.channel,
            deliver,
            lambda p: str(p["notice_id"]),
            policy or retry_policy(ctx),
        )
    finally:
        close = getattr(channel, "close", None)
        if close:
            close()


def retry_policy(ctx: RunContext) -> RetryPolicy:
    """The configuration's retry policy (`delivery`)."""
    delivery = ctx.config.model.delivery
    return RetryPolicy(
        max_attempts=delivery.max_attempts,
        base_seconds=delivery.retry_base.total_seconds(),
        cap_seconds=delivery.retry_cap.total_seconds(),
    )
