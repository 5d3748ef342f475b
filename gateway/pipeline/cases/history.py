"""A case's history as accounting reads it: its events in the order the state machine applies
them (their own time, not their arrival), each with the ERP actions and agency notices it put
into the outbox; and the case's outbox messages not traced to one of its events.

Shared by the API's timeline (gateway.api.case_timeline) and the web console's case page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gateway.domain.events import EventKind
from gateway.domain.state_machine import event_order
from gateway.pipeline.cases.updates import item_key, recall_notice_id
from gateway.storage.models import CaseEventRow, CaseRow, OutboxMessageRow
from gateway.storage.repositories.case_search import CaseSearch
from gateway.storage.repositories.cases import CaseRepository, event_from_row

__all__ = ["CaseHistory", "HistoryEntry", "case_history"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    event: CaseEventRow
    queued: list[OutboxMessageRow] = field(default_factory=list)  # in id order


@dataclass(frozen=True, slots=True)
class CaseHistory:
    entries: list[HistoryEntry]
    other_messages: list[OutboxMessageRow]


def _event_keys(reference: str, row: CaseEventRow) -> list[str]:
    """The message keys an event's outbox messages are traced by (see
    gateway.domain.actions and gateway.pipeline.cases.updates for how they are made)."""
    keys = [f"{reference}:{row.origin}:{row.external_id}"]
    if row.kind == EventKind.RECALL:
        keys.append(recall_notice_id(reference, row.external_id))
        keys.append(f"{reference}:recall:{row.external_id}")  # older notices: the id as is
    if row.kind == EventKind.DIRECT_PAYMENT:
        keys.append(f"{reference}:direct:{row.external_id}")
    return keys


def _message_event_key(message: OutboxMessageRow) -> str:
    if message.kind == "erp_action":
        # <reference>:<origin>:<event id>:<what>:<index>
        return message.message_key.rsplit(":", 2)[0]
    return message.message_key


def case_history(session: Session, case: CaseRow) -> CaseHistory:
    repo = CaseRepository(session)
    rows = sorted(repo.events(case.id), key=lambda r: event_order(event_from_row(r)))
    item_keys = [str(item_key(oi)) for _, oi in repo.items(case.id)]
    by_event: dict[str, list[OutboxMessageRow]] = {}
    for message in CaseSearch(session).outbox_messages(case, item_keys):
        by_event.setdefault(_message_event_key(message), []).append(message)
    entries = []
    for row in rows:
        queued: list[OutboxMessageRow] = []
        for key in _event_keys(case.reference, row):
            queued.extend(by_event.pop(key, []))
        entries.append(HistoryEntry(row, sorted(queued, key=lambda m: m.id)))
    other = sorted((m for queued in by_event.values() for m in queued), key=lambda m: m.id)
    return CaseHistory(entries, other)
