"""Decisions made in the console (approve, hold, dismiss, recall, reopen), one case or many.

Each goes through `gateway.pipeline.cases.decisions.decide`, like the API's and the CLI's, so the
same rules hold everywhere: which decision fits which state, a hold needs a reason, and above
the policy's amount the second approval must come from another person. Each case of a bulk
decision is decided in a savepoint of its own: a refusal for one case leaves the others done.
The cases are locked first, all at once in the order of their ids (see `CaseRepository.lock`).

The decision id is derived from the user, the form's one-time key and the case, so that a form
sent twice (a double click, a reload after a timeout) is one decision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from gateway.config import Config
from gateway.domain.cases import CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.pipeline.cases.decisions import (
    Decision,
    DecisionRefused,
    allowed_decisions,
    approval_status,
    decide,
    same_person,
)
from gateway.pipeline.cases.webhooks import subscriptions
from gateway.pipeline.context import RunContext
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, utcnow
from gateway.storage.repositories.cases import CaseRepository
from gateway.web.labels import state_label

__all__ = ["DECISIONS", "Outcome", "decide_cases", "decision_id"]

# The console's names of the decisions (form values) and the events they are.
DECISIONS: dict[str, EventKind] = {
    "approve": EventKind.APPROVED,
    "hold": EventKind.HELD,
    "dismiss": EventKind.DISMISSED,
    "recall": EventKind.RECALL,
    "reopen": EventKind.REOPEN,
}


@dataclass(frozen=True, slots=True)
class Outcome:
    reference: str
    done: bool
    message: str


def decision_id(user: str, key: str, reference: str) -> str:
    digest = hashlib.sha256(f"{key}\0{reference}".encode()).hexdigest()[:32]
    return f"ui:{user}:{digest}"


def decide_cases(
    store: Store,
    config: Config,
    user: str,
    action: str,
    references: Sequence[str],
    reason: str,
    key: str,
    _: Callable[[str], str],
) -> list[Outcome]:
    """Decide `action` on each case of `references`; one outcome per case, in the reader's
    language (`_`)."""
    kind = DECISIONS[action]
    reason = reason.strip()
    context = RunContext(config, store, date.today())  # noqa: DTZ011 - only its rules are used
    rules, webhooks = context.writeback_rules, subscriptions(config)

    def work(session: Session) -> list[Outcome]:
        outcomes: list[Outcome] = []
        cases = CaseRepository(session)
        # each once, in the order given; all locked first, in the order of their ids (no
        # deadlock with another request deciding on the same cases in another order)
        found = {r: cases.by_reference(r) for r in dict.fromkeys(references)}
        cases.lock(case.id for case in found.values() if case is not None)
        for reference, case in found.items():
            if case is None:
                outcomes.append(Outcome(reference, False, _("no such case")))
                continue
            state = CaseState(case.state)
            decision = Decision(kind, decision_id(user, key, reference), utcnow(), user, reason)
            already = CaseEvent(kind, EventOrigin.CREDITOR, decision.decision_id, decision.at)
            if cases.has_event(case.id, already):
                outcomes.append(
                    Outcome(reference, True, _("already done (the form was sent twice)"))
                )
                continue
            refusal = _refusal(session, case, state, kind, user, reason, _)
            if refusal:
                outcomes.append(Outcome(reference, False, refusal))
                continue
            try:
                with session.begin_nested():
                    decide(session, case, decision, dict(rules), webhooks)
            except DecisionRefused as exc:
                outcomes.append(Outcome(reference, False, str(exc)))
                continue
            outcomes.append(Outcome(reference, True, _done(session, case, kind, _)))
        return outcomes

    return store.transact(work)


def _refusal(
    session: Session,
    case: CaseRow,
    state: CaseState,
    kind: EventKind,
    user: str,
    reason: str,
    _: Callable[[str], str],
) -> str:
    """Why the decision cannot be made, in the reader's language ("" if it can)."""
    if kind not in allowed_decisions(state):
        return _("it is %(state)s: this decision does not apply") % {"state": _(state_label(state))}
    if kind is EventKind.HELD and not reason:
        return _("a hold needs a reason")
    if kind is EventKind.APPROVED:
        status = approval_status(session, case)
        if any(same_person(user, a) for a in status.approvers):
            return _("you approved it already: the second approval must come from another person")
    return ""


def _done(session: Session, case: CaseRow, kind: EventKind, _: Callable[[str], str]) -> str:
    if kind is EventKind.APPROVED:
        status = approval_status(session, case)
        if status.missing:
            return _("approval %(given)d of %(required)d recorded; another person must approve") % {
                "given": len(status.approvers),
                "required": status.required,
            }
    return _("done; state now: %(state)s") % {"state": _(state_label(case.state))}
