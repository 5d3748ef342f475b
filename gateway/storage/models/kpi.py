"""What the KPIs keep: each snapshot's aggregates (the history), the credit sales feed, and
each debtor's payment-behaviour score. Amounts are minor units of their row's currency."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = [
    "CreditSalesRow",
    "DebtorAgeingRow",
    "DebtorScoreRow",
    "KpiSnapshotRow",
    "KpiSnapshotTotalRow",
]


class KpiSnapshotRow(Base):
    """One extraction of a source, as the KPIs remember it: the day it stands for and the
    ageing bucket edges its totals were cut at (days past the net due date)."""

    __tablename__ = "kpi_snapshots"
    __table_args__ = (Index(None, "source", "taken_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    transfer_id: Mapped[int] = mapped_column(Integer, unique=True)
    taken_on: Mapped[date] = mapped_column(Date)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    bucket_edges: Mapped[str] = mapped_column(String(200))  # "30,60,90,180"
    company_codes: Mapped[str] = mapped_column(Text, default="")  # those the snapshot covered


class KpiSnapshotTotalRow(Base):
    """The open items of a snapshot summed per company code, currency, segment, agency (empty:
    not at an agency) and ageing bucket (0 = not yet due, 1 = first overdue bucket...)."""

    __tablename__ = "kpi_snapshot_totals"
    __table_args__ = (Index(None, "snapshot_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("kpi_snapshots.id", ondelete="CASCADE"))
    company_code: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    segment: Mapped[str] = mapped_column(String(32))
    agency: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    open_minor: Mapped[int] = mapped_column(BigInteger)


class CreditSalesRow(Base):
    """Credit sales of one month (`period` is its first day) from a sales feed; the latest
    snapshot of the feed that has the month wins."""

    __tablename__ = "credit_sales"
    __table_args__ = (UniqueConstraint("source", "period", "company_code", "currency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    period: Mapped[date] = mapped_column(Date)
    company_code: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    transfer_id: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DebtorScoreRow(Base):
    """A debtor's payment behaviour and risk score as last computed (gateway.kpi.scorecard);
    `points` is the scorecard's lines as JSON, so the score on record is explained as it was."""

    __tablename__ = "debtor_scores"
    __table_args__ = (UniqueConstraint("source", "debtor_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    debtor_number: Mapped[str] = mapped_column(String(64))
    computed_on: Mapped[date] = mapped_column(Date)
    risk_score: Mapped[int] = mapped_column(Integer)
    payment_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    weighted_days_late: Mapped[str] = mapped_column(String(16), default="")  # Decimal text
    # The weighted days late rounded half up to whole days (the cash forecast's delay); none
    # without payment history.
    delay_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paid_items: Mapped[int] = mapped_column(Integer, default=0)
    broken_promises: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[str] = mapped_column(Text, default="[]")


class DebtorAgeingRow(Base):
    """A debtor's open items in one currency by ageing bucket, as computed with the scores
    (the debtors' aged balance, largest overdue first, without reading every item again)."""

    __tablename__ = "debtor_ageing"
    __table_args__ = (
        UniqueConstraint("source", "debtor_number", "currency"),
        Index(None, "overdue_minor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    debtor_number: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    computed_on: Mapped[date] = mapped_column(Date)
    bucket_edges: Mapped[str] = mapped_column(String(200))
    items: Mapped[int] = mapped_column(Integer)
    overdue_minor: Mapped[int] = mapped_column(BigInteger)
    buckets: Mapped[str] = mapped_column(Text)  # JSON list of minor amounts, bucket 0 first
