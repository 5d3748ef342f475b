"""Extraction: a source's snapshots into the store, one transaction per snapshot.

For each snapshot (an export file, an API run):
1. a file whose SHA-256 was already processed is skipped (logged, archived);
2. records are streamed, mapped and checked; a bad record is quarantined with its position,
   fields and reason, the rest goes on;
3. items are upserted in batches as they stream: a key that comes again in the same snapshot
   is quarantined (the first line wins); items the source reports cleared (records with a
   `Clearing`) are cleared with the ERP's clearing date; a debtor the source could not read
   keeps its items as they are; then the items of the snapshot's company codes that it no
   longer holds are cleared;
4. an item of a case at an agency that was cleared, or whose open amount went down, is a
   direct payment: an event on its case, and a notice to the agency;
5. the totals of the source's open items are kept for the KPIs' history (gateway.kpi.history);
6. the transfer is finished and the file recorded as received, in the same transaction.

Before step 3 clears anything, the snapshot plausibility guard measures what it would take
away (gateway.pipeline.snapshot_guard); beyond the source's limits the snapshot is rolled
back and held for confirmation, and stays where it is.

A failure anywhere rolls the snapshot back entirely; the transfer is marked failed, and the
file is set aside (a format problem) or left for the next run (a passing problem).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from datetime import time as clock_time
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import Clearing, ConnectorError, FormatError, Outcome, Snapshot
from gateway.config.model import SnapshotGuardConfig
from gateway.domain.items import ItemKey
from gateway.kpi.history import record_snapshot
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.context import RunContext
from gateway.pipeline.extract.item_rows import (
    APPLIES_TARGETS,
    DEBTOR_TARGETS,
    ITEM_TARGETS,
    KEY_TARGETS,
    build_debtor,
    build_item,
    fits_the_store,
    item_key_of,
)
from gateway.pipeline.payments.direct_payments import DirectPayments
from gateway.pipeline.snapshot_guard import SnapshotHeld, measure_snapshot
from gateway.pipeline.transfers import (
    fail_transfer,
    log_failed,
    log_skipped,
    settle_snapshot,
    start_transfer,
)
from gateway.storage.repositories.items import (
    ActiveItem,
    DebtorBuffer,
    ItemRepository,
    ItemWriter,
)
from gateway.storage.repositories.snapshot_holds import SnapshotHolds
from gateway.storage.repositories.transfers import Quarantined, TransferLog
from mappings import ColumnsError, CompiledMapping, RecordError

__all__ = ["SnapshotResult", "extract_source"]

log = logging.getLogger(__name__)

KIND = "open_items"
QUARANTINE_FLUSH = 1_000
CLEARING_FLUSH = 1_000
DEBTOR_SCOPE = ("company_code", "debtor_number")


@dataclass(slots=True)
class SnapshotResult:
    """What happened to one snapshot."""

    source: str
    label: str
    status: str  # ok | partial | skipped | failed | held | rejected
    transfer_id: int | None = None
    records: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    cleared: int = 0
    applied: int = 0  # lines folded into the item they apply to
    direct_payments: int = 0
    clearing_skipped: str = ""
    error: str = ""
    notes: list[str] = field(default_factory=list)


def extract_source(ctx: RunContext, source_name: str) -> list[SnapshotResult]:
    """Read every waiting snapshot of a source."""
    source = ctx.config.open_source(source_name)
    mapping = ctx.config.sources[source_name].mapping
    results: list[SnapshotResult] = []
    try:
        for snapshot in source.snapshots(ctx.as_of):
            results.append(_snapshot(ctx, source_name, mapping, snapshot))
    except ConnectorError as exc:
        # Listing or fetching failed (the server is down, the connection dropped during a
        # download, a file is still being written): nothing of that file was read, and it
        # waits for the next run. IT sees it in the transfer log.
        transfer_id = log_failed(
            ctx.store,
            direction="inbound",
            kind=KIND,
            channel=ctx.config.sources[source_name].connector.name,
            partner=source_name,
            error=str(exc),
        )
        results.append(
            SnapshotResult(source_name, "(pick-up)", "failed", transfer_id, error=str(exc))
        )
    finally:
        close = getattr(source, "close", None)
        if close:
            close()
    return results


def _snapshot(
    ctx: RunContext, source: str, mapping: CompiledMapping, snapshot: Snapshot
) -> SnapshotResult:
    store = ctx.store
    label, sha256 = snapshot.label, snapshot.sha256
    if sha256:
        with store.unit_of_work(read_only=True) as session:
            seen = TransferLog(session).received(source, KIND, sha256)
            earlier = (seen.name, seen.transfer_id, seen.received_at) if seen else None
        if earlier:
            name, transfer, when = earlier
            reason = (
                f"already processed as {name} on {when:%Y-%m-%d %H:%M} UTC (transfer {transfer})"
            )
            tid = log_skipped(
                store,
                direction="inbound",
                kind=KIND,
                channel=snapshot.channel,
                partner=source,
                location=label,
                reason=reason,
                sha256=sha256,
                size=snapshot.size,
            )
            note = settle_snapshot(store, snapshot, Outcome.DUPLICATE, tid)
            return SnapshotResult(
                source, label, "skipped", tid, notes=[reason] + ([note] if note else [])
            )

    with store.unit_of_work(read_only=True) as session:
        hold = SnapshotHolds(session).for_snapshot(source, sha256, label)
    if hold is not None and hold.status == "held":
        reason = (
            f"held for confirmation since {hold.created_at:%Y-%m-%d %H:%M} UTC (hold "
            f"{hold.id}): {hold.reason}; confirm it with `claimbridge snapshots confirm "
            f"{hold.id}` or reject it with `claimbridge snapshots reject {hold.id}`"
        )
        tid = log_skipped(
            store,
            direction="inbound",
            kind=KIND,
            channel=snapshot.channel,
            partner=source,
            location=label,
            reason=reason,
            sha256=sha256,
            size=snapshot.size,
        )
        return SnapshotResult(source, label, "held", tid, error=reason)
    transfer_id = start_transfer(
        store,
        direction="inbound",
        kind=KIND,
        channel=snapshot.channel,
        partner=source,
        location=label,
    )
    if hold is not None and hold.status == "rejected":
        return _set_aside_rejected(ctx, source, snapshot, transfer_id, hold.id)
    guard = None if hold is not None else ctx.config.sources[source].config.snapshot_guard
    try:
        with store.unit_of_work() as session:
            result = _load(ctx, session, source, mapping, snapshot, transfer_id, guard)
            if hold is not None:
                confirmed = SnapshotHolds(session).get(hold.id)
                if confirmed is not None:
                    SnapshotHolds(session).carried_out(confirmed, "applied", transfer_id)
                    result.notes.append(
                        f"applied as confirmed by {confirmed.decided_by} (hold {hold.id})"
                    )
    except SnapshotHeld as held:
        return _held(ctx, source, snapshot, transfer_id, held)
    except FormatError as exc:
        fail_transfer(store, transfer_id, str(exc))
        settle_snapshot(store, snapshot, Outcome.REJECTED, transfer_id, str(exc))
        return SnapshotResult(source, label, "failed", transfer_id, error=str(exc))
    except IntegrityError:
        reason = "processed meanwhile by another claimbridge process"
        fail_transfer(store, transfer_id, reason)
        return SnapshotResult(source, label, "failed", transfer_id, error=reason)
    except ConnectorError as exc:
        fail_transfer(store, transfer_id, str(exc))
        snapshot.settle(Outcome.RETRY)
        return SnapshotResult(source, label, "failed", transfer_id, error=str(exc))
    except Exception as exc:
        log.exception("extraction of %s from %s failed", label, source)
        fail_transfer(store, transfer_id, f"internal error: {type(exc).__name__}: {exc}")
        snapshot.settle(Outcome.RETRY)
        raise
    note = settle_snapshot(store, snapshot, Outcome.PROCESSED, transfer_id)
    if note:
        result.notes.append(note)
    return result


def _held(
    ctx: RunContext, source: str, snapshot: Snapshot, transfer_id: int, held: SnapshotHeld
) -> SnapshotResult:
    """Record a snapshot the guard held: nothing of it was applied, it stays where it is."""
    with ctx.store.unit_of_work() as session:
        hold = SnapshotHolds(session).hold(
            source=source,
            label=snapshot.label,
            sha256=snapshot.sha256,
            transfer_id=transfer_id,
            reason=held.reason,
            figures=held.effect.as_json(),
            now=ctx.now(),
        )
        message = (
            f"HELD for confirmation (hold {hold.id}), nothing applied: {held.reason}. A "
            "truncated export? Confirm it with `claimbridge snapshots confirm "
            f"{hold.id}` or reject it with `claimbridge snapshots reject {hold.id}`"
        )
        TransferLog(session).finish(
            transfer_id,
            status="held",
            bytes_=snapshot.size,
            sha256=snapshot.sha256,
            error=message,
            summary=message,
        )
    log.warning("snapshot %s of %s held: %s", snapshot.label, source, held.reason)
    return SnapshotResult(source, snapshot.label, "held", transfer_id, error=message)


def _set_aside_rejected(
    ctx: RunContext, source: str, snapshot: Snapshot, transfer_id: int, hold_id: int
) -> SnapshotResult:
    """A held snapshot that was rejected: set aside unapplied, with the decision as reason."""
    with ctx.store.unit_of_work() as session:
        holds = SnapshotHolds(session)
        hold = holds.get(hold_id)
        assert hold is not None  # noqa: S101 - read just before, holds are never deleted
        reason = (
            f"rejected by {hold.decided_by} on {hold.decided_at:%Y-%m-%d %H:%M} UTC (hold "
            f"{hold.id}): {hold.decision_note or hold.reason}"
        )
        holds.carried_out(hold, "set_aside", transfer_id)
        TransferLog(session).finish(
            transfer_id, status="failed", sha256=snapshot.sha256, error=f"not applied: {reason}"
        )
    settle_snapshot(ctx.store, snapshot, Outcome.REJECTED, transfer_id, reason)
    return SnapshotResult(source, snapshot.label, "rejected", transfer_id, error=reason)


def _load(
    ctx: RunContext,
    session: Session,
    source: str,
    mapping: CompiledMapping,
    snapshot: Snapshot,
    transfer_id: int,
    guard: SnapshotGuardConfig | None = None,
) -> SnapshotResult:
    label = snapshot.label
    started = time.perf_counter()
    stream = snapshot.open()
    try:
        mapper = (
            mapping.bind(stream.columns) if stream.columns is not None else mapping.for_records()
        )
    except ColumnsError as exc:
        raise FormatError(f"{label}: {exc}") from None
    item_mapper, debtor_mapper = mapper.subset(ITEM_TARGETS), mapper.subset(DEBTOR_TARGETS)
    # Lines that apply to another item (SAP's partial payments and credit memos referring to an
    # invoice), when the mapping says which: folded into that item after the stream.
    applies_mapper = (
        mapper.subset(APPLIES_TARGETS) if "applies_to_document" in mapping.spec.fields else None
    )
    applied: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]] = []
    # A line's debtor data is a function of the cells it is mapped from: a line whose cells
    # are those already taken for its debtor needs no mapping, any other line is checked.
    debtor_cells = mapping.cells(DEBTOR_TARGETS, stream.columns)
    # Items of cases in play, with their open amounts before this snapshot (rows are written
    # while the file streams): what went down or disappeared was paid directly.
    in_cases = {a.item_id: a for a in ItemRepository(session).active_items(source)}
    before = ItemRepository(session).open_totals(source) if guard is not None else {}
    reported_at = ctx.now()
    writer = ItemWriter(session, source, transfer_id, ctx.now())
    debtors = DebtorBuffer(session, source)
    log_ = TransferLog(session)
    items = ItemRepository(session)
    result = SnapshotResult(source, label, "ok", transfer_id)
    company_codes: set[str] = set()
    keyless: list[str] = []
    pending: list[Quarantined] = []
    unread_debtors: set[tuple[str, str]] = set()
    clearings = _Clearings(items, source, transfer_id, reported_at, list(in_cases))

    def quarantine(entry: Quarantined) -> None:
        pending.append(entry)
        result.quarantined += 1
        if len(pending) >= QUARANTINE_FLUSH:
            log_.quarantine(transfer_id, source, label, pending)
            pending.clear()

    # Names bound once: the loop below runs for every line of every export. The item mapper's
    # generated function is called directly; whatever it cannot map, the mapper maps with its
    # field getters or explains.
    add_item, taken, records = writer.add, debtors.taken, 0
    map_item = item_mapper.fast or item_mapper
    for position, values, problem, whole_debtor, clearing in stream.records:
        if clearing is not None:
            clearings.add(
                item_key_of(source, mapper.values_of(values, KEY_TARGETS)),
                clearing,
            )
            continue
        records += 1
        # A file gives line numbers; an API gives record ids: then the sequence number.
        line = position if position.__class__ is int else records
        if problem:
            where = str(position)
            quarantine(Quarantined(where, problem, (), values))
            scope = mapper.values_of(values, DEBTOR_SCOPE) if whole_debtor else None
            if scope and scope["company_code"] and scope["debtor_number"]:
                unread_debtors.add((scope["company_code"], scope["debtor_number"]))
                company_codes.add(scope["company_code"])
            else:
                keyless.append(where)
            continue
        try:
            try:
                mapped = map_item(values)
            except RecordError:
                raise
            except Exception:  # noqa: BLE001 - the getters map it or explain what is wrong
                mapped = item_mapper(values)
            staged = build_item(mapped)
            refers = applies_mapper(values) if applies_mapper is not None else None
            debtor_number = staged[4]
            # Every line carries its debtor's data, and every line's is checked; most lines
            # repeat the cells already taken for their debtor: nothing to map again.
            cells = debtor_cells(values)
            kept = taken.get(debtor_number)
            debtor = (
                None
                if kept is not None and kept[0] == cells
                else build_debtor(debtor_mapper(values))
            )
        except RecordError as exc:
            where = str(position)
            quarantine(Quarantined(where, str(exc), exc.fields, values))
            item = item_key_of(source, mapper.values_of(values, KEY_TARGETS))
            if item is None:
                keyless.append(where)
            elif fits_the_store(item):
                writer.add_seen_only(line, item)
                company_codes.add(item.company_code)
            # else: a key too long for the store names no stored item: nothing to protect
            continue
        if refers is not None and refers[0]:
            applied.append((line, staged, refers))
        else:
            add_item(line, staged)
        if debtor is not None:
            # different data for one debtor: the most recent document's wins, in any order
            debtors.add(debtor_number, debtor, cells, (staged[5], staged[1], staged[2], staged[3]))
        company_codes.add(staged[0])
    result.records = records
    writer.flush()
    for line, staged, (document, year, line_item) in applied:
        key = (staged[0], document, year or staged[2], line_item or "")
        if items.apply_to(source, transfer_id, key, staged[8], staged[10]):
            result.applied += 1
        else:
            add_item(line, staged)  # what it refers to is not open here: an item of its own
    writer.flush()
    debtors.flush()
    timings = {"read_map_write": time.perf_counter() - started}

    if stream.control is not None and stream.control.records != result.records:
        raise FormatError(
            f"{label}: {result.records} records read, the sender's control total says "
            f"{stream.control.records}"
        )

    now = ctx.now()
    for duplicate in writer.duplicates:
        quarantine(
            Quarantined(
                str(duplicate.line),
                f"duplicate key {duplicate.key}: the same item is on line {duplicate.first_line}",
                ("company_code", "document_number", "fiscal_year", "line_item"),
            )
        )
        result.duplicates += 1
    if writer.seen_only:
        items.mark_seen_only(source, transfer_id)
    if pending:
        log_.quarantine(transfer_id, source, label, pending)
    result.accepted = writer.rows - result.duplicates

    mark = time.perf_counter()
    if unread_debtors:
        items.keep_debtors(source, sorted(unread_debtors), transfer_id)
    result.cleared = clearings.flush()
    covered = sorted(company_codes | set(snapshot.company_codes or ()))
    if guard is not None:
        effect = measure_snapshot(items, source, before, covered, transfer_id, reported_at)
        reason = effect.verdict(guard)
        if reason:
            raise SnapshotHeld(effect, reason)
    if keyless:
        shown = ", ".join(keyless[:5]) + (", ..." if len(keyless) > 5 else "")
        result.clearing_skipped = (
            f"cleared items not detected: {len(keyless)} quarantined record(s) without a "
            f"readable key ({shown}) might be items still open"
        )
    else:
        result.cleared += items.clear_unseen(source, covered, transfer_id, ctx.as_of, now)
    result.direct_payments = _direct_payments(
        ctx, session, source, transfer_id, in_cases, clearings.of_cases
    )
    timings["clear_and_payments"] = time.perf_counter() - mark
    mark = time.perf_counter()
    record_snapshot(
        session,
        source=source,
        transfer_id=transfer_id,
        taken_on=ctx.as_of,
        taken_at=now,
        buckets=ctx.config.model.kpi.buckets,
        company_codes=covered,
    )
    timings["kpi_history"] = time.perf_counter() - mark
    log.info(
        "extracted %s from %s: %s",
        label,
        source,
        ", ".join(f"{phase} {seconds:.2f}s" for phase, seconds in timings.items()),
    )

    if snapshot.sha256:
        log_.record_received(source, KIND, label, snapshot.sha256, snapshot.size or 0, transfer_id)
    result.status = "partial" if result.quarantined else "ok"
    summary = (
        f"{result.records} records, {result.accepted} items, {result.quarantined} quarantined"
        f"{f' ({result.duplicates} duplicate keys)' if result.duplicates else ''}, "
        f"{f'{result.applied} applied to the items they refer to, ' if result.applied else ''}"
        f"{result.cleared} cleared, {result.direct_payments} direct payments"
    )
    if result.clearing_skipped:
        summary += f"; {result.clearing_skipped}"
    log_.finish(
        transfer_id,
        status=result.status,
        records=result.accepted,
        rejected=result.quarantined,
        bytes_=snapshot.size,
        sha256=snapshot.sha256,
        summary=summary,
    )
    return result


class _Clearings:
    """Items a source reports cleared: applied in batches as they stream (an open record of
    the same item in the same snapshot wins, whatever the order), and remembered for the items
    of cases in play, whose direct payment then carries the ERP's clearing date and document."""

    def __init__(
        self,
        items: ItemRepository,
        source: str,
        transfer_id: int,
        now: datetime,
        case_items: list[int],
    ) -> None:
        self._items = items
        self._source = source
        self._transfer_id = transfer_id
        self._now = now
        self._case_items = case_items
        self._case_keys: dict[tuple[str, str, int, str], int] | None = None
        self._pending: list[tuple[ItemKey, date]] = []
        self.cleared = 0
        self.of_cases: dict[int, Clearing] = {}

    def add(self, key: ItemKey | None, clearing: Clearing) -> None:
        if key is None or not fits_the_store(key):
            return  # a clearing of something that was never an item here (a payment line)
        if self._case_keys is None:
            self._case_keys = self._items.keys_of(self._case_items) if self._case_items else {}
        item_id = self._case_keys.get(
            (key.company_code, key.document_number, key.fiscal_year, key.line_item)
        )
        if item_id is not None:
            self.of_cases[item_id] = clearing
        self._pending.append((key, clearing.on))
        if len(self._pending) >= CLEARING_FLUSH:
            self.flush()

    def flush(self) -> int:
        if self._pending:
            self.cleared += self._items.clear_reported(
                self._source, self._pending, self._transfer_id, self._now
            )
            self._pending = []
        return self.cleared


def _direct_payments(
    ctx: RunContext,
    session: Session,
    source: str,
    transfer_id: int,
    before: dict[int, ActiveItem],
    clearings: dict[int, Clearing],
) -> int:
    """Items of cases in play that were cleared or reduced by this snapshot."""
    if not before:
        return 0
    after = ItemRepository(session).open_amounts(list(before))
    updater = CaseUpdater(session, ctx.writeback_rules, ctx.now(), ctx.webhooks)
    payments = DirectPayments(session, updater)
    # A credit of a case (a credit note netted into it) that shrank or went was applied to
    # the case's invoices in the ERP: that much of their reductions is no payment.
    applied_credit: dict[int, int] = {}
    for item_id, active in before.items():
        new_minor, seen_in, is_open = after[item_id]
        if active.open_amount_minor < 0 and not (is_open and seen_in != transfer_id):
            left = new_minor if is_open else 0
            if left > active.open_amount_minor:
                applied_credit[active.case_id] = applied_credit.get(active.case_id, 0) + (
                    left - active.open_amount_minor
                )
    count = 0
    for item_id, active in sorted(before.items()):
        new_minor, seen_in, is_open = after[item_id]
        if is_open and seen_in != transfer_id:
            continue  # not in this snapshot (a customer that could not be read): no news
        occurred_at, cleared_text = ctx.now(), ""
        clearing = None if is_open else clearings.get(item_id)
        if clearing is not None:
            # The ERP knows when the debtor paid: the event carries that day, not the run's.
            occurred_at = datetime.combine(clearing.on, clock_time(), tzinfo=UTC)
            cleared_text = f"cleared in {source} on {clearing.on.isoformat()}" + (
                f" by document {clearing.document}" if clearing.document else ""
            )
        payment = payments.from_open_amount(
            item_id=item_id,
            case_id=active.case_id,
            case_item_id=active.case_item_id,
            old_minor=active.open_amount_minor,
            new_minor=new_minor if is_open else None,
            occurred_at=occurred_at,
            external_id=f"{source}:{transfer_id}:{item_id}",
            seen_in=source,
            cleared_text=cleared_text,
        )
        if payment is not None and applied_credit.get(active.case_id):
            credit = min(applied_credit[active.case_id], payment.amount_minor)
            applied_credit[active.case_id] -= credit
            payment = replace(payment, amount_minor=payment.amount_minor - credit)
        if payment is not None and payments.record(payment, transfer_id):
            count += 1
    return count
