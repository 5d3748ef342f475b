"""Retention: old records purged, personal data of closed cases anonymised.

What goes, after the periods of the configuration's `retention:` section:
- transfers (the transfer log) and the records they quarantined;
- quarantined records on their own (they hold the raw record, often with personal data);
- the run history of scheduled jobs, and alert states long resolved;
- outbox messages delivered long ago;
- the Idempotency-Keys of API requests answered long ago (with the stored answers);
- personal data (`retention.personal_data`, off unless set): debtors with no open item and no
  case in play, whose last case closed (or who were last seen, with no case) before the
  period, keep their number, country, language and segment; name, second name, VAT and
  registration numbers, street, postal code, city, e-mail and phone are erased. Amounts,
  references and case history stay for accounting.

What stays whatever its age: the hashes of files received (they keep a file sent again from
being taken twice), cases, their events and items, open items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from gateway.config.operations import RetentionConfig
from gateway.domain.cases import TERMINAL
from gateway.storage.database import Store
from gateway.storage.models import (
    AlertStateRow,
    CaseRow,
    DebtorRow,
    IdempotencyKeyRow,
    JobRunRow,
    OpenItemRow,
    OutboxMessageRow,
    QuarantinedRecordRow,
    TransferRow,
)

__all__ = ["ANONYMISED", "PurgeReport", "purge"]

ANONYMISED = "(anonymised)"
PERSONAL_FIELDS = (
    "name2",
    "vat_id",
    "registration",
    "street",
    "postal_code",
    "city",
    "email",
    "phone",
)


# What each count of a report is governed by (quarantined records also go with their
# transfer, whatever their own period).
_PERIODS = (
    ("transfers", "transfers"),
    ("quarantined records", "quarantined_records"),
    ("job runs", "run_history"),
    ("resolved alerts", "run_history"),
    ("delivered messages", "delivered_messages"),
    ("idempotency keys", "idempotency_keys"),
    ("debtors anonymised", "personal_data"),
)


@dataclass(slots=True)
class PurgeReport:
    """What a purge removed (or, in a dry run, would remove), per kind of record."""

    dry_run: bool
    transfers: int = 0
    quarantined_records: int = 0
    job_runs: int = 0
    alert_states: int = 0
    delivered_messages: int = 0
    idempotency_keys: int = 0
    debtors_anonymised: int = 0
    cutoffs: dict[str, datetime | None] = field(default_factory=dict)

    def lines(self) -> list[tuple[str, int, datetime | None]]:
        """(what, how many, the cutoff of its retention period or None if kept)."""
        return [
            (what, count, self.cutoffs.get(period))
            for (what, period), count in zip(_PERIODS, self.counts().values(), strict=True)
        ]

    def counts(self) -> dict[str, int]:
        return {
            "transfers": self.transfers,
            "quarantined_records": self.quarantined_records,
            "job_runs": self.job_runs,
            "alert_states": self.alert_states,
            "delivered_messages": self.delivered_messages,
            "idempotency_keys": self.idempotency_keys,
            "debtors_anonymised": self.debtors_anonymised,
        }


def _count(session: Session, table: type, where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(table).where(where)) or 0)


def _remove(session: Session, table: type, where: ColumnElement[bool], dry_run: bool) -> int:
    if dry_run:
        return _count(session, table, where)
    result = session.execute(
        delete(table).where(where).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _debtors_to_anonymise(cutoff: datetime) -> ColumnElement[bool]:
    debtor = DebtorRow
    open_item = exists().where(
        OpenItemRow.source == debtor.source,
        OpenItemRow.debtor_number == debtor.number,
        OpenItemRow.is_open.is_(True),
    )
    recent_case = exists().where(
        CaseRow.source == debtor.source,
        CaseRow.debtor_number == debtor.number,
        or_(
            CaseRow.state.not_in([s.value for s in TERMINAL]),
            func.coalesce(CaseRow.closed_at, CaseRow.updated_at) >= cutoff,
        ),
    )
    return and_(
        debtor.name != ANONYMISED,
        debtor.updated_at < cutoff,
        ~open_item,
        ~recent_case,
    )


def purge(
    store: Store, retention: RetentionConfig, now: datetime, *, dry_run: bool = False
) -> PurgeReport:
    """Remove what is older than the retention periods, in one transaction."""
    report = PurgeReport(dry_run)

    def cutoff(name: str) -> datetime | None:
        period = getattr(retention, name)
        report.cutoffs[name] = now - period if period is not None else None
        return report.cutoffs[name]

    with store.unit_of_work(read_only=dry_run) as session:
        if (before := cutoff("transfers")) is not None:
            old = TransferRow.started_at < before
            # Their quarantined records go with them, whatever the records' own period.
            report.quarantined_records += _remove(
                session,
                QuarantinedRecordRow,
                QuarantinedRecordRow.transfer_id.in_(select(TransferRow.id).where(old)),
                dry_run,
            )
            report.transfers = _remove(session, TransferRow, old, dry_run)
        if (before := cutoff("quarantined_records")) is not None:
            report.quarantined_records += _remove(
                session, QuarantinedRecordRow, QuarantinedRecordRow.created_at < before, dry_run
            )
        if (before := cutoff("run_history")) is not None:
            report.job_runs = _remove(
                session,
                JobRunRow,
                and_(JobRunRow.started_at < before, JobRunRow.status != "running"),
                dry_run,
            )
            report.alert_states = _remove(
                session,
                AlertStateRow,
                and_(
                    AlertStateRow.firing.is_(False),
                    AlertStateRow.notice_pending.is_(False),
                    AlertStateRow.updated_at < before,
                ),
                dry_run,
            )
        if (before := cutoff("delivered_messages")) is not None:
            report.delivered_messages = _remove(
                session,
                OutboxMessageRow,
                and_(
                    OutboxMessageRow.status == "delivered", OutboxMessageRow.delivered_at < before
                ),
                dry_run,
            )
        if (before := cutoff("idempotency_keys")) is not None:
            report.idempotency_keys = _remove(
                session, IdempotencyKeyRow, IdempotencyKeyRow.created_at < before, dry_run
            )
        if (before := cutoff("personal_data")) is not None:
            where = _debtors_to_anonymise(before)
            if dry_run:
                report.debtors_anonymised = _count(session, DebtorRow, where)
            else:
                values: dict[str, object] = dict.fromkeys(PERSONAL_FIELDS, "")
                result = session.execute(
                    update(DebtorRow)
                    .where(where)
                    .values(name=ANONYMISED, updated_at=now, **values)
                    .execution_options(synchronize_session=False)
                )
                report.debtors_anonymised = int(result.rowcount)  # type: ignore[attr-defined]
    return report
