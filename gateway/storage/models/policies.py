"""Policy versions, selection runs, and the approvals a case received."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = ["CaseApprovalRow", "PolicyVersionRow", "SelectionRunRow"]


class PolicyVersionRow(Base):
    """A policy as it was when it made cases: its normalised definition and that text's
    SHA-256. The same definition is one row, however often it is used."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("name", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    definition: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SelectionRunRow(Base):
    """What one (real) selection run of a policy found: the dry run compares with it."""

    __tablename__ = "selection_runs"
    __table_args__ = (Index(None, "policy", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy: Mapped[str] = mapped_column(String(64))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    as_of: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    candidates: Mapped[int] = mapped_column(Integer)
    selected_items: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    # {"excluded": [[label, items], ...], "totals": {currency: minor}, "agencies": {name: n},
    #  "below_case_total": n, "held_back": n}
    figures: Mapped[dict[str, object]] = mapped_column(JSON)


class CaseApprovalRow(Base):
    """One person's approval of a case (cases above a policy's amount need two people).

    `approver_key` is the approver as the four-eyes rule compares people (without regard to
    case or surrounding blanks): one approval per person and case, whatever runs at once."""

    __tablename__ = "case_approvals"
    __table_args__ = (
        UniqueConstraint("case_id", "decision_id"),
        UniqueConstraint("case_id", "approver_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    decision_id: Mapped[str] = mapped_column(String(128))
    approver: Mapped[str] = mapped_column(String(128))
    approver_key: Mapped[str] = mapped_column(String(128))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
