"""Retention: what is older than its period goes; personal data of debtors done with long
ago is erased while amounts and references stay for accounting; a dry run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from gateway.config.operations import RetentionConfig
from gateway.ops.retention import ANONYMISED, purge
from gateway.pipeline import run_cycle
from gateway.storage.database import Store
from gateway.storage.models import (
    CaseRow,
    DebtorRow,
    IdempotencyKeyRow,
    JobRunRow,
    OpenItemRow,
    OutboxMessageRow,
    QuarantinedRecordRow,
    ReceivedFileRow,
    TransferRow,
)
from tests.conftest import Workspace

NOW = datetime.now(UTC)


def count(store: Store, table: type) -> int:
    with store.unit_of_work(read_only=True) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_old_records_go_and_a_dry_run_only_counts_them(workspace: Workspace, store: Store) -> None:
    run_cycle(workspace.context(store))
    old = NOW - timedelta(days=500)
    with store.unit_of_work() as session:
        first = session.scalar(select(func.min(TransferRow.id)))
        session.execute(update(TransferRow).where(TransferRow.id == first).values(started_at=old))
        session.add(
            JobRunRow(
                job="daily-cycle",
                kind="cycle",
                trigger="schedule",
                slot=old,
                attempt=1,
                owner="x",
                status="ok",
                started_at=old,
                counts={},
                error="",
            )
        )
        session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.status == "delivered", OutboxMessageRow.id <= 5)
            .values(delivered_at=old)
        )
        # An agency's request answered 31 days ago, and one answered yesterday.
        for key, age in (("k-old", 31), ("k-new", 1)):
            session.add(
                IdempotencyKeyRow(
                    client="agency:inkasso",
                    key=key,
                    request_sha256="0" * 64,
                    status_code=200,
                    response_body="{}",
                    created_at=NOW - timedelta(days=age),
                )
            )
    transfers, quarantined = count(store, TransferRow), count(store, QuarantinedRecordRow)
    assert quarantined > 0
    retention = RetentionConfig()  # transfers 400 days, quarantined records 90, ...

    dry = purge(store, retention, NOW, dry_run=True)
    assert dry.counts() == {
        "transfers": 1,
        "quarantined_records": quarantined,  # they were the oldest transfer's
        "job_runs": 1,
        "alert_states": 0,
        "delivered_messages": 5,
        "idempotency_keys": 1,
        "debtors_anonymised": 0,
    }
    assert (count(store, TransferRow), count(store, QuarantinedRecordRow)) == (
        transfers,
        quarantined,
    )

    done = purge(store, retention, NOW)
    assert done.counts() == dry.counts()
    assert count(store, TransferRow) == transfers - 1
    assert count(store, QuarantinedRecordRow) == count(store, JobRunRow) == 0
    with store.unit_of_work(read_only=True) as session:
        assert list(session.scalars(select(IdempotencyKeyRow.key))) == ["k-new"]
    # the file's hash stays: sent again, it is still recognised
    assert count(store, ReceivedFileRow) == 1
    assert purge(store, retention, NOW).counts() == dict.fromkeys(dry.counts(), 0)


def test_personal_data_of_debtors_done_with_long_ago_is_erased(
    workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    with store.unit_of_work() as session:
        in_case = session.scalars(select(CaseRow).order_by(CaseRow.id)).first()
        assert in_case is not None
        done_with = in_case.debtor_number
        handed_over = in_case.handed_over_minor
        reference = in_case.reference
        # its case closed, paid; the ERP cleared its items
        session.execute(
            update(CaseRow)
            .where(CaseRow.debtor_number == done_with)
            .values(state="closed_paid", closed_at=NOW)
        )
        session.execute(
            update(OpenItemRow).where(OpenItemRow.debtor_number == done_with).values(is_open=False)
        )
        others = list(
            session.scalars(select(DebtorRow.number).where(DebtorRow.number != done_with))
        )
    retention = RetentionConfig(personal_data=timedelta(days=730))
    assert purge(store, retention, NOW + timedelta(days=700)).debtors_anonymised == 0

    later = NOW + timedelta(days=800)
    report = purge(store, retention, later)
    assert report.debtors_anonymised == 1
    with store.unit_of_work(read_only=True) as session:
        debtor = session.scalars(select(DebtorRow).where(DebtorRow.number == done_with)).one()
        assert debtor.name == ANONYMISED
        assert (debtor.street, debtor.city, debtor.email, debtor.phone, debtor.vat_id) == (
            "",
            "",
            "",
            "",
            "",
        )
        assert debtor.number == done_with and debtor.country
        case = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()
        assert case.handed_over_minor == handed_over and case.debtor_number == done_with
        assert session.scalar(
            select(func.count())
            .select_from(OpenItemRow)
            .where(OpenItemRow.debtor_number == done_with)
        )
        kept = session.scalars(select(DebtorRow).where(DebtorRow.number.in_(others)))
        # open items or cases still in play keep everyone else's data
        assert all(d.name != ANONYMISED and d.name for d in kept)
    assert purge(store, retention, later).debtors_anonymised == 0
