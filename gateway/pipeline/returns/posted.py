"""Events an agency posts to the REST API, applied to its cases in one unit of work.

A batch of thousands of events loads the cases it names once (one query per thousand
references), then applies each event through `agency_event` (the checks every agency channel
shares) and `CaseUpdater.apply` (so a repeated event is a no-op, a late one is applied in its
own time order, and one on a closed case is recorded and flagged, never dropped). A bad event
is rejected alone, with the reason naming its field; the rest is applied. An event re-sent with
a known id and other values is a conflict (`gateway.pipeline.returns.conflicts`): not applied,
answered with the stored version.

The cases a request names are locked before the first event is applied, all at once and in
the order of their ids, so that concurrent requests on the same cases queue one behind the
other instead of losing an update or waiting for each other in a circle (a deadlock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.actions import WriteBackRules
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.returns.conflicts import EventConflict, event_conflict
from gateway.pipeline.returns.events import agency_event
from gateway.storage.models import CaseRow
from mappings import RecordError

__all__ = ["EventOutcome", "ReportedEvent", "apply_agency_events", "cases_by_reference"]

_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class ReportedEvent:
    """One event as the API received it: its position in the request, and either the
    canonical agency-event values (see `agency_event`) or why they could not be read."""

    index: int
    event_id: str
    case_reference: str
    values: Mapping[str, Any] | None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class EventOutcome:
    index: int
    event_id: str
    case_reference: str
    result: str  # applied | duplicate | flagged | rejected | conflict
    state: str | None = None
    message: str = ""
    conflict: EventConflict | None = None


def cases_by_reference(
    session: Session, agency: str, references: Sequence[str]
) -> dict[str, CaseRow]:
    """The agency's cases among `references` (another agency's are simply not there)."""
    found: dict[str, CaseRow] = {}
    unique = sorted(set(references))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        query = select(CaseRow).where(CaseRow.agency == agency, CaseRow.reference.in_(chunk))
        found.update((row.reference, row) for row in session.scalars(query))
    return found


def apply_agency_events(
    session: Session,
    agency: str,
    events: Sequence[ReportedEvent],
    writeback_rules: Mapping[str, WriteBackRules | None],
    now: datetime,
    transfer_id: int | None = None,
) -> list[EventOutcome]:
    """Apply `events` of `agency` in the order given; one outcome per event."""
    cases = cases_by_reference(
        session, agency, [e.case_reference for e in events if e.values is not None]
    )
    updater = CaseUpdater(session, writeback_rules, now)
    updater.lock(cases.values())
    outcomes: list[EventOutcome] = []
    for reported in events:
        index, event_id, reference = reported.index, reported.event_id, reported.case_reference
        if reported.values is None:
            outcomes.append(
                EventOutcome(index, event_id, reference, "rejected", message=reported.problem)
            )
            continue
        case = cases.get(reference)
        if case is None:
            message = f"case_reference: no case of agency {agency} has the reference {reference!r}"
            outcomes.append(EventOutcome(index, event_id, reference, "rejected", message=message))
            continue
        try:
            event = agency_event(reported.values, case.currency)
        except RecordError as exc:
            outcomes.append(EventOutcome(index, event_id, reference, "rejected", message=str(exc)))
            continue
        applied = updater.apply(case, event, transfer_id=transfer_id)
        if applied.duplicate:
            conflict = event_conflict(session, case.id, case.reference, case.currency, event)
            if conflict is not None:
                outcomes.append(
                    EventOutcome(
                        index,
                        event_id,
                        reference,
                        "conflict",
                        case.state,
                        conflict.message,
                        conflict,
                    )
                )
                continue
            outcomes.append(EventOutcome(index, event_id, reference, "duplicate", case.state))
        elif applied.effect and applied.effect != "applied":
            outcomes.append(
                EventOutcome(index, event_id, reference, "flagged", case.state, applied.effect)
            )
        else:
            outcomes.append(EventOutcome(index, event_id, reference, "applied", case.state))
    return outcomes
