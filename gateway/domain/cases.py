"""Cases: what goes to one agency for one debtor in one currency, and the states it passes.

The state names follow SAP FI-CA's collection statuses (AGSTA), see docs/accounting.md:

    selected ─► approved ─► submitted ─► accepted | rejected
        │  ▲        │                      │
        ▼  │        ▼                      ▼
      on_hold    dismissed        in_progress / paused / payment_plan / disputed / legal
                                           │
                                           ▼
      closed_paid · closed_paid_directly · closed_partially_paid · closed_uncollectible · recalled
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["AT_AGENCY", "BEFORE_SUBMISSION", "TERMINAL", "CaseAmounts", "CaseState", "CaseStatus"]


class CaseState(enum.StrEnum):
    SELECTED = "selected"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    DISMISSED = "dismissed"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    PAYMENT_PLAN = "payment_plan"
    DISPUTED = "disputed"
    LEGAL = "legal"
    CLOSED_PAID = "closed_paid"
    CLOSED_PAID_DIRECTLY = "closed_paid_directly"
    CLOSED_PARTIALLY_PAID = "closed_partially_paid"
    CLOSED_UNCOLLECTIBLE = "closed_uncollectible"
    RECALLED = "recalled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_at_agency(self) -> bool:
        return self in AT_AGENCY


BEFORE_SUBMISSION = frozenset({CaseState.SELECTED, CaseState.ON_HOLD, CaseState.APPROVED})
AT_AGENCY = frozenset(
    {
        CaseState.SUBMITTED,
        CaseState.ACCEPTED,
        CaseState.IN_PROGRESS,
        CaseState.PAUSED,
        CaseState.PAYMENT_PLAN,
        CaseState.DISPUTED,
        CaseState.LEGAL,
    }
)
TERMINAL = frozenset(
    {
        CaseState.DISMISSED,
        CaseState.REJECTED,
        CaseState.CLOSED_PAID,
        CaseState.CLOSED_PAID_DIRECTLY,
        CaseState.CLOSED_PARTIALLY_PAID,
        CaseState.CLOSED_UNCOLLECTIBLE,
        CaseState.RECALLED,
    }
)


@dataclass(slots=True)
class CaseAmounts:
    """What happened to the money of a case, in minor units of the case currency.

    `outstanding` is derived: what was handed over minus what came in (to the agency or
    directly) minus what was written off.
    """

    handed_over: int = 0
    collected_principal: int = 0
    collected_interest: int = 0
    collected_fees: int = 0
    commission: int = 0
    paid_directly: int = 0
    written_off: int = 0

    @property
    def collected(self) -> int:
        """Everything the agency collected from the debtor (principal, interest and fees)."""
        return self.collected_principal + self.collected_interest + self.collected_fees

    @property
    def outstanding(self) -> int:
        return self.handed_over - self.collected_principal - self.paid_directly - self.written_off


@dataclass(slots=True)
class CaseStatus:
    """The result of folding a case's events: its state, amounts, and what each event did.

    `effects` maps an event's identity (origin, external id) to how it was taken:
    "applied", or a reason it needs attention ("after_close", "invalid_transition",
    "amount_mismatch").
    """

    state: CaseState
    state_since: datetime | None
    amounts: CaseAmounts
    effects: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def needs_attention(self) -> bool:
        return any(effect != "applied" for effect in self.effects.values())
