"""The agency API contract: endpoints, status codes, shapes, the pull channel, the transfer
log (docs/agency.md)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api import create_app
from gateway.api.agency_cases import MAX_DOCUMENT_BYTES
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.relay.outbox import deliver_notices
from gateway.storage.database import Store
from gateway.storage.models import (
    AgencyDocumentRow,
    CaseEventRow,
    HandoverBatchRow,
    QuarantinedRecordRow,
    TransferRow,
)
from gateway.storage.repositories.cases import CaseRepository
from tests.conftest import Workspace
from tests.integration.agency_api_setup import (
    AgencyClient,
    agency_client,
    api_agencies,
    handed_over,
)
from tests.integration.api_users import add_user, bearer

ENDPOINTS = {
    ("get", "/v1/agency/cases/new"),
    ("post", "/v1/agency/cases/ack"),
    ("get", "/v1/agency/cases/{reference}"),
    ("post", "/v1/agency/events"),
    ("post", "/v1/agency/events/batch"),
    ("post", "/v1/agency/cases/{reference}/messages"),
    ("post", "/v1/agency/cases/{reference}/documents"),
    ("get", "/v1/agency/notices"),
    ("post", "/v1/agency/notices/ack"),
}


@pytest.fixture
def acme(workspace: Workspace, store: Store) -> AgencyClient:
    api_agencies(workspace)
    handed_over(workspace, store)
    return agency_client(workspace, store)


def event(event_id: str, kind: str, when: str = "2026-11-20T10:00:00Z", **extra: str) -> dict:
    return {
        "event_id": event_id,
        "case_reference": "CB-0000001",
        "kind": kind,
        "occurred_at": when,
        **extra,
    }


def test_openapi_lists_the_agency_endpoints_with_examples(
    workspace: Workspace, store: Store
) -> None:
    schema = TestClient(create_app(workspace.config(), store)).get("/openapi.json").json()
    listed = {(m, p) for p, ops in schema["paths"].items() for m in ops if "agency" in p}
    assert listed == ENDPOINTS
    components = schema["components"]["schemas"]
    assert components["AgencyEvent"]["examples"][0]["kind"] == "payment"
    assert "429" in schema["paths"]["/v1/agency/events"]["post"]["responses"]


def test_handover_to_an_api_agency_writes_no_file_and_the_cases_wait_to_be_pulled(
    workspace: Workspace, store: Store, acme: AgencyClient
) -> None:
    assert not list(workspace.path("agency").rglob("handover_*"))
    with store.unit_of_work(read_only=True) as session:
        (batch,) = session.scalars(select(HandoverBatchRow))
        assert batch.status == "delivered"
        transfer = session.get(TransferRow, batch.transfer_id)
        assert transfer is not None and transfer.channel == "api"
    cases = acme.get("/cases/new", limit=3).json()["cases"]
    assert [c["reference"] for c in cases] == ["CB-0000001", "CB-0000002", "CB-0000003"]
    first = cases[0]
    assert first["state"] == "submitted" and first["acknowledged_at"] is None
    assert first["debtor"]["number"] and first["items"][0]["open_amount"]
    assert first["handed_over"] == "2230.40" and first["outstanding"] == "2230.40"
    assert set(first["collected"]) == {"principal", "interest", "fees", "commission"}

    acked = acme.post("/cases/ack", {"references": ["CB-0000001", "CB-0000002", "XX"]})
    assert acked.json() == {"acknowledged": ["CB-0000001", "CB-0000002"], "unknown": ["XX"]}
    again = acme.post("/cases/ack", {"references": ["CB-0000001"]})
    assert again.json() == {"acknowledged": ["CB-0000001"], "unknown": []}
    listed = [c["reference"] for c in acme.get("/cases/new").json()["cases"]]
    assert "CB-0000001" not in listed and "CB-0000003" in listed
    assert acme.get("/cases/CB-0000001").json()["acknowledged_at"] is not None


def test_an_event_is_201_a_duplicate_200_and_the_case_moves(acme: AgencyClient) -> None:
    first = acme.post("/events", event("e1", "accepted"))
    assert first.status_code == 201
    assert first.json() == {
        "event_id": "e1",
        "case_reference": "CB-0000001",
        "result": "applied",
        "state": "accepted",
    }
    repeat = acme.post("/events", event("e1", "accepted"))  # a new Idempotency-Key
    assert repeat.status_code == 200 and repeat.json()["result"] == "duplicate"
    pay = acme.post(
        "/events",
        event("e2", "payment", amount="120.00", principal="100.00", interest="15.00", fees="5.00"),
    )
    assert pay.status_code == 201
    case = acme.get("/cases/CB-0000001").json()
    assert case["collected"]["principal"] == "100.00"
    assert case["collected"]["interest"] == "15.00"
    assert case["outstanding"] == "2130.40"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (event("e1", "teleported"), 422, "kind"),
        (event("e1", "accepted", when="2026-11-20T10:00:00"), 422, "occurred_at"),
        (event("e1", "payment", amount="1.005"), 422, "amount"),
        (event("e1", "payment", amount="10.00", currency="USD"), 422, "currency"),
        (event("e1", "payment", amount="-3.00"), 422, "amount"),
        ({**event("e1", "accepted"), "case_reference": "CB-9999999"}, 404, "CB-9999999"),
        ({**event("e1", "accepted"), "colour": "red"}, 422, "colour"),
        (event("e1", "promise", amount="50.00"), 422, "due_on"),
        (event("e1", "promise", due_on="2026-12-01"), 422, "amount"),
        (event("e1", "promise", amount="50.00", due_on="2026-12-41"), 422, "due_on"),
    ],
)
def test_a_bad_event_is_refused_naming_the_field(
    acme: AgencyClient, payload: dict, status: int, field: str
) -> None:
    response = acme.post("/events", payload)
    assert response.status_code == status
    assert field in str(response.json()["detail"])


def test_a_promise_to_pay_is_recorded_and_changes_no_state(
    acme: AgencyClient, store: Store
) -> None:
    acme.post("/events", event("e1", "accepted"))
    promised = acme.post("/events", event("e2", "promise", amount="500.00", due_on="2026-12-15"))
    assert promised.status_code == 201 and promised.json()["state"] == "accepted"
    with store.unit_of_work(read_only=True) as session:
        row = session.scalars(select(CaseEventRow).where(CaseEventRow.kind == "promise")).one()
    assert (row.amount_minor, row.due_on, row.effect) == (500_00, date(2026, 12, 15), "applied")


def test_an_event_that_does_not_fit_its_case_is_kept_in_the_transfer_log(
    acme: AgencyClient, store: Store
) -> None:
    response = acme.post("/events", event("e9", "payment", amount="10.00", currency="USD"))
    assert response.status_code == 422
    with store.unit_of_work(read_only=True) as session:
        (row,) = session.scalars(
            select(QuarantinedRecordRow).where(
                QuarantinedRecordRow.location == "POST /v1/agency/events"
            )
        )
        transfer = session.get(TransferRow, row.transfer_id)
    assert row.fields == "currency" and "the payment in USD" in row.reason
    assert transfer is not None and (transfer.status, transfer.rejected) == ("partial", 1)


def test_a_batch_applies_the_good_events_and_rejects_the_bad_alone(
    acme: AgencyClient, store: Store
) -> None:
    events = [
        event("b1", "accepted", "2026-11-20"),
        event("b2", "payment", amount="12.345"),
        {"event_id": "b3", "kind": "paid"},
        event("b1", "accepted", "2026-11-20"),
        event("b4", "in_progress", "2026-11-21T08:00:00+01:00"),
    ]
    response = acme.post("/events/batch", {"events": events})
    assert response.status_code == 200
    body = response.json()
    assert (body["applied"], body["duplicates"], body["flagged"], body["rejected"]) == (2, 1, 0, 2)
    results = body["results"]
    assert [r["result"] for r in results] == [
        "applied",
        "rejected",
        "rejected",
        "duplicate",
        "applied",
    ]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert "amount" in results[1]["message"] and "state" not in results[1]
    assert "case_reference: Field required" in results[2]["message"]
    assert results[4]["state"] == "in_progress"
    with store.unit_of_work(read_only=True) as session:
        transfer = session.scalars(
            select(TransferRow).where(TransferRow.location == "POST /v1/agency/events/batch")
        ).one()
        assert (transfer.channel, transfer.partner, transfer.direction) == (
            "api",
            "acme",
            "inbound",
        )
        assert (transfer.records, transfer.rejected, transfer.status) == (3, 2, "partial")
        quarantined = list(
            session.scalars(
                select(QuarantinedRecordRow).where(QuarantinedRecordRow.transfer_id == transfer.id)
            )
        )
        assert sorted(q.position for q in quarantined) == ["1", "2"]


def test_a_batch_over_5000_events_is_refused(acme: AgencyClient) -> None:
    response = acme.post("/events/batch", {"events": [event("x", "accepted")] * 5001})
    assert response.status_code == 422
    assert "events" in str(response.json()["detail"])


def test_an_event_after_close_is_recorded_and_flagged(acme: AgencyClient, store: Store) -> None:
    acme.post("/events", event("c1", "accepted", "2026-11-20"))
    acme.post("/events", event("c2", "uncollectible", "2026-11-21"))
    late = acme.post("/events", event("c3", "in_progress", "2026-11-22"))
    assert late.status_code == 201
    assert late.json()["result"] == "flagged"
    assert late.json()["message"] == "after_close"
    assert late.json()["state"] == "closed_uncollectible"
    with store.unit_of_work(read_only=True) as session:
        count = session.scalar(select(func.count()).where(CaseEventRow.external_id == "c3"))
        assert count == 1


def test_messages_and_documents(acme: AgencyClient, store: Store) -> None:
    message = {"message_id": "m1", "occurred_at": "2026-11-20T09:00:00Z", "text": "call back"}
    first = acme.post("/cases/CB-0000001/messages", message)
    assert first.status_code == 201 and first.json()["result"] == "applied"
    assert acme.post("/cases/CB-0000001/messages", message).json()["result"] == "duplicate"
    assert acme.post("/cases/CB-0000404/messages", message).status_code == 404

    content = b"%PDF-1.4 payment plan"
    document = {
        "document_id": "d1",
        "filename": "plan.pdf",
        "content_type": "application/pdf",
        "content_base64": base64.b64encode(content).decode(),
    }
    stored = acme.post("/cases/CB-0000001/documents", document)
    assert stored.status_code == 201
    assert stored.json() == {
        "document_id": "d1",
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
    }
    assert acme.post("/cases/CB-0000001/documents", document).status_code == 201
    changed = {**document, "content_base64": base64.b64encode(b"other").decode()}
    assert acme.post("/cases/CB-0000001/documents", changed).status_code == 409
    bad = {**document, "document_id": "d2", "content_base64": "not base64!"}
    assert acme.post("/cases/CB-0000001/documents", bad).status_code == 422
    too_big = {
        **document,
        "document_id": "d3",
        "content_base64": base64.b64encode(b"\0" * (MAX_DOCUMENT_BYTES + 1)).decode(),
    }
    response = acme.post("/cases/CB-0000001/documents", too_big)
    assert response.status_code == 413
    assert str(MAX_DOCUMENT_BYTES) in response.json()["detail"]
    with store.unit_of_work(read_only=True) as session:
        (row,) = session.scalars(select(AgencyDocumentRow))
        assert (row.document_id, row.size, row.content) == ("d1", len(content), content)


def test_recalls_are_notices_to_pull_until_acknowledged(
    workspace: Workspace, store: Store, acme: AgencyClient
) -> None:
    now = datetime.now(UTC)
    with store.unit_of_work() as session:
        case = CaseRepository(session).by_reference("CB-0000002")
        assert case is not None
        CaseUpdater(session, workspace.context(store).writeback_rules, now).apply(
            case,
            CaseEvent(EventKind.RECALL, EventOrigin.CREDITOR, "recall-1", now, note="paid us"),
        )
    (notice,) = acme.get("/notices").json()["notices"]
    assert notice["kind"] == "recall"
    assert notice["case_reference"] == "CB-0000002"
    assert notice["note"] == "paid us"
    other = agency_client(workspace, store, agency="other")
    assert other.get("/notices").json() == {"notices": []}
    assert other.post("/notices/ack", {"notice_ids": [notice["notice_id"]]}).json() == {
        "acknowledged": [],
        "unknown": [notice["notice_id"]],
    }
    # The notices relay publishes them (nothing to send: the agency pulls); still listed.
    delivered = deliver_notices(workspace.context(store), "acme")
    assert (delivered.delivered, delivered.failed) == (1, 0)
    assert acme.get("/notices").json()["notices"] == [notice]
    acked = acme.post("/notices/ack", {"notice_ids": [notice["notice_id"]]})
    assert acked.json() == {"acknowledged": [notice["notice_id"]], "unknown": []}
    assert acme.get("/notices").json() == {"notices": []}


def test_a_recall_notice_names_no_user_of_ours(
    workspace: Workspace, store: Store, acme: AgencyClient
) -> None:
    token = add_user(store, "alice.martin@example.com", "accounting")
    recalled = acme.http.post(
        "/v1/cases/CB-0000002/recall",
        json={"reason": "settled with the customer"},
        headers={**bearer(token), "Idempotency-Key": "recall-2"},
    )
    assert recalled.status_code == 200, recalled.text
    assert recalled.json()["decided_by"] == "alice.martin@example.com"  # ours: accounting's
    listed = acme.get("/notices")
    (notice,) = listed.json()["notices"]
    assert notice["kind"] == "recall"
    assert notice["note"] == "recall by accounting: settled with the customer"
    assert "alice" not in listed.text and "example.com" not in listed.text


def test_every_request_is_one_transfer(acme: AgencyClient, store: Store) -> None:
    with store.unit_of_work(read_only=True) as session:
        before = session.scalar(select(func.count()).select_from(TransferRow)) or 0
    acme.get("/cases/new")
    acme.get("/cases/CB-0000001")
    acme.post("/events", event("t1", "accepted"))
    with store.unit_of_work(read_only=True) as session:
        rows = list(session.scalars(select(TransferRow).order_by(TransferRow.id).offset(before)))
    assert [r.location for r in rows] == [
        "GET /v1/agency/cases/new",
        "GET /v1/agency/cases/CB-0000001",
        "POST /v1/agency/events",
    ]
    assert all(
        (r.kind, r.channel, r.partner, r.status) == ("agency_api", "api", "acme", "ok")
        for r in rows
    )
    assert acme.key not in " ".join(r.summary + r.error + r.location for r in rows)
