"""Write-back actions: the primitive changes claimbridge asks the ERP to make.

Each connector maps them to its ERP (a line in a write-back file, a Z-function module in SAP,
`account.dunning.write` in Tryton). Which events produce which actions is set by
`WriteBackRules`; `actions_for` is the single place that decides.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gateway.domain.cases import BEFORE_SUBMISSION, CaseState
from gateway.domain.events import AGENCY_STATUS_KINDS, CaseEvent, EventKind, EventOrigin
from gateway.domain.items import ItemKey
from gateway.domain.money import Money

__all__ = [
    "ActionKind",
    "CaseContext",
    "WriteBackAction",
    "WriteBackRules",
    "actions_for",
    "allocate",
]


class ActionKind(enum.StrEnum):
    SET_DUNNING_BLOCK = "set_dunning_block"
    CLEAR_DUNNING_BLOCK = "clear_dunning_block"
    ADD_NOTE = "add_note"
    RECORD_STATUS = "record_status"
    POST_PAYMENT = "post_payment"


@dataclass(frozen=True, slots=True)
class WriteBackAction:
    """One change to one ERP item. `action_id` is stable, so the ERP side can deduplicate a
    repeated delivery. Amounts are minor units of `currency`; a reversal is negative.
    `debtor_number` is the item's debtor (an ERP posting a payment needs the account)."""

    action_id: str
    kind: ActionKind
    item: ItemKey
    case_reference: str
    agency: str
    occurred_at: datetime
    currency: str = ""
    dunning_block: str = ""
    status: str = ""
    text: str = ""
    amount: int = 0
    interest: int = 0
    fees: int = 0
    commission: int = 0
    debtor_number: str = ""


@dataclass(frozen=True, slots=True)
class WriteBackRules:
    """Which ERP actions the gateway produces; configured per source (`writeback:`)."""

    dunning_block: str = "I"
    block_on_submit: bool = True
    note_on_submit: bool = True
    note_each_agency_event: bool = True
    record_status: bool = True
    post_payments: bool = True
    clear_block_on: frozenset[CaseState] = field(
        default_factory=lambda: frozenset({CaseState.RECALLED, CaseState.REJECTED})
    )


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What `actions_for` needs to know of the case an event belongs to."""

    reference: str
    agency: str
    currency: str
    items: Sequence[ItemKey]
    debtor_number: str = ""


def allocate(amount: int, remaining: Sequence[tuple[ItemKey, int]]) -> list[tuple[ItemKey, int]]:
    """Split a payment over the case's items, oldest first.

    `remaining` lists each item with what is still to be allocated to it, in the order items
    are paid (net due date). A positive amount fills them in that order, an overpayment goes
    to the last item; a negative amount (reversal) is taken back from the last items first.
    Items that receive nothing are left out. The shares always add up to `amount`.
    """
    if not remaining or amount == 0:
        return []
    shares: list[tuple[ItemKey, int]] = []
    if amount > 0:
        left = amount
        for key, open_minor in remaining:
            share = min(left, max(open_minor, 0))
            if share:
                shares.append((key, share))
                left -= share
            if not left:
                break
        if left:
            last_key = remaining[-1][0]
            if shares and shares[-1][0] == last_key:
                shares[-1] = (last_key, shares[-1][1] + left)
            else:
                shares.append((last_key, left))
        return shares
    return [(key, -share) for key, share in allocate(-amount, list(reversed(remaining)))]


def _action_id(case: CaseContext, event: CaseEvent, what: str, index: int) -> str:
    return f"{case.reference}:{event.origin.value}:{event.external_id}:{what}:{index}"


def actions_for(
    event: CaseEvent,
    case: CaseContext,
    rules: WriteBackRules,
    state_before: CaseState,
    state_after: CaseState,
    payment_shares: Sequence[tuple[ItemKey, int]] = (),
) -> list[WriteBackAction]:
    """The ERP actions that one newly recorded event produces.

    A status is written when the case's current state changes, never for a late event that
    leaves it as it is, so that the ERP always ends on the case's real state. Each payment is
    posted once, split over the items by `payment_shares` (see `allocate`).
    """
    actions: list[WriteBackAction] = []

    def add(kind: ActionKind, item: ItemKey, what: str, index: int, **values: object) -> None:
        actions.append(
            WriteBackAction(
                action_id=_action_id(case, event, what, index),
                kind=kind,
                item=item,
                case_reference=case.reference,
                agency=case.agency,
                occurred_at=event.occurred_at,
                currency=case.currency,
                debtor_number=case.debtor_number,
                **values,  # type: ignore[arg-type]
            )
        )

    if event.kind is EventKind.SUBMITTED:
        for i, item in enumerate(case.items):
            if rules.block_on_submit:
                add(
                    ActionKind.SET_DUNNING_BLOCK,
                    item,
                    "block",
                    i,
                    dunning_block=rules.dunning_block,
                )
            if rules.note_on_submit:
                text = f"Handed over to collection agency {case.agency}, case {case.reference}"
                add(ActionKind.ADD_NOTE, item, "note", i, text=text)

    if event.origin is EventOrigin.AGENCY and rules.note_each_agency_event:
        text = _agency_note(event, case.currency)
        if text:
            for i, item in enumerate(case.items):
                add(ActionKind.ADD_NOTE, item, "note", i, text=text)

    if rules.post_payments and event.kind in (EventKind.PAYMENT, EventKind.PAYMENT_REVERSAL):
        sign = 1 if event.kind is EventKind.PAYMENT else -1
        for i, (item, share) in enumerate(payment_shares):
            first = i == 0  # interest, fees and commission belong to the case: first item
            add(
                ActionKind.POST_PAYMENT,
                item,
                "payment",
                i,
                amount=share,
                interest=sign * event.interest if first else 0,
                fees=sign * event.fees if first else 0,
                commission=sign * event.commission if first else 0,
            )

    # Changes before the handover are accounting's own business; the ERP hears from the
    # submission on.
    went_out = state_before not in BEFORE_SUBMISSION or state_after is CaseState.SUBMITTED
    if state_after != state_before and went_out:
        for i, item in enumerate(case.items):
            if rules.record_status:
                add(ActionKind.RECORD_STATUS, item, "status", i, status=state_after.value)
            if state_after in rules.clear_block_on and rules.block_on_submit:
                add(
                    ActionKind.CLEAR_DUNNING_BLOCK,
                    item,
                    "unblock",
                    i,
                    dunning_block=rules.dunning_block,
                )
    return actions


def _agency_note(event: CaseEvent, currency: str) -> str:
    if event.kind in AGENCY_STATUS_KINDS:
        text = f"Agency reports: {event.kind.value.replace('_', ' ')}"
    elif event.kind is EventKind.MESSAGE:
        text = "Agency message"
    elif event.kind is EventKind.DIRECT_PAYMENT_REPORTED:
        text = f"Agency reports a direct payment of {Money(event.amount, currency)}"
    elif event.kind is EventKind.PROMISE:
        by = f" by {event.due_on.isoformat()}" if event.due_on else ""
        text = f"Agency reports a promise to pay {Money(event.amount, currency)}{by}"
    else:
        return ""
    return f"{text}: {event.note}" if event.note else text
