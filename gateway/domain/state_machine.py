"""The case state machine: a pure fold of a case's events in their own time order.

Events may arrive late, twice, or out of order. Folding all of a case's events sorted by
`event_order` gives the same state and amounts whatever order they arrived in; the caller
deduplicates events by identity before folding. A terminal state is left only by an explicit
REOPEN; status reports after it are recorded and flagged, payments after it still count (the
money is real) and are flagged too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from gateway.domain.cases import (
    AT_AGENCY,
    BEFORE_SUBMISSION,
    CaseAmounts,
    CaseState,
    CaseStatus,
)
from gateway.domain.events import CaseEvent, EventKind

__all__ = ["event_order", "fold"]

# Before submission, the gateway's and accounting's own steps; then the submission itself;
# then everything the agency, the ERP and accounting do while the case is out. Agencies often
# report dates without a time (midnight), which would otherwise sort before our submission.
_PHASE = {
    EventKind.SELECTED: 0,
    EventKind.APPROVED: 0,
    EventKind.HELD: 0,
    EventKind.DISMISSED: 0,
    EventKind.SUBMITTED: 1,
}
# Ties at the same instant (date-only reports) are broken in the order a case lives through.
_RANK = {
    EventKind.SELECTED: 0,
    EventKind.HELD: 1,
    EventKind.APPROVED: 2,
    EventKind.DISMISSED: 3,
    EventKind.SUBMITTED: 4,
    EventKind.ACCEPTED: 5,
    EventKind.REJECTED: 6,
    EventKind.IN_PROGRESS: 7,
    EventKind.PAUSED: 7,
    EventKind.PAYMENT_PLAN: 7,
    EventKind.DISPUTED: 7,
    EventKind.LEGAL: 7,
    EventKind.MESSAGE: 7,
    EventKind.PROMISE: 7,
    EventKind.PAYMENT: 8,
    EventKind.PAYMENT_REVERSAL: 8,
    EventKind.DIRECT_PAYMENT: 8,
    EventKind.DIRECT_PAYMENT_REPORTED: 8,
    EventKind.PAID: 9,
    EventKind.UNCOLLECTIBLE: 9,
    EventKind.RETURNED: 9,
    EventKind.RECALL: 9,
    EventKind.REOPEN: 10,
}
_SIMPLE_AGENCY_STATES = {
    EventKind.ACCEPTED: CaseState.ACCEPTED,
    EventKind.IN_PROGRESS: CaseState.IN_PROGRESS,
    EventKind.PAUSED: CaseState.PAUSED,
    EventKind.PAYMENT_PLAN: CaseState.PAYMENT_PLAN,
    EventKind.DISPUTED: CaseState.DISPUTED,
    EventKind.LEGAL: CaseState.LEGAL,
    EventKind.REJECTED: CaseState.REJECTED,
    EventKind.RETURNED: CaseState.RECALLED,
}

APPLIED = "applied"
AFTER_CLOSE = "after_close"
INVALID_TRANSITION = "invalid_transition"
AMOUNT_MISMATCH = "amount_mismatch"


def event_order(event: CaseEvent) -> tuple[int, datetime, int, str, str]:
    """The sort key under which a case's events are folded.

    Depends only on the event itself, never on when it arrived, so that any arrival order
    gives the same result.
    """
    return (
        _PHASE.get(event.kind, 2),
        event.occurred_at,
        _RANK[event.kind],
        event.origin.value,
        event.external_id,
    )


class _Fold:
    def __init__(self, handed_over: int) -> None:
        self.state = CaseState.SELECTED
        self.since: datetime | None = None
        self.amounts = CaseAmounts(handed_over=handed_over)
        self.effects: dict[tuple[str, str], str] = {}
        self._before_close: CaseState = CaseState.SELECTED

    def move(self, state: CaseState, at: datetime) -> None:
        if state != self.state:
            if state.is_terminal:
                self._before_close = self.state
            self.state = state
            self.since = at

    def apply(self, event: CaseEvent) -> str:
        kind = event.kind
        if kind in (EventKind.PAYMENT, EventKind.PAYMENT_REVERSAL, EventKind.DIRECT_PAYMENT):
            return self._money(event)
        if kind in (EventKind.MESSAGE, EventKind.PROMISE, EventKind.DIRECT_PAYMENT_REPORTED):
            return APPLIED
        if kind is EventKind.REOPEN:
            if not self.state.is_terminal:
                return INVALID_TRANSITION
            self.amounts.written_off = 0
            back = self._before_close
            self.move(CaseState.IN_PROGRESS if back in AT_AGENCY else back, event.occurred_at)
            return APPLIED
        if self.state.is_terminal:
            return AFTER_CLOSE
        return self._transition(event)

    def _transition(self, event: CaseEvent) -> str:
        kind, at, state = event.kind, event.occurred_at, self.state
        if kind is EventKind.SELECTED:
            return APPLIED if state is CaseState.SELECTED else INVALID_TRANSITION
        if kind is EventKind.APPROVED and state in (CaseState.SELECTED, CaseState.ON_HOLD):
            self.move(CaseState.APPROVED, at)
            return APPLIED
        if kind is EventKind.HELD and state in (CaseState.SELECTED, CaseState.APPROVED):
            self.move(CaseState.ON_HOLD, at)
            return APPLIED
        if kind is EventKind.DISMISSED and state in BEFORE_SUBMISSION:
            self.move(CaseState.DISMISSED, at)
            return APPLIED
        if kind is EventKind.SUBMITTED and state is CaseState.APPROVED:
            self.move(CaseState.SUBMITTED, at)
            return APPLIED
        if kind is EventKind.RECALL:
            if state in BEFORE_SUBMISSION:
                self.move(CaseState.DISMISSED, at)
                return APPLIED
            self.move(CaseState.RECALLED, at)
            return APPLIED
        if state not in AT_AGENCY:
            return INVALID_TRANSITION
        if kind in _SIMPLE_AGENCY_STATES:
            self.move(_SIMPLE_AGENCY_STATES[kind], at)
            return APPLIED
        if kind is EventKind.PAID:
            amounts = self.amounts
            paid_state = (
                CaseState.CLOSED_PAID_DIRECTLY
                if amounts.collected == 0 and amounts.paid_directly > 0
                else CaseState.CLOSED_PAID
            )
            self.move(paid_state, at)
            return AMOUNT_MISMATCH if amounts.outstanding > 0 else APPLIED
        if kind is EventKind.UNCOLLECTIBLE:
            amounts = self.amounts
            amounts.written_off += max(amounts.outstanding, 0)
            recovered = amounts.collected_principal > 0 or amounts.paid_directly > 0
            self.move(
                CaseState.CLOSED_PARTIALLY_PAID if recovered else CaseState.CLOSED_UNCOLLECTIBLE,
                at,
            )
            return APPLIED
        return INVALID_TRANSITION

    def _money(self, event: CaseEvent) -> str:
        amounts = self.amounts
        closed = self.state.is_terminal
        if event.kind is EventKind.DIRECT_PAYMENT:
            amounts.paid_directly += event.amount
        else:
            sign = 1 if event.kind is EventKind.PAYMENT else -1
            amounts.collected_principal += sign * event.principal
            amounts.collected_interest += sign * event.interest
            amounts.collected_fees += sign * event.fees
            amounts.commission += sign * event.commission
        if closed and amounts.written_off and amounts.outstanding < 0:
            # Money recovered after a write-off reduces the write-off first.
            amounts.written_off = max(0, amounts.written_off + amounts.outstanding)
        if closed:
            return AFTER_CLOSE
        if event.kind is EventKind.DIRECT_PAYMENT and amounts.outstanding <= 0:
            self.move(CaseState.CLOSED_PAID_DIRECTLY, event.occurred_at)
        return APPLIED


def fold(events: Iterable[CaseEvent], handed_over: int) -> CaseStatus:
    """Fold a case's (deduplicated) events into its status.

    Args:
        events: every event of the case, in any order, each identity at most once.
        handed_over: the total open amount of the case's items, in minor units.
    """
    state = _Fold(handed_over)
    for event in sorted(events, key=event_order):
        state.effects[event.identity] = state.apply(event)
    return CaseStatus(
        state=state.state,
        state_since=state.since,
        amounts=state.amounts,
        effects=state.effects,
    )
