"""Open items and debtors."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, metadata, utcnow

__all__ = ["DebtorRow", "OpenItemRow", "extraction_seen"]


class DebtorRow(Base):
    __tablename__ = "debtors"
    __table_args__ = (
        UniqueConstraint("source", "number"),
        # The work list sorted by name or filtered by segment reads these from the index.
        Index("ix_debtors_source_number_name", "source", "number", "name", "segment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    name2: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="company")
    vat_id: Mapped[str] = mapped_column(String(32), default="")
    registration: Mapped[str] = mapped_column(String(64), default="")
    street: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    city: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    email: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    segment: Mapped[str] = mapped_column(String(32), default="")
    # The e-mail address of the account's sales rep in the ERP (gateway.notifications).
    sales_rep: Mapped[str] = mapped_column(String(254), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OpenItemRow(Base):
    """An item as last seen in its source. Amounts are minor units of `currency`."""

    __tablename__ = "open_items"
    __table_args__ = (
        UniqueConstraint("source", "company_code", "document_number", "fiscal_year", "line_item"),
        # No other index on purpose: each made writing a snapshot of a million items markedly
        # slower (by debtor: 3×; by company code and open flag: +40 %), while clearing and
        # selection read the open items of a source in bulk anyway.
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    company_code: Mapped[str] = mapped_column(String(16))
    document_number: Mapped[str] = mapped_column(String(32))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    line_item: Mapped[str] = mapped_column(String(8))
    debtor_number: Mapped[str] = mapped_column(String(64))
    document_date: Mapped[date] = mapped_column(Date)
    posting_date: Mapped[date] = mapped_column(Date)
    net_due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    open_amount_minor: Mapped[int] = mapped_column(BigInteger)
    dunning_level: Mapped[int] = mapped_column(Integer, default=0)
    last_dunning_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    dunning_block: Mapped[str] = mapped_column(String(4), default="")
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_promised_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    reference: Mapped[str] = mapped_column(Text, default="")
    document_type: Mapped[str] = mapped_column(String(8), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    cleared_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    first_seen_transfer_id: Mapped[int] = mapped_column(Integer)
    last_seen_transfer_id: Mapped[int] = mapped_column(Integer)
    last_seen_line: Mapped[int] = mapped_column(BigInteger)  # position in that snapshot
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# Quarantined lines of an extraction whose item key could still be read: their items count as
# seen by the snapshot (a bad line must not make an open item look cleared). Filled and emptied
# within the extraction's transaction.
extraction_seen = Table(
    "extraction_seen",
    metadata,
    Column("transfer_id", Integer, nullable=False),
    Column("line", BigInteger, nullable=False),
    Column("company_code", String(16), nullable=False),
    Column("document_number", String(32), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("line_item", String(8), nullable=False),
)
