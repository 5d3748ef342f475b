"""The transfer log: every movement of data across the boundary, and what it rejected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = ["QuarantinedRecordRow", "ReceivedFileRow", "SnapshotHoldRow", "TransferRow"]


class TransferRow(Base):
    """One movement: a file read or written, a batch pushed, a request served."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index(None, "partner", "direction", "started_at"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # inbound | outbound
    kind: Mapped[str] = mapped_column(String(32))  # open_items, handover, agency_updates, ...
    channel: Mapped[str] = mapped_column(String(16))  # local, sftp, rest, rfc
    partner: Mapped[str] = mapped_column(String(64))  # source or agency name
    location: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    records: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The scheduled run that made it, if any: a run taken over from a dead process marks its
    # transfers still `running` as failed.
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The process that made it (gateway.storage.presence): a transfer left `running` by a
    # process that is gone is marked `interrupted` by the next process that starts one.
    owner: Mapped[str] = mapped_column(String(128), default="")


class ReceivedFileRow(Base):
    """A file already processed: its hash makes a second pick-up a no-op."""

    __tablename__ = "received_files"
    __table_args__ = (UniqueConstraint("partner", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    transfer_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class QuarantinedRecordRow(Base):
    """A record that could not be taken, kept with its position and reason."""

    __tablename__ = "quarantined_records"
    __table_args__ = (Index(None, "transfer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(Integer)
    partner: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(Text)  # file name or endpoint
    position: Mapped[str] = mapped_column(String(64))  # line number or record id
    fields: Mapped[str] = mapped_column(Text, default="")  # the failing fields, comma-separated
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, default="")  # the record as received, JSON
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SnapshotHoldRow(Base):
    """A snapshot held for confirmation: it would have cleared or reduced more of a source's
    open items than its guard allows (a truncated export?). Nothing of it was applied; it
    waits where it is until accounting or IT confirms it (the next extraction applies it) or
    rejects it (the next extraction sets it aside)."""

    __tablename__ = "snapshot_holds"
    __table_args__ = (Index(None, "source", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    transfer_id: Mapped[int] = mapped_column(Integer)  # the extraction that held it
    status: Mapped[str] = mapped_column(
        String(16), default="held"
    )  # held|confirmed|rejected|applied
    reason: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    applied_transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
