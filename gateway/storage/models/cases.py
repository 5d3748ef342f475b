"""Cases, their items and events, and the handover batches that carry them to agencies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = ["CaseEventRow", "CaseItemRow", "CaseRow", "HandoverBatchRow"]


class HandoverBatchRow(Base):
    """Cases handed to one agency in one delivery; `reference` names the file."""

    __tablename__ = "handover_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered
    as_of: Mapped[date] = mapped_column(Date)
    case_count: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CaseRow(Base):
    """A case and its current status (the fold of its events). Amounts in minor units."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "agency", "state"),
        Index(None, "source", "debtor_number"),
        # The work list's sorts (gateway.storage.repositories.work_list): the ids of a page
        # are read from these alone (covering), without the case rows.
        Index("ix_cases_state_amount", "state", "handed_over_minor", "currency", "id"),
        Index("ix_cases_state_due", "state", "oldest_due_date", "id"),
        Index("ix_cases_state_debtor", "state", "source", "debtor_number", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    debtor_number: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(32))
    state_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    policy: Mapped[str] = mapped_column(String(64))
    # The version of the policy that made the case (none for cases made before versions were
    # kept), how many people must approve it, and the day its claims were computed for.
    policy_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy_versions.id"), nullable=True
    )
    approvals_required: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    claims_as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The net due date of the case's oldest item: how old the debt is (the console's "age").
    oldest_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("handover_batches.id"), nullable=True)
    handed_over_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_principal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_interest_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_fees_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    commission_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_directly_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    interest_claimed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fees_claimed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseItemRow(Base):
    """An item of a case: what was handed over, and the payments allocated to it."""

    __tablename__ = "case_items"
    __table_args__ = (UniqueConstraint("case_id", "item_id"), Index(None, "item_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("open_items.id"))
    position: Mapped[int] = mapped_column(Integer)  # payment order: net due date, then key
    handed_over_minor: Mapped[int] = mapped_column(BigInteger)
    collected_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_directly_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class CaseEventRow(Base):
    """An event of a case, as received. `effect` says how the state machine took it."""

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("case_id", "origin", "external_id"),
        Index(None, "case_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    origin: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    principal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    interest_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fees_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    commission_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(String(32), default="applied")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # a promise's day
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
