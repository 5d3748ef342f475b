"""Handover: approved cases go to their agency in batches.

Two steps, each its own transaction, so that nothing is half-done:
1. approved cases without a batch are put into a new batch (pending), with a stable reference;
2. each pending batch is delivered through the agency's channel with no transaction open;
   then, in one transaction, the batch is marked delivered and every case gets its SUBMITTED
   event (which writes the dunning block and note actions to the outbox).
A crash between delivery and step 2 leaves the batch pending: the next run delivers it again
under the same reference and file name, which the channel makes harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import ConnectorError
from gateway.domain.cases import CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.handover import HandoverBatch, HandoverCase
from gateway.domain.money import Money
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.context import RunContext
from gateway.pipeline.handover.claims import ClaimsRefresher
from gateway.pipeline.transfers import fail_transfer, start_transfer
from gateway.storage.models import CaseRow, HandoverBatchRow
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.items import ItemRepository, item_from_row
from gateway.storage.repositories.transfers import TransferLog

__all__ = ["HandoverResult", "hand_over"]

KIND = "handover"


@dataclass(slots=True)
class HandoverResult:
    agency: str
    batch: str
    status: str  # delivered | failed | empty
    cases: int = 0
    items: int = 0
    totals: str = ""
    location: str = ""
    transfer_id: int | None = None
    error: str = ""


def hand_over(ctx: RunContext, agency: str) -> list[HandoverResult]:
    """Batch the agency's approved cases and deliver every pending batch."""
    _batch_approved(ctx, agency)
    with ctx.store.unit_of_work(read_only=True) as session:
        pending = list(
            session.scalars(
                select(HandoverBatchRow.id)
                .where(HandoverBatchRow.agency == agency, HandoverBatchRow.status == "pending")
                .order_by(HandoverBatchRow.id)
            )
        )
    if not pending:
        return []
    channel = ctx.config.open_agency(agency)
    try:
        return [_deliver(ctx, agency, channel, batch_id) for batch_id in pending]
    finally:
        close = getattr(channel, "close", None)
        if close:
            close()


def _batch_approved(ctx: RunContext, agency: str) -> None:
    prefix = ctx.config.model.case_reference_prefix
    with ctx.store.unit_of_work() as session:
        approved = list(
            session.scalars(
                select(CaseRow)
                .where(
                    CaseRow.agency == agency,
                    CaseRow.state == CaseState.APPROVED.value,
                    CaseRow.batch_id.is_(None),
                )
                .order_by(CaseRow.id)
            )
        )
        if not approved:
            return
        now = ctx.now()
        batch = HandoverBatchRow(
            reference=f"new-{now.timestamp()}",
            agency=agency,
            status="pending",
            as_of=ctx.as_of,
            case_count=len(approved),
            item_count=0,
            attempts=0,
            error="",
            created_at=now,
        )
        session.add(batch)
        session.flush()
        batch.reference = f"{prefix}-B{batch.id:06d}"
        claims = ClaimsRefresher(session, ctx.config.rates)
        for case in approved:
            case.batch_id = batch.id
            claims.refresh(case, ctx.as_of)  # interest runs until the handover


def _batch(session: Session, batch_id: int) -> HandoverBatchRow:
    row = session.get(HandoverBatchRow, batch_id)
    if row is None:
        raise LookupError(f"handover batch {batch_id} does not exist")
    return row


def _build(ctx: RunContext, batch_id: int) -> tuple[HandoverBatch, list[int]]:
    with ctx.store.unit_of_work(read_only=True) as session:
        batch = _batch(session, batch_id)
        rows = list(
            session.scalars(
                select(CaseRow)
                .where(CaseRow.batch_id == batch_id, CaseRow.state == CaseState.APPROVED.value)
                .order_by(CaseRow.id)
            )
        )
        cases_repo, items_repo = CaseRepository(session), ItemRepository(session)
        cases: list[HandoverCase] = []
        for row in rows:
            items = [item_from_row(oi) for _, oi in cases_repo.items(row.id)]
            debtor = items_repo.get_debtor(row.source, row.debtor_number)
            if debtor is None or not items:
                continue
            cases.append(
                HandoverCase(
                    reference=row.reference,
                    agency=row.agency,
                    debtor=debtor,
                    items=items,
                    interest=Money(row.interest_claimed_minor, row.currency),
                    fees=Money(row.fees_claimed_minor, row.currency),
                )
            )
        handover = HandoverBatch(
            batch.reference, batch.agency, batch.created_at, batch.as_of, cases
        )
        return handover, [row.id for row in rows]


def _deliver(ctx: RunContext, agency: str, channel: object, batch_id: int) -> HandoverResult:
    batch, case_ids = _build(ctx, batch_id)
    result = HandoverResult(
        agency, batch.reference, "empty", cases=len(batch.cases), items=batch.item_count
    )
    store = ctx.store
    if not batch.cases:
        with store.unit_of_work() as session:
            row = _batch(session, batch_id)
            row.status, row.error = "empty", "no approved case left in the batch"
        return result
    transfer_id = start_transfer(
        store,
        direction="outbound",
        kind=KIND,
        channel=ctx.config.agencies[agency].config.channel,
        partner=agency,
        location=batch.reference,
    )
    result.transfer_id = transfer_id
    try:
        delivery = channel.submit(batch)  # type: ignore[attr-defined]
    except ConnectorError as exc:
        fail_transfer(store, transfer_id, str(exc))
        with store.unit_of_work() as session:
            row = _batch(session, batch_id)
            row.attempts += 1
            row.error = str(exc)[:4000]
        result.status, result.error = "failed", str(exc)
        return result

    totals = ", ".join(str(m) for _, m in sorted(batch.totals().items()))
    with store.unit_of_work() as session:
        now = ctx.now()
        row = _batch(session, batch_id)
        row.status, row.delivered_at, row.transfer_id = "delivered", now, transfer_id
        row.attempts += 1
        row.case_count, row.item_count, row.error = len(batch.cases), batch.item_count, ""
        delivered = {c.reference for c in batch.cases}
        updater = CaseUpdater(session, ctx.writeback_rules, now, ctx.webhooks)
        for case_id in case_ids:
            case = session.get(CaseRow, case_id)
            if case is None:
                continue
            if case.reference not in delivered:
                case.batch_id = None  # left out (no debtor data): batched again next run
                continue
            event = CaseEvent(
                EventKind.SUBMITTED,
                EventOrigin.GATEWAY,
                f"batch:{batch.reference}",
                now,
                note=f"handed over in {delivery.location}",
            )
            updater.apply(case, event, transfer_id=transfer_id)
        TransferLog(session).finish(
            transfer_id,
            status="ok",
            records=delivery.records,
            bytes_=delivery.bytes,
            sha256=delivery.sha256,
            location=delivery.location,
            channel=delivery.channel,
            summary=f"{len(batch.cases)} cases, {batch.item_count} items, {totals}",
        )
    result.status, result.location, result.totals = "delivered", delivery.location, totals
    return result
