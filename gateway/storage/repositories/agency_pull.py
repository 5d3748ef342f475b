"""The pull channel's queues: cases handed to an agency and notices for it, until the agency
acknowledges them.

Cases: every case of the agency that was submitted (handed over) and has no acknowledgement.
Notices: the outbox's `agency_notice` messages for the agency (written by `CaseUpdater` with
the change that caused them) that have no acknowledgement. So nothing is copied: what the
agency reads is what the gateway committed, and the relay need not run for it to appear.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.storage.models import (
    AgencyCaseAckRow,
    AgencyNoticeAckRow,
    CaseRow,
    OutboxMessageRow,
)
from gateway.storage.repositories.outbox import AGENCY_NOTICE

__all__ = ["AgencyPull"]


class AgencyPull:
    def __init__(self, session: Session) -> None:
        self.session = session

    def new_cases(self, agency: str, limit: int) -> list[CaseRow]:
        """Submitted cases of `agency` it has not acknowledged, oldest handover first."""
        query = (
            select(CaseRow)
            .outerjoin(AgencyCaseAckRow, AgencyCaseAckRow.case_id == CaseRow.id)
            .where(
                CaseRow.agency == agency,
                CaseRow.submitted_at.is_not(None),
                AgencyCaseAckRow.case_id.is_(None),
            )
            .order_by(CaseRow.submitted_at, CaseRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def acknowledged_at(self, case_id: int) -> datetime | None:
        return self.session.scalar(
            select(AgencyCaseAckRow.acknowledged_at).where(AgencyCaseAckRow.case_id == case_id)
        )

    def ack_cases(
        self, agency: str, references: Sequence[str], now: datetime
    ) -> tuple[list[str], list[str]]:
        """Acknowledge cases; (acknowledged, unknown). Acknowledging twice is harmless;
        a case not submitted yet, or another agency's, is unknown."""
        wanted = list(dict.fromkeys(references))
        rows = {
            row.reference: row
            for row in self.session.scalars(
                select(CaseRow).where(
                    CaseRow.agency == agency,
                    CaseRow.reference.in_(wanted),
                    CaseRow.submitted_at.is_not(None),
                )
            )
        }
        done = set(
            self.session.scalars(
                select(AgencyCaseAckRow.case_id).where(
                    AgencyCaseAckRow.case_id.in_([r.id for r in rows.values()])
                )
            )
        )
        for row in rows.values():
            if row.id not in done:
                self.session.add(
                    AgencyCaseAckRow(case_id=row.id, agency=agency, acknowledged_at=now)
                )
        self.session.flush()
        return [r for r in wanted if r in rows], [r for r in wanted if r not in rows]

    def notices(self, agency: str, limit: int) -> list[OutboxMessageRow]:
        """Notices for `agency` it has not acknowledged, oldest first."""
        query = (
            select(OutboxMessageRow)
            .outerjoin(
                AgencyNoticeAckRow, AgencyNoticeAckRow.notice_id == OutboxMessageRow.message_key
            )
            .where(
                OutboxMessageRow.kind == AGENCY_NOTICE,
                OutboxMessageRow.destination == agency,
                AgencyNoticeAckRow.notice_id.is_(None),
            )
            .order_by(OutboxMessageRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def ack_notices(
        self, agency: str, notice_ids: Sequence[str], now: datetime
    ) -> tuple[list[str], list[str]]:
        """Acknowledge notices; (acknowledged, unknown)."""
        wanted = list(dict.fromkeys(notice_ids))
        known = set(
            self.session.scalars(
                select(OutboxMessageRow.message_key).where(
                    OutboxMessageRow.kind == AGENCY_NOTICE,
                    OutboxMessageRow.destination == agency,
                    OutboxMessageRow.message_key.in_(wanted),
                )
            )
        )
        done = set(
            self.session.scalars(
                select(AgencyNoticeAckRow.notice_id).where(AgencyNoticeAckRow.notice_id.in_(known))
            )
        )
        for notice_id in wanted:
            if notice_id in known and notice_id not in done:
                self.session.add(
                    AgencyNoticeAckRow(notice_id=notice_id, agency=agency, acknowledged_at=now)
                )
        self.session.flush()
        return [n for n in wanted if n in known], [n for n in wanted if n not in known]
