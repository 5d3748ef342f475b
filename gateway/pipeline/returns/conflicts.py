"""An agency event re-sent with an id its case already has: a repeat, or a changed version.

The same event again (a retry) is harmless and answered "duplicate". The same id with other
values is a conflict: events are facts in the case's history, so the first version stays and
the new one is not applied (the agency corrects a payment with a `payment_reversal` and a new
event, never by rewriting one). The conflict is not dropped silently either: every channel
sets the changed version aside in the transfer log, naming the fields that differ, and the REST
API answers it with 409 and the stored version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.events import CaseEvent, EventKind
from gateway.domain.money import minor_to_decimal
from gateway.storage.models import CaseEventRow

__all__ = ["EventConflict", "event_conflict"]

_MONEY = ("amount", "principal", "interest", "fees", "commission")


@dataclass(frozen=True, slots=True)
class EventConflict:
    """The fields (as the agency names them) in which a re-sent event differs from the one
    received first, and that first version as the agency reported it."""

    event_id: str
    fields: tuple[str, ...]
    stored: dict[str, Any]

    @property
    def message(self) -> str:
        return (
            f"event_id: {self.event_id!r} was already received with other values "
            f"({', '.join(self.fields)} differ); the first version is kept and this one is not "
            "applied (report a correction as a new event, e.g. a payment_reversal)"
        )


def _reported_kind(kind: str) -> tuple[str, str]:
    """The kind and recipient the agency sent for a stored kind."""
    if kind == EventKind.DIRECT_PAYMENT_REPORTED.value:
        return EventKind.PAYMENT.value, "creditor"
    return kind, "agency"


def _stored_version(row: CaseEventRow, reference: str, currency: str) -> dict[str, Any]:
    kind, recipient = _reported_kind(row.kind)
    version: dict[str, Any] = {
        "event_id": row.external_id,
        "case_reference": reference,
        "kind": kind,
        "occurred_at": row.occurred_at.isoformat().replace("+00:00", "Z"),
        "received_at": row.received_at.isoformat().replace("+00:00", "Z"),
    }
    amounts = {name: getattr(row, f"{name}_minor") for name in _MONEY}
    if any(amounts.values()):
        for name, minor in amounts.items():
            version[name] = str(minor_to_decimal(minor, currency))
        version["currency"] = currency
    if kind == EventKind.PAYMENT.value:
        version["recipient"] = recipient
    if row.note:
        version["note"] = row.note
    if row.due_on is not None:
        version["due_on"] = row.due_on.isoformat()
    return version


def _differences(row: CaseEventRow, event: CaseEvent) -> list[str]:
    differ: list[str] = []
    if row.kind != event.kind.value:
        differ.append("kind")
    if row.occurred_at != event.occurred_at:
        differ.append("occurred_at")
    differ.extend(name for name in _MONEY if getattr(row, f"{name}_minor") != getattr(event, name))
    if (row.note or "") != (event.note or ""):
        differ.append("note")
    if row.due_on != event.due_on:
        differ.append("due_on")
    return differ


def event_conflict(
    session: Session, case_id: int, reference: str, currency: str, event: CaseEvent
) -> EventConflict | None:
    """The conflict between `event` and the event of the same identity the case already has,
    or None when they are the same (or the case has none)."""
    row = session.scalars(
        select(CaseEventRow).where(
            CaseEventRow.case_id == case_id,
            CaseEventRow.origin == event.origin.value,
            CaseEventRow.external_id == event.external_id,
        )
    ).first()
    if row is None:
        return None
    differ = _differences(row, event)
    if not differ:
        return None
    return EventConflict(
        event.external_id, tuple(differ), _stored_version(row, reference, currency)
    )
