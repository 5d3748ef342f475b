"""Accounting's decisions on a case: approve, hold, dismiss, recall, reopen.

Each is a case event from the creditor, recorded through `CaseUpdater` like everything else, so
it is idempotent (the same decision id twice is a no-op), ordered by its time, and produces its
ERP actions and agency notices in the same transaction (a recall of a case at the agency sends
the agency a recall notice and clears the dunning block). Callers (CLI, API) pass a decision id
they derive from their request (an Idempotency-Key, a CLI run), and the unit of work commits.

Approval follows the policy that made the case (`CaseRow.approvals_required`): a case whose
total is above the policy's `second_approval_above` needs the approvals of two different people
(`Decision.by`, compared without regard to case or surrounding blanks). The first approval is
recorded (and shown in the case's history) without changing the state; the second, by someone
else, approves. A hold needs a reason. The agency, when it hears of a decision (a recall
notice, its webhook), is told "recall by accounting": names of our users never reach it.

Only authenticated people count as one of those two: a decision whose `by` was not proven (the
command line's `--local-admin`, gateway.cli.identity) may approve a case that needs one approval,
but never gives one of the two approvals a larger case needs. The same user through the API,
the console and the command line is the same person (the command line records the user's
name as the API does; the suffix " (cli)" older versions added is ignored when comparing).

A decision locks its case first (`CaseUpdater.lock`), so concurrent decisions on one case are
taken one after the other, each on the state the previous one left; the database refuses a
second approval of one case by the same person (`case_approvals.approver_key`) even so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.domain.actions import WriteBackRules
from gateway.domain.cases import AT_AGENCY, BEFORE_SUBMISSION, CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.pipeline.cases.updates import Applied, CaseUpdater
from gateway.pipeline.cases.webhooks import Subscriptions
from gateway.storage.models import CaseRow
from gateway.storage.repositories.policies import ApprovalRepository, approver_key

__all__ = [
    "ApprovalStatus",
    "Decision",
    "DecisionRefused",
    "allowed_decisions",
    "approval_status",
    "decide",
    "same_person",
]

# Which decision is possible in which state (a clear refusal beats a flagged no-op).
_ALLOWED: dict[EventKind, frozenset[CaseState]] = {
    EventKind.APPROVED: frozenset({CaseState.SELECTED, CaseState.ON_HOLD}),
    EventKind.HELD: frozenset({CaseState.SELECTED, CaseState.APPROVED}),
    EventKind.DISMISSED: BEFORE_SUBMISSION,
    EventKind.RECALL: BEFORE_SUBMISSION | AT_AGENCY,
    EventKind.REOPEN: frozenset(s for s in CaseState if s.is_terminal),
}


def allowed_decisions(state: CaseState) -> frozenset[EventKind]:
    """The decisions accounting can make on a case in `state` (what a page offers)."""
    return frozenset(kind for kind, states in _ALLOWED.items() if state in states)


class DecisionRefused(ValueError):
    """The decision does not fit the case's state (the message says why)."""


@dataclass(frozen=True, slots=True)
class Decision:
    kind: EventKind  # APPROVED, HELD, DISMISSED, RECALL or REOPEN
    decision_id: str  # stable id of this decision: the same id twice is one decision
    at: datetime
    by: str  # who decided: a user name (or the command line's local administrator)
    reason: str = ""
    authenticated: bool = True  # `by` was proven (a token, a session), not just stated


@dataclass(frozen=True, slots=True)
class ApprovalStatus:
    required: int  # people who must approve the case (0: the policy approved it)
    approvers: tuple[str, ...]  # who approved it so far

    @property
    def missing(self) -> int:
        return max(self.required - len(self.approvers), 0)


def approval_status(session: Session, case: CaseRow) -> ApprovalStatus:
    approvers = tuple(a.approver for a in ApprovalRepository(session).approvals(case.id))
    return ApprovalStatus(case.approvals_required, approvers)


def _person(name: str) -> str:
    return approver_key(name)


def same_person(a: str, b: str) -> bool:
    """Whether two names are one person, as the four-eyes rule compares them."""
    return _person(a) == _person(b)


def decide(
    session: Session,
    case: CaseRow,
    decision: Decision,
    rules: dict[str, WriteBackRules | None],
    webhooks: Subscriptions | None = None,
) -> Applied:
    """Record a decision on `case`. `webhooks`: the agencies' webhook subscriptions (a recall
    notifies the agency if it subscribes to notice.created).

    Raises:
        DecisionRefused: the case's state does not allow it (e.g. approving a closed case).
    """
    allowed = _ALLOWED.get(decision.kind)
    if allowed is None:
        raise DecisionRefused(f"{decision.kind.value} is not a decision of accounting")
    updater = CaseUpdater(session, rules, decision.at, webhooks)
    # Decided on the case as it is once no one else can change it: of two people approving
    # at once, the second sees the first's approval (and approves), and one person deciding
    # twice at once is refused the second time.
    updater.lock([case])
    state = CaseState(case.state)
    note = f"{decision.kind.value} by {decision.by}" + (
        f": {decision.reason}" if decision.reason else ""
    )
    # The agency hears of some decisions (a recall): it is told accounting decided, never who.
    agency_note = f"{decision.kind.value} by accounting" + (
        f": {decision.reason}" if decision.reason else ""
    )
    event = CaseEvent(
        decision.kind,
        EventOrigin.CREDITOR,
        decision.decision_id,
        decision.at,
        note=note,
        agency_note=agency_note,
    )
    # A repeated decision (same id) is harmless even when the state has moved on since.
    if updater.cases.has_event(case.id, event):
        return Applied(duplicate=True)
    if state not in allowed:
        raise DecisionRefused(
            f"case {case.reference} is {state.value}: it cannot be {decision.kind.value}"
        )
    if decision.kind is EventKind.HELD and not decision.reason.strip():
        raise DecisionRefused(f"case {case.reference}: a hold needs a reason")
    if decision.kind is EventKind.APPROVED:
        return _approve(session, case, decision, event, updater)
    return updater.apply(case, event)


def _approve(
    session: Session,
    case: CaseRow,
    decision: Decision,
    event: CaseEvent,
    updater: CaseUpdater,
) -> Applied:
    approvals = ApprovalRepository(session)
    required = max(case.approvals_required, 1)
    people = {_person(a.approver) for a in approvals.approvals(case.id)}
    if required > 1 and not decision.authenticated:
        raise DecisionRefused(
            f"case {case.reference} needs the approvals of {required} different people, "
            f"each signed in with their own token: {decision.by} cannot give one of them"
        )
    if _person(decision.by) in people:
        raise DecisionRefused(
            f"case {case.reference} was already approved by {decision.by}: "
            "the second approval must come from another person"
        )
    approvals.add(case.id, decision.decision_id, decision.by, decision.at)
    given = len(people) + 1
    if given < required:
        first = CaseEvent(
            EventKind.MESSAGE,
            EventOrigin.CREDITOR,
            decision.decision_id,
            decision.at,
            note=f"approval {given} of {required} by {decision.by}"
            + (f": {decision.reason}" if decision.reason else "")
            + "; another person must approve before the handover",
        )
        return updater.apply(case, first)
    return updater.apply(case, event)
