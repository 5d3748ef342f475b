"""Bank payments as accounting reads them: those listed for a decision, and their cases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.storage.models import BankPaymentRow, CaseRow

__all__ = ["LISTED", "BankPayments"]

# Payments waiting for accounting: they concern a case but could not be applied.
LISTED = ("unmatched", "ambiguous")


class BankPayments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def search(
        self,
        statuses: Sequence[str] = LISTED,
        bank: str | None = None,
        limit: int = 100,
    ) -> list[tuple[BankPaymentRow, str | None]]:
        """Payments with the given statuses, newest first, each with its case's reference."""
        query = (
            select(BankPaymentRow, CaseRow.reference)
            .outerjoin(CaseRow, CaseRow.id == BankPaymentRow.case_id)
            .where(BankPaymentRow.status.in_(list(statuses)))
            .order_by(BankPaymentRow.booked_on.desc(), BankPaymentRow.id.desc())
            .limit(limit)
        )
        if bank is not None:
            query = query.where(BankPaymentRow.bank == bank)
        return [(row, reference) for row, reference in self.session.execute(query)]
