"""Agency updates: status and payment files (or pulled pages) applied to the cases.

One transaction per file: every line is mapped and checked; a bad line (unknown case, a
payment in the wrong currency, an unknown status code) is quarantined with its reason and the
rest is applied. Each event goes through the case state machine (`CaseUpdater`), so a line the
agency sends twice is a no-op and a late line is applied in its own time order. If the agency
stated control totals (a manifest), the file is refused as a whole when they do not match.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import ConnectorError, FormatError, Outcome, Snapshot
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.context import RunContext
from gateway.pipeline.returns.conflicts import event_conflict
from gateway.pipeline.returns.events import agency_event
from gateway.pipeline.transfers import (
    fail_transfer,
    log_failed,
    log_skipped,
    settle_snapshot,
    start_transfer,
)
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.transfers import Quarantined, TransferLog
from mappings import ColumnsError, CompiledMapping, FieldError, RecordError

__all__ = ["UpdateFileResult", "ingest_updates"]

log = logging.getLogger(__name__)

KIND = "agency_updates"


@dataclass(slots=True)
class UpdateFileResult:
    agency: str
    label: str
    status: str  # ok | partial | skipped | failed
    transfer_id: int | None = None
    records: int = 0
    applied: int = 0
    duplicates: int = 0
    flagged: int = 0  # applied, but the case needs attention (e.g. after it was closed)
    quarantined: int = 0
    actions: int = 0
    error: str = ""


def ingest_updates(ctx: RunContext, agency: str) -> list[UpdateFileResult]:
    """Apply every waiting update file of an agency."""
    channel = ctx.config.open_agency(agency)
    mapping = ctx.config.agencies[agency].mappings["agency_events"]
    results: list[UpdateFileResult] = []
    try:
        for snapshot in channel.fetch_updates():
            results.append(_file(ctx, agency, mapping, snapshot))
    except ConnectorError as exc:
        # Listing or fetching failed: nothing of that file was applied; it waits for the next
        # run, and IT sees why in the transfer log.
        transfer_id = log_failed(
            ctx.store,
            direction="inbound",
            kind=KIND,
            channel=ctx.config.agencies[agency].config.channel,
            partner=agency,
            error=str(exc),
        )
        results.append(UpdateFileResult(agency, "(pick-up)", "failed", transfer_id, error=str(exc)))
    finally:
        close = getattr(channel, "close", None)
        if close:
            close()
    return results


def _file(
    ctx: RunContext, agency: str, mapping: CompiledMapping, snapshot: Snapshot
) -> UpdateFileResult:
    store, label = ctx.store, snapshot.label
    if snapshot.sha256:
        with store.unit_of_work(read_only=True) as session:
            seen = TransferLog(session).received(agency, KIND, snapshot.sha256)
            earlier = (seen.name, seen.transfer_id) if seen else None
        if earlier:
            reason = f"already processed as {earlier[0]} (transfer {earlier[1]})"
            tid = log_skipped(
                store,
                direction="inbound",
                kind=KIND,
                channel=snapshot.channel,
                partner=agency,
                location=label,
                reason=reason,
                sha256=snapshot.sha256,
                size=snapshot.size,
            )
            settle_snapshot(store, snapshot, Outcome.DUPLICATE, tid)
            return UpdateFileResult(agency, label, "skipped", tid)
    transfer_id = start_transfer(
        store,
        direction="inbound",
        kind=KIND,
        channel=snapshot.channel,
        partner=agency,
        location=label,
    )
    try:
        with store.unit_of_work() as session:
            result = _apply(ctx, session, agency, mapping, snapshot, transfer_id)
    except FormatError as exc:
        fail_transfer(store, transfer_id, str(exc))
        settle_snapshot(store, snapshot, Outcome.REJECTED, transfer_id, str(exc))
        return UpdateFileResult(agency, label, "failed", transfer_id, error=str(exc))
    except (ConnectorError, IntegrityError) as exc:
        fail_transfer(store, transfer_id, str(exc))
        snapshot.settle(Outcome.RETRY)
        return UpdateFileResult(agency, label, "failed", transfer_id, error=str(exc))
    except Exception as exc:
        log.exception("update file %s of agency %s failed", label, agency)
        fail_transfer(store, transfer_id, f"internal error: {type(exc).__name__}: {exc}")
        snapshot.settle(Outcome.RETRY)
        raise
    settle_snapshot(store, snapshot, Outcome.PROCESSED, transfer_id)
    return result


def _apply(
    ctx: RunContext,
    session: Session,
    agency: str,
    mapping: CompiledMapping,
    snapshot: Snapshot,
    transfer_id: int,
) -> UpdateFileResult:
    label = snapshot.label
    stream = snapshot.open()
    try:
        mapper = (
            mapping.bind(stream.columns) if stream.columns is not None else mapping.for_records()
        )
    except ColumnsError as exc:
        raise FormatError(f"{label}: {exc}") from None
    result = UpdateFileResult(agency, label, "ok", transfer_id)
    cases = CaseRepository(session)
    updater = CaseUpdater(session, ctx.writeback_rules, ctx.now())
    quarantined: list[Quarantined] = []
    totals: dict[str, Decimal] = {}
    targets = mapper.targets
    for record in stream.records:
        result.records += 1
        position = str(record.position)
        if record.problem:
            quarantined.append(Quarantined(position, record.problem, (), record.values))
            continue
        try:
            values = dict(zip(targets, mapper(record.values), strict=True))
            if values.get("amount") is not None and values.get("currency"):
                totals[values["currency"]] = (
                    totals.get(values["currency"], Decimal(0)) + values["amount"]
                )
            case = cases.by_reference(values["case_reference"], agency)
            if case is None:
                raise RecordError(
                    [
                        FieldError(
                            f"no case of agency {agency} has this reference",
                            values["case_reference"],
                            "case_reference",
                        )
                    ]
                )
            event = agency_event(values, case.currency)
        except RecordError as exc:
            quarantined.append(Quarantined(position, str(exc), exc.fields, record.values))
            continue
        applied = updater.apply(case, event, transfer_id=transfer_id)
        if applied.duplicate:
            conflict = event_conflict(session, case.id, case.reference, case.currency, event)
            if conflict is not None:
                # Set aside, not dropped: IT sees the changed version and what differs.
                fields = ("event_id", *conflict.fields)
                quarantined.append(Quarantined(position, conflict.message, fields, record.values))
                continue
            result.duplicates += 1
            continue
        result.applied += 1
        result.actions += applied.actions

    control = stream.control
    if control is not None:
        if control.records != result.records:
            raise FormatError(
                f"{label}: {result.records} records read, the agency's control total "
                f"says {control.records}"
            )
        for currency in sorted(set(control.amounts) | set(totals)):
            stated, found = (
                control.amounts.get(currency, Decimal(0)),
                totals.get(currency, Decimal(0)),
            )
            if stated != found:
                raise FormatError(
                    f"{label}: amounts in {currency} add up to {found}, the agency's "
                    f"control total says {stated}"
                )
    result.quarantined = len(quarantined)
    # Counted once the whole file is applied: a closing listed before the payment that led to
    # it is in order by then.
    result.flagged = cases.flagged_events(transfer_id)
    log_ = TransferLog(session)
    if quarantined:
        log_.quarantine(transfer_id, agency, label, quarantined)
    if snapshot.sha256:
        log_.record_received(agency, KIND, label, snapshot.sha256, snapshot.size or 0, transfer_id)
    result.status = "partial" if quarantined else "ok"
    log_.finish(
        transfer_id,
        status=result.status,
        records=result.applied + result.duplicates,
        rejected=result.quarantined,
        bytes_=snapshot.size,
        sha256=snapshot.sha256,
        summary=(
            f"{result.records} records: {result.applied} events applied, {result.duplicates} "
            f"already known, {result.flagged} flagged for attention, "
            f"{result.quarantined} quarantined"
        ),
    )
    return result
