"""Direct payments: money the debtor paid the creditor, not the agency, on an item of a case
the agency works. Whoever sees one (an extraction that finds an item cleared or its open amount
reduced, a bank statement) records it here, and the same rules apply:

- it becomes a DIRECT_PAYMENT event on the item's case (a repeated payment, same
  `external_id`, is one event), which lowers what the case claims and closes it when nothing is
  left;
- the agency is told (a notice through the outbox), in the same transaction.

`DirectPayments.still_expected` says what the ERP should still show open for an item of a
case: what was handed over, less what the agency collected (the write-back books it in the
ERP) and what was already recorded as paid directly. Only an open amount below that is a new
direct payment, so a payment seen twice (in a bank statement, then in the ERP's export once
accounting booked it) counts once.

Entry points:
    DirectPayments(session, updater).record(DirectPayment(...))     # one payment
    DirectPayments(session, updater).from_open_amount(item, ...)    # what the ERP shows now
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.money import Money
from gateway.pipeline.case_updates import CaseUpdater
from gateway.storage.models import CaseItemRow, CaseRow, OpenItemRow

__all__ = ["DirectPayment", "DirectPayments"]


@dataclass(frozen=True, slots=True)
class DirectPayment:
    """A payment made to the creditor on one item of a case.

    `external_id` identifies the payment where it was seen (e.g. `erp:TRANSFER:ITEM`, or a
    bank statement entry's reference): recording it again changes nothing. `amount_minor` is
    positive, in the item's currency; `note` says where it was seen, for the case's history
    and the agency's notice.
    """

    item_id: int
    case_id: int
    amount_minor: int
    occurred_at: datetime
    external_id: str
    note: str


class DirectPayments:
    """Records direct payments on cases, in the caller's unit of work."""

    def __init__(self, session: Session, updater: CaseUpdater) -> None:
        self.session = session
        self.updater = updater

    def still_expected(self, case_item_id: int, open_minor: int) -> int:
        """What the ERP should show open for an item of a case whose open amount was
        `open_minor`: never more than what the case still claims for it."""
        share = self.session.get(CaseItemRow, case_item_id)
        if share is None:
            return open_minor
        claimed = share.handed_over_minor - share.collected_minor - share.paid_directly_minor
        return min(open_minor, claimed)

    def from_open_amount(
        self,
        *,
        item_id: int,
        case_id: int,
        case_item_id: int,
        old_minor: int,
        new_minor: int | None,
        occurred_at: datetime,
        external_id: str,
        seen_in: str,
        cleared_text: str = "",
    ) -> DirectPayment | None:
        """The direct payment an item's new open amount reveals (`new_minor` None: the item
        is cleared), or None when nothing new was paid. `seen_in` names the source for the
        note; `cleared_text` replaces the note's wording of a clearing (its date, document)."""
        expected = self.still_expected(case_item_id, old_minor)
        paid = expected if new_minor is None else expected - new_minor
        if paid <= 0:
            return None
        item = self.session.get(OpenItemRow, item_id)
        if item is None:
            return None
        currency = item.currency
        if new_minor is None:
            how = cleared_text or f"cleared in {seen_in}"
        else:
            how = (
                f"open amount reduced in {seen_in} from {Money(old_minor, currency)} "
                f"to {Money(new_minor, currency)}"
            )
        note = (
            f"item {item.company_code}/{item.document_number}/{item.fiscal_year}/"
            f"{item.line_item} {how}"
        )
        return DirectPayment(item_id, case_id, paid, occurred_at, external_id, note)

    def record(self, payment: DirectPayment, transfer_id: int | None = None) -> bool:
        """Record `payment` on its case (`transfer_id`: the transfer that brought it); False
        if it was recorded before (or its case is gone)."""
        case = self.session.get(CaseRow, payment.case_id)
        if case is None or payment.amount_minor <= 0:
            return False
        event = CaseEvent(
            kind=EventKind.DIRECT_PAYMENT,
            origin=EventOrigin.ERP,
            external_id=payment.external_id,
            occurred_at=min(payment.occurred_at, self.updater.now),
            amount=payment.amount_minor,
            note=payment.note,
        )
        applied = self.updater.apply(case, event, transfer_id=transfer_id, item_id=payment.item_id)
        return not applied.duplicate
