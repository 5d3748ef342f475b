"""Bank statements: incoming payments matched to handed-over items, applied as direct payments.

One transaction per statement file. Each booked credit is matched (see
gateway.domain.payment_matching): a match becomes direct-payment events on its case, one per
item it pays (origin `bank`), so that the case, the agency (a notice) and the ERP write-back
follow as for a payment seen in the ERP, and a later ERP snapshot showing the same payment
does not count it twice. A payment that concerns a case but cannot be applied, or points to
several, is listed for accounting (`claimbridge payments`, GET /v1/payments), never guessed.
The same payment met again (a notification, then the statement) is recognised by its id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import ConnectorError, FormatError, Outcome, Snapshot
from gateway.domain.cases import AT_AGENCY, BEFORE_SUBMISSION, CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.money import CurrencyError, Money, to_minor
from gateway.domain.payment_matching import (
    CaseOpen,
    IncomingPayment,
    ItemOpen,
    MatchOutcome,
    PaymentIndex,
    PaymentMatch,
)
from gateway.pipeline.case_updates import CaseUpdater
from gateway.pipeline.context import RunContext
from gateway.pipeline.transfers import (
    fail_transfer,
    log_failed,
    log_skipped,
    settle_snapshot,
    start_transfer,
)
from gateway.storage.models import BankPaymentRow, CaseItemRow, CaseRow, DebtorRow, OpenItemRow
from gateway.storage.repositories.transfers import Quarantined, TransferLog
from mappings import ColumnsError, CompiledMapping, RecordError

__all__ = ["StatementResult", "apply_to_case", "payment_index", "receive_statements"]

log = logging.getLogger(__name__)

KIND = "bank_statement"


@dataclass(slots=True)
class StatementResult:
    bank: str
    label: str
    status: str  # ok | partial | skipped | failed
    transfer_id: int | None = None
    records: int = 0
    ignored: int = 0  # debits, pending entries, reversals
    duplicates: int = 0  # payments already received (a notification, then the statement)
    matched: int = 0
    listed: int = 0  # unmatched or ambiguous: for accounting
    unrelated: int = 0
    quarantined: int = 0
    error: str = ""


def receive_statements(ctx: RunContext, bank: str) -> list[StatementResult]:
    """Read every waiting statement file of a bank."""
    files = ctx.config.open_bank(bank)
    mapping = ctx.config.banks[bank].mapping
    results: list[StatementResult] = []
    try:
        for statement in files.statements():
            results.append(_statement(ctx, bank, mapping, statement))
    except ConnectorError as exc:
        tid = log_failed(
            ctx.store, direction="inbound", kind=KIND, channel="files", partner=bank, error=str(exc)
        )
        results.append(StatementResult(bank, "(pick-up)", "failed", tid, error=str(exc)))
    finally:
        files.close()
    return results


def _statement(
    ctx: RunContext, bank: str, mapping: CompiledMapping, statement: Snapshot
) -> StatementResult:
    store, label = ctx.store, statement.label
    if statement.sha256:
        with store.unit_of_work(read_only=True) as session:
            seen = TransferLog(session).received(bank, KIND, statement.sha256)
            earlier = (seen.name, seen.transfer_id) if seen else None
        if earlier:
            reason = f"already processed as {earlier[0]} (transfer {earlier[1]})"
            tid = log_skipped(
                store,
                direction="inbound",
                kind=KIND,
                channel=statement.channel,
                partner=bank,
                location=label,
                reason=reason,
                sha256=statement.sha256,
                size=statement.size,
            )
            settle_snapshot(store, statement, Outcome.DUPLICATE, tid)
            return StatementResult(bank, label, "skipped", tid)
    tid = start_transfer(
        store,
        direction="inbound",
        kind=KIND,
        channel=statement.channel,
        partner=bank,
        location=label,
    )
    try:
        with store.unit_of_work() as session:
            result = _apply(ctx, session, bank, mapping, statement, tid)
    except FormatError as exc:
        fail_transfer(store, tid, str(exc))
        settle_snapshot(store, statement, Outcome.REJECTED, tid, str(exc))
        return StatementResult(bank, label, "failed", tid, error=str(exc))
    except (ConnectorError, IntegrityError) as exc:
        fail_transfer(store, tid, str(exc))
        statement.settle(Outcome.RETRY)
        return StatementResult(bank, label, "failed", tid, error=str(exc))
    except Exception as exc:
        log.exception("statement %s of bank %s failed", label, bank)
        fail_transfer(store, tid, f"internal error: {type(exc).__name__}: {exc}")
        statement.settle(Outcome.RETRY)
        raise
    settle_snapshot(store, statement, Outcome.PROCESSED, tid)
    return result


def payment_index(session: Session) -> PaymentIndex:
    """Every handed-over case with its items and what each still lacks."""
    rows = session.execute(
        select(
            CaseRow.id,
            CaseRow.reference,
            CaseRow.currency,
            CaseRow.state,
            DebtorRow.name,
            CaseItemRow.item_id,
            CaseItemRow.handed_over_minor,
            CaseItemRow.collected_minor,
            CaseItemRow.paid_directly_minor,
            OpenItemRow.document_number,
            OpenItemRow.reference,
            OpenItemRow.net_due_date,
        )
        .join(CaseItemRow, CaseItemRow.case_id == CaseRow.id)
        .join(OpenItemRow, OpenItemRow.id == CaseItemRow.item_id)
        .outerjoin(
            DebtorRow,
            (DebtorRow.source == CaseRow.source) & (DebtorRow.number == CaseRow.debtor_number),
        )
        .where(CaseRow.state.not_in([s.value for s in BEFORE_SUBMISSION]))
        .order_by(CaseRow.id)
    )
    cases: dict[int, CaseOpen] = {}
    for row in rows:
        case = cases.get(row[0])
        if case is None:
            state = CaseState(row[3])
            case = cases[row[0]] = CaseOpen(
                row[0], row[1], row[2], row[4] or "", state in AT_AGENCY, state.value
            )
        case.items.append(
            ItemOpen(row[5], row[9], row[10] or "", row[11], row[6] - row[7] - row[8])
        )
    return PaymentIndex(cases.values())


def apply_to_case(
    updater: CaseUpdater,
    session: Session,
    bank: str,
    payment_id: str,
    booked_on: date,
    match: PaymentMatch,
    note: str,
    transfer_id: int | None,
) -> int:
    """Record a matched payment on its case: one direct-payment event per item it pays.
    Returns how many events were new (0: the payment was applied before)."""
    assert match.case_id is not None  # noqa: S101 - only matches are applied
    case = session.get(CaseRow, match.case_id)
    if case is None:
        return 0
    occurred_at = min(datetime.combine(booked_on, clock_time(), tzinfo=UTC), updater.now)
    new = 0
    for item_id, share in match.shares:
        event = CaseEvent(
            kind=EventKind.DIRECT_PAYMENT,
            origin=EventOrigin.BANK,
            external_id=f"{bank}:{payment_id}:{item_id}",
            occurred_at=occurred_at,
            amount=share,
            note=note,
        )
        applied = updater.apply(case, event, transfer_id=transfer_id, item_id=item_id)
        new += 0 if applied.duplicate else 1
    return new


def _apply(
    ctx: RunContext,
    session: Session,
    bank: str,
    mapping: CompiledMapping,
    statement: Snapshot,
    transfer_id: int,
) -> StatementResult:
    label = statement.label
    stream = statement.open()
    try:
        mapper = (
            mapping.bind(stream.columns) if stream.columns is not None else mapping.for_records()
        )
    except ColumnsError as exc:
        raise FormatError(f"{label}: {exc}") from None
    list_all = ctx.config.banks[bank].config.list_unmatched == "all"
    result = StatementResult(bank, label, "ok", transfer_id)
    index = payment_index(session)
    known = set(
        session.scalars(select(BankPaymentRow.payment_id).where(BankPaymentRow.bank == bank))
    )
    updater = CaseUpdater(session, ctx.writeback_rules, ctx.now(), ctx.webhooks)
    quarantined: list[Quarantined] = []
    targets = mapper.targets
    for record in stream.records:
        result.records += 1
        position = str(record.position)
        if record.problem:
            quarantined.append(Quarantined(position, record.problem, (), record.values))
            continue
        try:
            values = dict(zip(targets, mapper(record.values), strict=True))
            amount = to_minor(values["amount"], values["currency"])
        except RecordError as exc:
            quarantined.append(Quarantined(position, str(exc), exc.fields, record.values))
            continue
        except CurrencyError as exc:
            quarantined.append(Quarantined(position, f"amount: {exc}", ("amount",), record.values))
            continue
        if values["direction"] != "credit" or not values["booked"] or values["reversal"]:
            result.ignored += 1
            continue
        payment_id = values["payment_id"]
        if payment_id in known:
            result.duplicates += 1
            continue
        known.add(payment_id)
        incoming = IncomingPayment(
            amount,
            values["currency"],
            values["debtor_name"],
            values["structured_reference"],
            values["remittance_text"],
        )
        match = index.match(incoming)
        if match.outcome is MatchOutcome.UNRELATED and not list_all:
            result.unrelated += 1
            continue
        if match.outcome is MatchOutcome.MATCHED:
            note = (
                f"paid {Money(amount, incoming.currency)} to {values['account'] or bank} on "
                f"{values['booked_on'].isoformat()} by {incoming.debtor_name or 'an unnamed payer'}"
                f" ({match.reason})"
            )
            apply_to_case(
                updater, session, bank, payment_id, values["booked_on"], match, note, transfer_id
            )
            index.settle(match)
            result.matched += 1
        elif match.outcome is MatchOutcome.UNRELATED:
            result.unrelated += 1
        else:
            result.listed += 1
        session.add(_row(bank, payment_id, values, amount, match, transfer_id, ctx.now()))
    result.quarantined = len(quarantined)
    log_ = TransferLog(session)
    if quarantined:
        log_.quarantine(transfer_id, bank, label, quarantined)
    if statement.sha256:
        log_.record_received(bank, KIND, label, statement.sha256, statement.size or 0, transfer_id)
    result.status = "partial" if quarantined else "ok"
    log_.finish(
        transfer_id,
        status=result.status,
        records=result.records - result.quarantined,
        rejected=result.quarantined,
        bytes_=statement.size,
        sha256=statement.sha256,
        summary=(
            f"{result.records} records: {result.matched} payments applied to cases, "
            f"{result.listed} listed for accounting, {result.unrelated} not for a case, "
            f"{result.duplicates} already received, {result.ignored} not incoming payments, "
            f"{result.quarantined} quarantined"
        ),
    )
    return result


def _row(
    bank: str,
    payment_id: str,
    values: dict[str, Any],
    amount: int,
    match: PaymentMatch,
    transfer_id: int,
    now: datetime,
) -> BankPaymentRow:
    return BankPaymentRow(
        bank=bank,
        payment_id=payment_id[:255],
        booked_on=values["booked_on"],
        amount_minor=amount,
        currency=values["currency"],
        account=values["account"][:64],
        debtor_name=values["debtor_name"][:255],
        debtor_account=values["debtor_account"][:64],
        structured_reference=values["structured_reference"][:64],
        remittance_text=values["remittance_text"],
        status=match.outcome.value,
        reason=match.reason,
        case_id=match.case_id,
        transfer_id=transfer_id,
        received_at=now,
        resolved_by="",
        note="",
    )
