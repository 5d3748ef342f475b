"""Case events: everything that happens to a case, from the gateway, accounting, the agency or
the ERP. A case's state is the fold of its events in their own time order."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["AGENCY_STATUS_KINDS", "PAYMENT_KINDS", "CaseEvent", "EventKind", "EventOrigin"]


class EventOrigin(enum.StrEnum):
    GATEWAY = "gateway"  # selection and handover, done by claimbridge itself
    CREDITOR = "creditor"  # accounting: approve, hold, dismiss, recall, reopen
    AGENCY = "agency"  # status reports and payments from the collection agency
    ERP = "erp"  # what the ERP shows: an item cleared or reduced = a direct payment
    BANK = "bank"  # an incoming payment on the creditor's bank statement = a direct payment


class EventKind(enum.StrEnum):
    # lifecycle before the agency
    SELECTED = "selected"
    APPROVED = "approved"
    HELD = "held"
    DISMISSED = "dismissed"
    SUBMITTED = "submitted"
    # accounting, after submission
    RECALL = "recall"
    REOPEN = "reopen"
    # agency status reports
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    PAYMENT_PLAN = "payment_plan"
    DISPUTED = "disputed"
    LEGAL = "legal"
    PAID = "paid"  # the agency closes the case as paid
    UNCOLLECTIBLE = "uncollectible"  # the agency closes the case, the rest is not collectible
    RETURNED = "returned"  # the agency hands the case back (confirms a recall)
    MESSAGE = "message"  # a note from the agency, no change of state
    PROMISE = "promise"  # the debtor promised the agency to pay `amount` by `due_on` (a note)
    # money
    PAYMENT = "payment"  # collected by the agency
    PAYMENT_REVERSAL = "payment_reversal"  # a payment the agency reported is taken back
    DIRECT_PAYMENT = "direct_payment"  # the debtor paid the creditor (seen in the ERP)
    DIRECT_PAYMENT_REPORTED = "direct_payment_reported"  # the agency says so (a note only)


AGENCY_STATUS_KINDS = frozenset(
    {
        EventKind.ACCEPTED,
        EventKind.REJECTED,
        EventKind.IN_PROGRESS,
        EventKind.PAUSED,
        EventKind.PAYMENT_PLAN,
        EventKind.DISPUTED,
        EventKind.LEGAL,
        EventKind.PAID,
        EventKind.UNCOLLECTIBLE,
        EventKind.RETURNED,
    }
)
PAYMENT_KINDS = frozenset({EventKind.PAYMENT, EventKind.PAYMENT_REVERSAL, EventKind.DIRECT_PAYMENT})


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One event of a case.

    Amounts are minor units of the case currency. For a payment, `amount` is what the debtor
    paid (principal + interest + fees); `commission` is what the agency keeps of it.
    A PROMISE carries the promised amount in `amount` and the promised day in `due_on`; it
    changes no state (gateway.kpi.promises tells whether it was kept).
    `external_id` is the sender's own id of the event (the agency's event id, or a stable id
    the gateway derives), so that a repeated event is recognised and ignored.
    """

    kind: EventKind
    origin: EventOrigin
    external_id: str
    occurred_at: datetime
    amount: int = 0
    principal: int = 0
    interest: int = 0
    fees: int = 0
    commission: int = 0
    note: str = ""
    due_on: date | None = None  # a promise: the day the debtor promised to pay by
    # What the agency is told of a creditor's event it hears of (a recall) when `note`, kept
    # in the case's history, names the person who decided: names of our users never go to
    # an agency. None: `note` is fit to send as it is.
    agency_note: str | None = None

    @property
    def identity(self) -> tuple[str, str]:
        return (self.origin.value, self.external_id)
