"""What the agency REST API keeps: API keys, idempotency keys, documents, and which cases and
notices an agency has acknowledged (the pull channel)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = [
    "AgencyApiKeyRow",
    "AgencyCaseAckRow",
    "AgencyDocumentRow",
    "AgencyNoticeAckRow",
    "IdempotencyKeyRow",
]


class AgencyApiKeyRow(Base):
    """An agency's API key. Only the SHA-256 of the secret is kept: the key is shown once."""

    __tablename__ = "agency_api_keys"
    __table_args__ = (Index(None, "agency", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    agency: Mapped[str] = mapped_column(String(64))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class IdempotencyKeyRow(Base):
    """A POST already answered: (client, key) is the primary key, so two concurrent requests
    with the same key cannot both be applied. Written in the transaction of the change."""

    __tablename__ = "idempotency_keys"

    client: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgencyCaseAckRow(Base):
    """A case the agency confirmed it took (pull channel): it leaves GET /cases/new."""

    __tablename__ = "agency_case_acks"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgencyNoticeAckRow(Base):
    """A notice (recall, direct payment) the agency confirmed it read: it leaves GET
    /notices. Notices themselves are the outbox's `agency_notice` messages."""

    __tablename__ = "agency_notice_acks"

    notice_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgencyDocumentRow(Base):
    """A document an agency uploaded for a case (a court order, a payment plan)."""

    __tablename__ = "agency_documents"
    __table_args__ = (UniqueConstraint("case_id", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    agency: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
