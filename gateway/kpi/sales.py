"""The credit sales feed: monthly credit sales per company code and currency, which DSO, best
possible DSO, average days delinquent and CEI need and an open-items export does not have.

A feed is any source connector (a CSV export in a folder or over SFTP, a REST endpoint...)
read through a mapping of kind `sales` (period, company_code, currency, amount). Each snapshot
is one transaction: its lines replace the months, company codes and currencies they name (a
corrected month is simply sent again); a bad line is quarantined with its reason and the rest
goes on; a line naming the same month, company code and currency as an earlier line of the
same snapshot is quarantined (the first wins); a file already processed is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import ConnectorError, FormatError, Outcome, Snapshot
from gateway.domain.money import CurrencyError, to_minor
from gateway.pipeline.context import RunContext
from gateway.pipeline.transfers import (
    fail_transfer,
    log_failed,
    log_skipped,
    settle_snapshot,
    start_transfer,
)
from gateway.storage.models import CreditSalesRow
from gateway.storage.repositories.transfers import Quarantined, TransferLog
from mappings import ColumnsError, CompiledMapping, FieldError, RecordError

__all__ = ["KIND", "SalesLoadResult", "load_sales", "monthly_sales"]

KIND = "credit_sales"
log = logging.getLogger(__name__)


@dataclass(slots=True)
class SalesLoadResult:
    feed: str
    label: str
    status: str  # ok | partial | skipped | failed
    transfer_id: int | None = None
    records: int = 0
    months: int = 0
    quarantined: int = 0
    error: str = ""
    notes: list[str] = field(default_factory=list)


def load_sales(ctx: RunContext, feed: str) -> list[SalesLoadResult]:
    """Read every waiting snapshot of the sales feed `feed`."""
    setup = ctx.config.sales[feed]
    source = ctx.config.open_sales(feed)
    results: list[SalesLoadResult] = []
    try:
        for snapshot in source.snapshots(ctx.as_of):
            results.append(_snapshot(ctx, feed, setup.mapping, snapshot))
    except ConnectorError as exc:
        tid = log_failed(
            ctx.store,
            direction="inbound",
            kind=KIND,
            channel=setup.connector.name,
            partner=feed,
            error=str(exc),
        )
        results.append(SalesLoadResult(feed, "(pick-up)", "failed", tid, error=str(exc)))
    finally:
        close = getattr(source, "close", None)
        if close:
            close()
    return results


def _snapshot(
    ctx: RunContext, feed: str, mapping: CompiledMapping, snapshot: Snapshot
) -> SalesLoadResult:
    store, label = ctx.store, snapshot.label
    if snapshot.sha256:
        with store.unit_of_work(read_only=True) as session:
            seen = TransferLog(session).received(feed, KIND, snapshot.sha256)
            earlier = (seen.name, seen.transfer_id) if seen else None
        if earlier:
            reason = f"already processed as {earlier[0]} (transfer {earlier[1]})"
            tid = log_skipped(
                store,
                direction="inbound",
                kind=KIND,
                channel=snapshot.channel,
                partner=feed,
                location=label,
                reason=reason,
                sha256=snapshot.sha256,
                size=snapshot.size,
            )
            settle_snapshot(store, snapshot, Outcome.DUPLICATE, tid)
            return SalesLoadResult(feed, label, "skipped", tid, notes=[reason])
    tid = start_transfer(
        store,
        direction="inbound",
        kind=KIND,
        channel=snapshot.channel,
        partner=feed,
        location=label,
    )
    try:
        with store.unit_of_work() as session:
            result = _load(ctx, session, feed, mapping, snapshot, tid)
    except FormatError as exc:
        fail_transfer(store, tid, str(exc))
        settle_snapshot(store, snapshot, Outcome.REJECTED, tid, str(exc))
        return SalesLoadResult(feed, label, "failed", tid, error=str(exc))
    except IntegrityError:
        reason = "processed meanwhile by another claimbridge process"
        fail_transfer(store, tid, reason)
        return SalesLoadResult(feed, label, "failed", tid, error=reason)
    except ConnectorError as exc:
        fail_transfer(store, tid, str(exc))
        snapshot.settle(Outcome.RETRY)
        return SalesLoadResult(feed, label, "failed", tid, error=str(exc))
    except Exception as exc:
        log.exception("sales feed %s: %s failed", feed, label)
        fail_transfer(store, tid, f"internal error: {type(exc).__name__}: {exc}")
        snapshot.settle(Outcome.RETRY)
        raise
    note = settle_snapshot(store, snapshot, Outcome.PROCESSED, tid)
    if note:
        result.notes.append(note)
    return result


def _load(
    ctx: RunContext,
    session: Session,
    feed: str,
    mapping: CompiledMapping,
    snapshot: Snapshot,
    transfer_id: int,
) -> SalesLoadResult:
    label = snapshot.label
    stream = snapshot.open()
    try:
        mapper = (
            mapping.bind(stream.columns) if stream.columns is not None else mapping.for_records()
        )
    except ColumnsError as exc:
        raise FormatError(f"{label}: {exc}") from None
    targets = mapper.targets
    result = SalesLoadResult(feed, label, "ok", transfer_id)
    quarantined: list[Quarantined] = []
    months: dict[tuple[date, str, str], tuple[int, str]] = {}  # key → (minor, position)
    for record in stream.records:
        result.records += 1
        where = str(record.position)
        if record.problem:
            quarantined.append(Quarantined(where, record.problem, (), record.values))
            continue
        try:
            values = dict(zip(targets, mapper(record.values), strict=True))
            amount: Decimal = values["amount"]
            try:
                minor = to_minor(amount, values["currency"])
            except CurrencyError as exc:
                raise RecordError([FieldError(str(exc), amount, "amount")]) from None
        except RecordError as exc:
            quarantined.append(Quarantined(where, str(exc), exc.fields, record.values))
            continue
        key = (values["period"], values["company_code"], values["currency"])
        if key in months:
            first = months[key][1]
            quarantined.append(
                Quarantined(
                    where,
                    f"{key[0]:%Y-%m} {key[1]} {key[2]} again: the same month is on line {first}",
                    ("period", "company_code", "currency"),
                    record.values,
                )
            )
            continue
        months[key] = (minor, where)
    if stream.control is not None and stream.control.records != result.records:
        raise FormatError(
            f"{label}: {result.records} records read, the sender's control total says "
            f"{stream.control.records}"
        )
    now = ctx.now()
    existing = {
        (r.period, r.company_code, r.currency): r
        for r in session.scalars(select(CreditSalesRow).where(CreditSalesRow.source == feed))
    }
    for (period, company_code, currency), (minor, _line) in months.items():
        row = existing.get((period, company_code, currency))
        if row is None:
            session.add(
                CreditSalesRow(
                    source=feed,
                    period=period,
                    company_code=company_code,
                    currency=currency,
                    amount_minor=minor,
                    transfer_id=transfer_id,
                    updated_at=now,
                )
            )
        else:
            row.amount_minor, row.transfer_id, row.updated_at = minor, transfer_id, now
    log_ = TransferLog(session)
    if quarantined:
        log_.quarantine(transfer_id, feed, label, quarantined)
    if snapshot.sha256:
        log_.record_received(feed, KIND, label, snapshot.sha256, snapshot.size or 0, transfer_id)
    result.months = len(months)
    result.quarantined = len(quarantined)
    result.status = "partial" if quarantined else "ok"
    log_.finish(
        transfer_id,
        status=result.status,
        records=result.months,
        rejected=result.quarantined,
        bytes_=snapshot.size,
        sha256=snapshot.sha256,
        summary=f"{result.records} records, {result.months} months of credit sales, "
        f"{result.quarantined} quarantined",
    )
    return result


def monthly_sales(
    session: Session, company_code: str | None = None, currency: str | None = None
) -> dict[tuple[str, str], dict[date, int]]:
    """(company code, currency) → month → credit sales (minor units), every feed summed."""
    query = select(
        CreditSalesRow.company_code,
        CreditSalesRow.currency,
        CreditSalesRow.period,
        CreditSalesRow.amount_minor,
    )
    if company_code:
        query = query.where(CreditSalesRow.company_code == company_code)
    if currency:
        query = query.where(CreditSalesRow.currency == currency)
    out: dict[tuple[str, str], dict[date, int]] = {}
    for code, cur, period, amount in session.execute(query):
        months = out.setdefault((code, cur), {})
        months[period] = months.get(period, 0) + int(amount)
    return out
