"""Incoming bank payments that concern cases: matched ones (the record of which direct payment
they became) and those listed for accounting."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = ["BankPaymentRow"]


class BankPaymentRow(Base):
    """One incoming payment of a bank statement. `status`: matched (applied to `case_id`),
    unmatched or ambiguous (listed for accounting), unrelated (kept only when a bank lists
    every payment), assigned or dismissed (accounting's decision)."""

    __tablename__ = "bank_payments"
    __table_args__ = (UniqueConstraint("bank", "payment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[str] = mapped_column(String(255))
    booked_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    account: Mapped[str] = mapped_column(String(64), default="")
    debtor_name: Mapped[str] = mapped_column(String(255), default="")
    debtor_account: Mapped[str] = mapped_column(String(64), default="")
    structured_reference: Mapped[str] = mapped_column(String(64), default="")
    remittance_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
