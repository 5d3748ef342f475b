"""Open items and debtors: the canonical model every source is mapped to."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from gateway.domain.money import Money

__all__ = ["Debtor", "DebtorKind", "ItemKey", "OpenItem"]


class DebtorKind(enum.StrEnum):
    """Whether the debtor is a consumer or a business: it changes the law that applies."""

    PERSON = "person"
    COMPANY = "company"


@dataclass(frozen=True, slots=True)
class ItemKey:
    """Identity of an open item, as the ERP knows it."""

    source: str
    company_code: str
    document_number: str
    fiscal_year: int
    line_item: str

    def __str__(self) -> str:
        return (
            f"{self.source}:{self.company_code}/{self.document_number}/"
            f"{self.fiscal_year}/{self.line_item}"
        )


@dataclass(frozen=True, slots=True)
class Debtor:
    """The customer who owes the money."""

    number: str
    name: str
    kind: DebtorKind = DebtorKind.COMPANY
    name2: str = ""
    vat_id: str = ""
    registration: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    segment: str = ""


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An unpaid receivable line.

    `amount` is the original amount of the line and `open_amount` what is still unpaid; both
    are positive for a receivable and negative for a credit.
    """

    key: ItemKey
    debtor_number: str
    document_date: date
    posting_date: date
    net_due_date: date
    amount: Money
    open_amount: Money
    dunning_level: int = 0
    last_dunning_date: date | None = None
    dunning_block: str = ""
    disputed: bool = False
    payment_promised_until: date | None = None
    reference: str = ""
    document_type: str = ""
    text: str = ""

    def days_overdue(self, as_of: date) -> int:
        """Days past the net due date on `as_of` (negative while not yet due)."""
        return (as_of - self.net_due_date).days
