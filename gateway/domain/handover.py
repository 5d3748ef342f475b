"""What crosses to the agency: handover batches of cases, and notices about cases."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from gateway.domain.items import Debtor, OpenItem
from gateway.domain.money import Money

__all__ = ["AgencyNotice", "HandoverBatch", "HandoverCase", "NoticeKind"]


@dataclass(frozen=True, slots=True)
class HandoverCase:
    """One case as the agency receives it: debtor, items, and what is claimed."""

    reference: str
    agency: str
    debtor: Debtor
    items: Sequence[OpenItem]
    interest: Money
    fees: Money

    @property
    def currency(self) -> str:
        return self.interest.currency

    @property
    def total(self) -> Money:
        """The open amount handed over (principal)."""
        total = Money.zero(self.currency)
        for item in self.items:
            total = total + item.open_amount
        return total


@dataclass(frozen=True, slots=True)
class HandoverBatch:
    """The cases handed to one agency in one transfer. `reference` is stable: delivering the
    same batch again (after a crash) produces the same file name and content."""

    reference: str
    agency: str
    created_at: datetime
    as_of: date
    cases: Sequence[HandoverCase]

    @property
    def item_count(self) -> int:
        return sum(len(c.items) for c in self.cases)

    def totals(self) -> dict[str, Money]:
        """Control totals: the open amount handed over, per currency."""
        totals: dict[str, Money] = {}
        for case in self.cases:
            totals[case.currency] = (
                totals.get(case.currency, Money.zero(case.currency)) + case.total
            )
        return totals


class NoticeKind(enum.StrEnum):
    RECALL = "recall"
    DIRECT_PAYMENT = "direct_payment"


@dataclass(frozen=True, slots=True)
class AgencyNotice:
    """Something the creditor must tell the agency about a case it works."""

    notice_id: str
    kind: NoticeKind
    case_reference: str
    agency: str
    occurred_at: datetime
    amount: Money | None = None
    company_code: str = ""
    document_number: str = ""
    fiscal_year: int | None = None
    line_item: str = ""
    note: str = ""
