"""Accounting's decisions on a case: approve, hold, dismiss, recall, reopen.

Each is a case event from the creditor, recorded through `CaseUpdater` like everything else, so
it is idempotent (the same decision id twice is a no-op), ordered by its time, and produces its
ERP actions and agency notices in the same transaction (a recall of a case at the agency sends
the agency a recall notice and clears the dunning block). Callers (CLI, API) pass a decision id
they derive from their request (an Idempotency-Key, a CLI run), and the unit of work commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.domain.actions import WriteBackRules
from gateway.domain.cases import AT_AGENCY, BEFORE_SUBMISSION, CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.pipeline.case_updates import Applied, CaseUpdater
from gateway.storage.models import CaseRow

__all__ = ["Decision", "DecisionRefused", "decide"]

# Which decision is possible in which state (a clear refusal beats a flagged no-op).
_ALLOWED: dict[EventKind, frozenset[CaseState]] = {
    EventKind.APPROVED: frozenset({CaseState.SELECTED, CaseState.ON_HOLD}),
    EventKind.HELD: frozenset({CaseState.SELECTED, CaseState.APPROVED}),
    EventKind.DISMISSED: BEFORE_SUBMISSION,
    EventKind.RECALL: BEFORE_SUBMISSION | AT_AGENCY,
    EventKind.REOPEN: frozenset(s for s in CaseState if s.is_terminal),
}


class DecisionRefused(ValueError):
    """The decision does not fit the case's state (the message says why)."""


@dataclass(frozen=True, slots=True)
class Decision:
    kind: EventKind  # APPROVED, HELD, DISMISSED, RECALL or REOPEN
    decision_id: str  # stable id of this decision: the same id twice is one decision
    at: datetime
    by: str  # who decided (a user name, "cli")
    reason: str = ""


def decide(
    session: Session,
    case: CaseRow,
    decision: Decision,
    rules: dict[str, WriteBackRules | None],
) -> Applied:
    """Record a decision on `case`.

    Raises:
        DecisionRefused: the case's state does not allow it (e.g. approving a closed case).
    """
    allowed = _ALLOWED.get(decision.kind)
    if allowed is None:
        raise DecisionRefused(f"{decision.kind.value} is not a decision of accounting")
    state = CaseState(case.state)
    note = f"{decision.kind.value} by {decision.by}" + (
        f": {decision.reason}" if decision.reason else ""
    )
    event = CaseEvent(
        decision.kind, EventOrigin.CREDITOR, decision.decision_id, decision.at, note=note
    )
    updater = CaseUpdater(session, rules, decision.at)
    if state not in allowed:
        # A repeated decision (same id) is harmless even when the state has moved on since.
        if updater.cases.has_event(case.id, event):
            return Applied(duplicate=True)
        raise DecisionRefused(
            f"case {case.reference} is {state.value}: it cannot be {decision.kind.value}"
        )
    return updater.apply(case, event)
