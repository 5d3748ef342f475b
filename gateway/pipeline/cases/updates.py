"""Recording an event on a case: the one place where a case changes.

`CaseUpdater.apply` records the event (a repeated one is a no-op), folds all the case's events
again (see gateway.domain.state_machine), stores the new state and amounts, allocates payments
to the items, and writes what must follow into the outbox, in the caller's transaction: ERP
write-back actions for the case's source, and notices to the agency (direct payments seen in
the ERP, recalls).

A case is folded by one transaction at a time: `apply` locks the case's row first (see
`CaseRepository.lock`) and reads the case and its items again, so that a concurrent event is
folded on top of the other's committed result, never beside it. Whoever applies events to
several cases in one transaction locks them all first with `lock` (in the order of their ids).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from gateway.domain.actions import CaseContext, WriteBackRules, actions_for, allocate
from gateway.domain.cases import AT_AGENCY, CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.handover import AgencyNotice, NoticeKind
from gateway.domain.items import ItemKey
from gateway.domain.money import Money
from gateway.domain.state_machine import fold
from gateway.pipeline.cases.webhooks import Subscriptions, WebhookOutbox
from gateway.storage.models import CaseItemRow, CaseRow, OpenItemRow
from gateway.storage.repositories.cases import CaseRepository, event_from_row
from gateway.storage.repositories.outbox import (
    AGENCY_NOTICE,
    ERP_ACTION,
    Outbox,
    action_payload,
    notice_payload,
)

__all__ = ["Applied", "CaseUpdater", "item_key", "recall_notice_id"]

log = logging.getLogger(__name__)


def item_key(row: OpenItemRow) -> ItemKey:
    return ItemKey(
        row.source, row.company_code, row.document_number, row.fiscal_year, row.line_item
    )


@dataclass(frozen=True, slots=True)
class Applied:
    """What recording one event did."""

    duplicate: bool
    effect: str = ""
    state_before: CaseState | None = None
    state_after: CaseState | None = None
    actions: int = 0
    notices: int = 0


def recall_notice_id(reference: str, decision_id: str) -> str:
    """The id the agency knows a recall notice by. A decision's id may hold the name of who
    decided (`api:alice:...`), and our users' names never go to an agency: the notice id
    carries a stable digest of it instead."""
    return f"{reference}:recall:{hashlib.sha256(decision_id.encode('utf-8')).hexdigest()[:32]}"


class CaseUpdater:
    """Applies events to cases within one unit of work."""

    def __init__(
        self,
        session: Session,
        writeback_rules: Mapping[str, WriteBackRules | None],
        now: datetime,
        webhooks: Subscriptions | None = None,
    ) -> None:
        self.session = session
        self.cases = CaseRepository(session)
        self.outbox = Outbox(session)
        self.rules = writeback_rules
        self.now = now
        self.webhooks = WebhookOutbox(self.outbox, webhooks or {}, now)
        self._locked: set[int] = set()
        self._folded: set[int] = set()  # cases whose items were read since they were locked

    def lock(self, cases: Iterable[CaseRow]) -> None:
        """Lock `cases` for this transaction, in the order of their ids, and read them again
        (their rows change in place). Call it before anything else reads or changes them,
        with every case the transaction will change when there are several."""
        ids = {case.id for case in cases} - self._locked
        if ids:
            self.cases.lock(ids)
            self._locked |= ids

    def apply(
        self,
        case: CaseRow,
        event: CaseEvent,
        *,
        transfer_id: int | None = None,
        item_id: int | None = None,
    ) -> Applied:
        """Record `event` on `case`. `item_id` names the item a direct payment concerns.

        Log lines meanwhile carry the case's reference (`case`)."""
        with structlog.contextvars.bound_contextvars(case=case.reference):
            return self._apply(case, event, transfer_id=transfer_id, item_id=item_id)

    def _apply(
        self, case: CaseRow, event: CaseEvent, *, transfer_id: int | None, item_id: int | None
    ) -> Applied:
        self.lock([case])
        fresh = case.id not in self._folded
        self._folded.add(case.id)
        if not self.cases.add_event(case.id, event, transfer_id, self.now):
            return Applied(duplicate=True)
        rows = self.cases.events(case.id)
        before = CaseState(case.state)
        status = fold([event_from_row(r) for r in rows], case.handed_over_minor)
        for row in rows:
            effect = status.effects.get((row.origin, row.external_id), "applied")
            if row.effect != effect:
                row.effect = effect

        amounts = status.amounts
        case.state = status.state.value
        case.state_since = status.state_since
        case.collected_principal_minor = amounts.collected_principal
        case.collected_interest_minor = amounts.collected_interest
        case.collected_fees_minor = amounts.collected_fees
        case.commission_minor = amounts.commission
        case.paid_directly_minor = amounts.paid_directly
        case.written_off_minor = amounts.written_off
        case.needs_attention = status.needs_attention
        case.closed_at = (case.closed_at or self.now) if status.state.is_terminal else None
        if case.last_event_at is None or event.occurred_at > case.last_event_at:
            case.last_event_at = event.occurred_at
        if event.kind is EventKind.SUBMITTED:
            case.submitted_at = event.occurred_at
        case.updated_at = self.now

        items = self.cases.items(case.id, fresh=fresh)
        shares = self._allocate(event, items, item_id)
        actions = 0
        rules = self.rules.get(case.source)
        if rules is not None:
            context = CaseContext(
                case.reference,
                case.agency,
                case.currency,
                [item_key(oi) for _, oi in items],
                case.debtor_number,
            )
            for action in actions_for(event, context, rules, before, status.state, shares):
                self.outbox.enqueue(
                    kind=ERP_ACTION,
                    destination=case.source,
                    ordering_key=str(action.item),
                    message_key=action.action_id,
                    payload=action_payload(action),
                    now=self.now,
                )
                actions += 1
        notices = self._notify(case, event, before, items, item_id)
        if event.kind is EventKind.SUBMITTED:
            self.webhooks.case_available(case, event)
        log.debug(
            "%s event %s: %s → %s, %s ERP actions, %s notices",
            event.kind.value,
            event.external_id,
            before.value,
            status.state.value,
            actions,
            notices,
        )
        return Applied(
            duplicate=False,
            effect=status.effects.get(event.identity, "applied"),
            state_before=before,
            state_after=status.state,
            actions=actions,
            notices=notices,
        )

    def _allocate(
        self, event: CaseEvent, items: list[tuple[CaseItemRow, OpenItemRow]], item_id: int | None
    ) -> list[tuple[ItemKey, int]]:
        rows = items
        if event.kind is EventKind.DIRECT_PAYMENT:
            for ci, oi in rows:
                if oi.id == item_id:
                    ci.paid_directly_minor += event.amount
            return []
        if event.kind not in (EventKind.PAYMENT, EventKind.PAYMENT_REVERSAL) or not event.principal:
            return []
        if event.kind is EventKind.PAYMENT:
            remaining = [
                (item_key(oi), ci.handed_over_minor - ci.collected_minor - ci.paid_directly_minor)
                for ci, oi in rows
            ]
            shares = allocate(event.principal, remaining)
        else:
            collected = [(item_key(oi), ci.collected_minor) for ci, oi in rows]
            shares = allocate(-event.principal, collected)
        by_key = {item_key(oi): ci for ci, oi in rows}
        for key, share in shares:
            by_key[key].collected_minor += share
        return shares

    def _notify(
        self,
        case: CaseRow,
        event: CaseEvent,
        before: CaseState,
        items: list[tuple[CaseItemRow, OpenItemRow]],
        item_id: int | None,
    ) -> int:
        if before not in AT_AGENCY:
            return 0  # the agency does not work the case (yet, or any more)
        if event.kind is EventKind.DIRECT_PAYMENT and event.origin in (
            EventOrigin.ERP,
            EventOrigin.BANK,
        ):
            item = next((oi for _, oi in items if oi.id == item_id), None)
            notice = AgencyNotice(
                notice_id=f"{case.reference}:direct:{event.external_id}",
                kind=NoticeKind.DIRECT_PAYMENT,
                case_reference=case.reference,
                agency=case.agency,
                occurred_at=event.occurred_at,
                amount=Money(event.amount, case.currency),
                company_code=item.company_code if item else "",
                document_number=item.document_number if item else "",
                fiscal_year=item.fiscal_year if item else None,
                line_item=item.line_item if item else "",
                note=event.note,
            )
        elif event.kind is EventKind.RECALL:
            notice = AgencyNotice(
                notice_id=recall_notice_id(case.reference, event.external_id),
                kind=NoticeKind.RECALL,
                case_reference=case.reference,
                agency=case.agency,
                occurred_at=event.occurred_at,
                note=event.note if event.agency_note is None else event.agency_note,
            )
        else:
            return 0
        self.outbox.enqueue(
            kind=AGENCY_NOTICE,
            destination=case.agency,
            ordering_key=case.reference,
            message_key=notice.notice_id,
            payload=notice_payload(notice),
            now=self.now,
        )
        self.webhooks.notice_created(notice)
        return 1
