"""An event re-sent with a known id: the same values are a harmless duplicate; other values are
a conflict, answered 409 with the stored version, never applied, and kept in the transfer log
(REST API, single and batch, messages, and agency files)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import QuarantinedRecordRow, TransferRow
from tests.conftest import Workspace
from tests.integration.agency_api_setup import (
    AgencyClient,
    agency_client,
    api_agencies,
    handed_over,
)
from tests.integration.test_agency_updates import status_file

PAYMENT = {
    "event_id": "p1",
    "case_reference": "CB-0000001",
    "kind": "payment",
    "occurred_at": "2026-11-20T10:00:00Z",
    "amount": "120.00",
    "principal": "100.00",
    "interest": "15.00",
    "fees": "5.00",
}


@pytest.fixture
def acme(workspace: Workspace, store: Store) -> AgencyClient:
    api_agencies(workspace)
    handed_over(workspace, store)
    return agency_client(workspace, store)


def _set_aside(store: Store, location: str) -> list[tuple[str, str, str, str]]:
    with store.unit_of_work(read_only=True) as session:
        rows = session.execute(
            select(
                QuarantinedRecordRow.position,
                QuarantinedRecordRow.fields,
                QuarantinedRecordRow.reason,
                TransferRow.status,
            )
            .join(TransferRow, TransferRow.id == QuarantinedRecordRow.transfer_id)
            .where(QuarantinedRecordRow.location == location)
            .order_by(QuarantinedRecordRow.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_changed_event_is_409_with_the_stored_version_and_not_applied(
    acme: AgencyClient, store: Store
) -> None:
    assert acme.post("/events", PAYMENT).status_code == 201
    # the same event again (another Idempotency-Key): the idempotent "duplicate"
    same = acme.post("/events", PAYMENT)
    assert (same.status_code, same.json()["result"]) == (200, "duplicate")
    corrected = acme.post("/events", {**PAYMENT, "amount": "150.00", "principal": "130.00"})
    assert corrected.status_code == 409, corrected.text
    answer = corrected.json()
    assert answer["fields"] == ["amount", "principal"]
    assert "event_id: 'p1' was already received with other values" in answer["detail"]
    stored = answer["stored"]
    assert (stored["amount"], stored["principal"], stored["interest"]) == (
        "120.00",
        "100.00",
        "15.00",
    )
    assert (stored["kind"], stored["recipient"], stored["currency"]) == ("payment", "agency", "EUR")
    assert stored["occurred_at"] == "2026-11-20T10:00:00Z"
    # the first version stays: the correction is not silently applied nor silently lost
    case = acme.get("/cases/CB-0000001").json()
    assert case["collected"]["principal"] == "100.00"
    ((position, fields, reason, status),) = _set_aside(store, "POST /v1/agency/events")
    assert (position, fields, status) == ("0", "event_id,amount,principal", "partial")
    assert "amount, principal differ" in reason


def test_another_time_or_kind_is_a_conflict_too(acme: AgencyClient) -> None:
    accepted = {
        "event_id": "s1",
        "case_reference": "CB-0000001",
        "kind": "accepted",
        "occurred_at": "2026-11-20T10:00:00Z",
    }
    assert acme.post("/events", accepted).status_code == 201
    for change, field in (
        ({"occurred_at": "2026-11-21T10:00:00Z"}, "occurred_at"),
        ({"kind": "in_progress"}, "kind"),
        ({"note": "a note added later"}, "note"),
    ):
        answer = acme.post("/events", {**accepted, **change})
        assert answer.status_code == 409 and answer.json()["fields"] == [field], change
    # the same instant written with another offset is the same event
    same = {**accepted, "occurred_at": "2026-11-20T11:00:00+01:00"}
    assert acme.post("/events", same).json()["result"] == "duplicate"


def test_a_batch_answers_a_conflict_alone_and_applies_the_rest(
    acme: AgencyClient, store: Store
) -> None:
    acme.post("/events", PAYMENT)
    events = [
        {**PAYMENT, "amount": "20.00", "principal": None, "interest": None, "fees": None},
        PAYMENT,
        {**PAYMENT, "event_id": "p2", "kind": "in_progress", "amount": None, "principal": None}
        | {"interest": None, "fees": None},
    ]
    response = acme.post("/events/batch", {"events": events})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["result"] for r in body["results"]] == ["conflict", "duplicate", "applied"]
    assert (body["applied"], body["duplicates"], body["conflicts"]) == (1, 1, 1)
    conflict = body["results"][0]
    assert conflict["stored"]["amount"] == "120.00" and "amount" in conflict["message"]
    (row,) = _set_aside(store, "POST /v1/agency/events/batch")
    assert row[0] == "0" and row[1].startswith("event_id,amount") and row[3] == "partial"


def test_a_message_resent_with_another_text_is_409(acme: AgencyClient) -> None:
    message = {"message_id": "m1", "occurred_at": "2026-11-20T09:00:00Z", "text": "call back"}
    assert acme.post("/cases/CB-0000001/messages", message).status_code == 201
    assert acme.post("/cases/CB-0000001/messages", message).status_code == 200
    changed = acme.post("/cases/CB-0000001/messages", {**message, "text": "do not call"})
    assert changed.status_code == 409
    assert changed.json()["stored"]["note"] == "call back"


def test_a_file_line_that_changes_a_known_event_is_set_aside(
    workspace: Workspace, store: Store
) -> None:
    """The same rule for agencies that report by file: the changed line is quarantined with
    what differs, the first version stays."""
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    line = "E1,CB-0000002,2026-11-20T10:00:00Z,PAY,10.00,8.00,1.00,1.00,,EUR,agency,"
    status_file(workspace, "status_1.csv", [line])
    (first,) = run_cycle(workspace.context(store), (Step.UPDATES,)).updates
    assert first.applied == 1
    changed = line.replace("10.00,8.00", "12.00,10.00")
    status_file(workspace, "status_2.csv", [line, changed])
    (second,) = run_cycle(workspace.context(store), (Step.UPDATES,)).updates
    assert (second.applied, second.duplicates, second.quarantined) == (0, 1, 1)
    ((position, fields, reason, status),) = _set_aside(store, "status_2.csv")
    assert (position, fields, status) == ("3", "event_id,amount,principal", "partial")
    assert "the first version is kept" in reason
