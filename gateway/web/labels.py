"""Words for the values the console shows (states, event kinds, roles), marked for the
catalogs: templates translate them with `_(...)`, e.g. `_(state_label(case.state))`."""

from __future__ import annotations

from gateway.domain.cases import CaseState
from gateway.domain.events import EventKind
from gateway.domain.users import Role
from gateway.web.nav import N_

__all__ = [
    "EVENT_LABELS",
    "ORIGIN_LABELS",
    "ROLE_LABELS",
    "STATE_LABELS",
    "event_label",
    "origin_label",
    "state_label",
]

STATE_LABELS: dict[str, str] = {
    CaseState.SELECTED: N_("Proposed"),
    CaseState.ON_HOLD: N_("On hold"),
    CaseState.APPROVED: N_("Approved"),
    CaseState.DISMISSED: N_("Dismissed"),
    CaseState.SUBMITTED: N_("Submitted"),
    CaseState.ACCEPTED: N_("Accepted"),
    CaseState.REJECTED: N_("Rejected"),
    CaseState.IN_PROGRESS: N_("In progress"),
    CaseState.PAUSED: N_("Paused"),
    CaseState.PAYMENT_PLAN: N_("Payment plan"),
    CaseState.DISPUTED: N_("Disputed"),
    CaseState.LEGAL: N_("Legal action"),
    CaseState.CLOSED_PAID: N_("Closed: paid"),
    CaseState.CLOSED_PAID_DIRECTLY: N_("Closed: paid directly"),
    CaseState.CLOSED_PARTIALLY_PAID: N_("Closed: partially paid"),
    CaseState.CLOSED_UNCOLLECTIBLE: N_("Closed: uncollectible"),
    CaseState.RECALLED: N_("Recalled"),
}

EVENT_LABELS: dict[str, str] = {
    EventKind.SELECTED: N_("Proposed by the policy"),
    EventKind.APPROVED: N_("Approved"),
    EventKind.HELD: N_("Held"),
    EventKind.DISMISSED: N_("Dismissed"),
    EventKind.SUBMITTED: N_("Handed over"),
    EventKind.RECALL: N_("Recalled"),
    EventKind.REOPEN: N_("Reopened"),
    EventKind.ACCEPTED: N_("Accepted by the agency"),
    EventKind.REJECTED: N_("Rejected by the agency"),
    EventKind.IN_PROGRESS: N_("In progress at the agency"),
    EventKind.PAUSED: N_("Paused by the agency"),
    EventKind.PAYMENT_PLAN: N_("Payment plan agreed"),
    EventKind.DISPUTED: N_("Disputed by the debtor"),
    EventKind.LEGAL: N_("Legal action"),
    EventKind.PAID: N_("Closed as paid by the agency"),
    EventKind.UNCOLLECTIBLE: N_("Closed as uncollectible"),
    EventKind.RETURNED: N_("Returned by the agency"),
    EventKind.MESSAGE: N_("Message"),
    EventKind.PAYMENT: N_("Payment collected by the agency"),
    EventKind.PAYMENT_REVERSAL: N_("Payment reversed"),
    EventKind.DIRECT_PAYMENT: N_("Paid directly (seen in the ERP)"),
    EventKind.DIRECT_PAYMENT_REPORTED: N_("Direct payment reported by the agency"),
}

ROLE_LABELS: dict[str, str] = {
    Role.ACCOUNTING: N_("accounting"),
    Role.INTEGRATOR: N_("integrator"),
    Role.IT: N_("IT"),
}


ORIGIN_LABELS: dict[str, str] = {
    "gateway": N_("claimbridge"),
    "creditor": N_("accounting"),
    "agency": N_("the agency"),
    "erp": N_("the ERP"),
}


def origin_label(origin: str) -> str:
    return ORIGIN_LABELS.get(origin, origin)


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)
