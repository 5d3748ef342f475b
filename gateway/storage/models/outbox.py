"""The transactional outbox: messages written with the change that caused them, delivered
afterwards by a relay (ERP write-back actions, notices to agencies)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = ["OutboxBatchRow", "OutboxMessageRow"]


class OutboxMessageRow(Base):
    """One message to deliver. Messages with the same `ordering_key` are delivered in id
    order; `message_key` is the stable id the receiver deduplicates on."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "status", "destination", "next_attempt_at"),
        Index(None, "ordering_key", "id"),
        Index(None, "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # erp_action | agency_notice
    destination: Mapped[str] = mapped_column(String(64))  # source or agency name
    ordering_key: Mapped[str] = mapped_column(String(255))
    message_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The delivery batch it was claimed in, until it is delivered or dead: a batch claimed
    # again (its relay died) is delivered again whole, under the same identity.
    batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OutboxBatchRow(Base):
    """One delivery: the messages a relay claimed together. Its id and creation time make the
    delivery's identity (the file name, the request key), the same however often it is sent."""

    __tablename__ = "outbox_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(64))
    messages: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
