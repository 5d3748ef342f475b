"""/v1/cases: filters, keyset pages, one case's amounts, its timeline in the state machine's
order, and accounting's decisions (approve, hold, dismiss, recall, reopen) with real tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api import create_app
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.storage.database import Store
from gateway.storage.models import CaseEventRow, CaseRow, OutboxMessageRow, utcnow
from gateway.storage.repositories.cases import CaseRepository
from tests.conftest import Workspace
from tests.integration.api_users import add_user, bearer

ALL = [f"CB-000000{n}" for n in range(7, 0, -1)]  # newest first


class Api:
    """A client of the app, with tokens of alice and carol (accounting) and ivan (IT)."""

    def __init__(self, client: TestClient, store: Store) -> None:
        self.client = client
        self.tokens = {
            "alice": add_user(store, "alice", Role.ACCOUNTING),
            "carol": add_user(store, "carol", Role.ACCOUNTING),
            "ivan": add_user(store, "ivan", Role.IT),
        }

    def get(self, path: str, as_: str = "alice", **params: Any) -> Any:
        answer = self.client.get(path, params=params, headers=bearer(self.tokens[as_]))
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(
        self, path: str, key: str | None, body: dict[str, str] | None = None, as_: str = "alice"
    ) -> Any:
        headers = bearer(self.tokens[as_]) | ({"Idempotency-Key": key} if key else {})
        return self.client.post(path, json=body, headers=headers)

    def references(self, **params: Any) -> list[str]:
        return [c["reference"] for c in self.get("/v1/cases", **params)["cases"]]


@pytest.fixture
def api(workspace: Workspace, store: Store) -> Iterator[Api]:
    with TestClient(create_app(workspace.config(), store)) as client:
        yield Api(client, store)


def manual_approval(workspace: Workspace, second_above: str | None = None) -> None:
    approval = (
        f'{{mode: manual, second_approval_above: "{second_above}"}}' if second_above else "manual"
    )
    text = workspace.config_path.read_text().replace("approval: automatic", f"approval: {approval}")
    workspace.config_path.write_text(text)


def agency_event(workspace: Workspace, store: Store, reference: str, event: CaseEvent) -> None:
    """An event as the agency channel records it."""
    with store.unit_of_work() as session:
        case = CaseRepository(session).by_reference(reference)
        assert case is not None
        CaseUpdater(session, workspace.context(store).writeback_rules, utcnow()).apply(case, event)


def at(day: int) -> datetime:
    return datetime(2026, 12, day, 9, 30, tzinfo=UTC)


def event_count(store: Store, reference: str) -> int:
    with store.unit_of_work(read_only=True) as session:
        query = (
            select(func.count())
            .select_from(CaseEventRow)
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(CaseRow.reference == reference)
        )
        return int(session.scalar(query) or 0)


def outbox_count(store: Store) -> int:
    with store.unit_of_work(read_only=True) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessageRow)) or 0)


def test_pages_follow_each_other_without_gap_or_repeat_whatever_changes_meanwhile(
    api: Api, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    assert api.references() == ALL

    def pages(limit: int) -> list[list[str]]:
        found, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            page = api.get("/v1/cases", **params)
            found.append([c["reference"] for c in page["cases"]])
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    assert pages(3) == [ALL[0:3], ALL[3:6], ALL[6:]]
    assert pages(7) == [ALL]  # a full last page says there is no next one
    assert pages(6) == [ALL[:6], ALL[6:]]

    first = api.get("/v1/cases", limit=3)
    # A case of the first page changes, and a newer case appears: the next page is the same.
    assert api.post("/v1/cases/CB-0000006/recall", "r-6").status_code == 200
    with store.unit_of_work() as session:
        row = CaseRepository(session).by_reference("CB-0000007")
        assert row is not None
        row.updated_at = utcnow()
    second = api.get("/v1/cases", limit=3, cursor=first["next_cursor"])
    assert [c["reference"] for c in second["cases"]] == ALL[3:6]

    bad = api.client.get(
        "/v1/cases", params={"cursor": "nonsense"}, headers=bearer(api.tokens["alice"])
    )
    assert bad.status_code == 422 and "`cursor`" in bad.json()["detail"]


def test_cases_are_found_by_state_agency_source_debtor_attention_reference_and_time(
    api: Api, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    before_changes = datetime.now(UTC)
    assert api.post("/v1/cases/CB-0000003/recall", "r-3").status_code == 200
    # a payment reported after the recall: kept, counted, and flagged
    agency_event(
        workspace,
        store,
        "CB-0000003",
        CaseEvent(
            EventKind.PAYMENT,
            EventOrigin.AGENCY,
            "late-1",
            datetime.now(UTC) + timedelta(hours=1),
            amount=5000,
            principal=5000,
        ),
    )
    assert api.post("/v1/cases/CB-0000005/recall", "r-5").status_code == 200

    assert api.references(state="recalled") == ["CB-0000005", "CB-0000003"]
    assert api.references(state=["recalled", "submitted"]) == ALL
    assert api.references(agency="acme") == ALL and api.references(agency="other") == []
    assert api.references(source="erp") == ALL and api.references(source="sap") == []
    assert api.references(debtor="101377") == ["CB-0000006", "CB-0000005"]
    assert api.references(needs_attention=True) == ["CB-0000003"]
    assert len(api.references(needs_attention=False)) == 6
    assert api.references(reference="CB-0000004") == ["CB-0000004"]
    assert api.references(updated_since=before_changes.isoformat()) == ["CB-0000005", "CB-0000003"]
    assert api.references(created_since=(before_changes - timedelta(hours=1)).isoformat()) == ALL
    assert api.references(created_since=(before_changes + timedelta(hours=1)).isoformat()) == []
    assert api.references(state="recalled", debtor="101377") == ["CB-0000005"]

    token = bearer(api.tokens["alice"])
    wrong = api.client.get("/v1/cases", params={"state": "lost"}, headers=token)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "state", 0]
    naive = api.client.get("/v1/cases", params={"updated_since": "2026-11-20T10:00"}, headers=token)
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"] == [
        "query",
        "updated_since",
    ]
    too_many = api.client.get("/v1/cases", params={"limit": 501}, headers=token)
    assert too_many.status_code == 422


def test_a_case_shows_its_amounts_as_decimal_strings_its_items_and_approvals(
    api: Api, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    agency_event(
        workspace,
        store,
        "CB-0000001",
        CaseEvent(
            EventKind.PAYMENT,
            EventOrigin.AGENCY,
            "pay-1",
            at(3),
            amount=100_00 + 5_25 + 40_00,
            principal=100_00,
            interest=5_25,
            fees=40_00,
            commission=12_10,
        ),
    )
    case = api.get("/v1/cases/CB-0000001")
    assert (case["state"], case["currency"], case["agency"], case["source"]) == (
        "submitted",
        "EUR",
        "acme",
        "erp",
    )
    assert case["debtor"]["number"] == "100231" and case["debtor"]["name"]
    assert case["handed_over"] == "2230.40"
    assert case["collected"] == {
        "principal": "100.00",
        "interest": "5.25",
        "fees": "40.00",
        "commission": "12.10",
    }
    assert (case["paid_directly"], case["written_off"], case["outstanding"]) == (
        "0.00",
        "0.00",
        "2130.40",
    )
    assert case["fees_claimed"] == "80.00" and case["interest_claimed"] == "0.00"
    assert [(i["document_number"], i["handed_over"], i["collected"]) for i in case["items"]] == [
        ("1800001000", "1250.00", "100.00"),  # payments go to the oldest item first
        ("1800001001", "980.40", "0.00"),
    ]
    assert case["approvals"] == {"required": 0, "given": [], "missing": 0}  # automatic
    assert api.get("/v1/cases/CB-0000006", as_="ivan")["currency"] == "USD"  # IT may read

    unknown = api.client.get("/v1/cases/CB-0999999", headers=bearer(api.tokens["alice"]))
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no case CB-0999999"


def test_the_timeline_is_in_the_events_own_time_order_whatever_order_they_arrived_in(
    api: Api, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    arrivals = [  # arrival order: the close first, the acceptance last
        CaseEvent(EventKind.PAID, EventOrigin.AGENCY, "e3", at(10)),
        CaseEvent(
            EventKind.PAYMENT, EventOrigin.AGENCY, "e2", at(5), amount=455_20, principal=455_20
        ),
        CaseEvent(EventKind.ACCEPTED, EventOrigin.AGENCY, "e1", at(2)),
    ]
    for event in arrivals:
        agency_event(workspace, store, "CB-0000002", event)
    timeline = api.get("/v1/cases/CB-0000002/timeline")
    assert timeline["state"] == "closed_paid" and timeline["currency"] == "EUR"
    events = timeline["events"]
    assert [(e["origin"], e["kind"]) for e in events] == [
        ("gateway", "selected"),
        ("gateway", "approved"),
        ("gateway", "submitted"),
        ("agency", "accepted"),
        ("agency", "payment"),
        ("agency", "paid"),
    ]
    agency = events[3:]
    assert [e["event_id"] for e in agency] == ["e1", "e2", "e3"]
    received = [e["received_at"] for e in agency]
    assert received == sorted(received, reverse=True)  # they arrived the other way round
    assert all(e["effect"] == "applied" for e in events)
    assert agency[1]["amounts"] == {
        "amount": "455.20",
        "principal": "455.20",
        "interest": "0.00",
        "fees": "0.00",
        "commission": "0.00",
    }
    assert agency[0]["amounts"] is None
    # what each event queued for the ERP
    assert {m["action"] for m in events[2]["queued"]} == {
        "set_dunning_block",
        "add_note",
        "record_status",
    }
    assert [m["action"] for m in agency[1]["queued"]] == ["post_payment"]
    assert all(m["kind"] == "erp_action" and m["destination"] == "erp" for m in agency[1]["queued"])
    assert {m["action"] for m in agency[2]["queued"]} == {"add_note", "record_status"}
    assert timeline["other_messages"] == []


def test_accounting_approves_holds_and_dismisses_proposed_cases(
    api: Api, workspace: Workspace, store: Store
) -> None:
    manual_approval(workspace)
    api.client.app.state.config = workspace.config()  # type: ignore[attr-defined]
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    assert api.references(state="selected") == ALL

    missing_key = api.post("/v1/cases/CB-0000001/approve", None)
    assert missing_key.status_code == 400 and "Idempotency-Key" in missing_key.json()["detail"]
    assert api.post("/v1/cases/CB-0999999/approve", "k0").status_code == 404

    approved = api.post("/v1/cases/CB-0000001/approve", "k1", {"reason": "checked"})
    assert approved.status_code == 200, approved.text
    answer = approved.json()
    assert (answer["state_before"], answer["state"], answer["effect"]) == (
        "selected",
        "approved",
        "applied",
    )
    assert answer["decided_by"] == "alice" and not answer["duplicate"]
    assert [a["by"] for a in answer["approvals"]["given"]] == ["alice"]

    events, messages = event_count(store, "CB-0000001"), outbox_count(store)
    again = api.post("/v1/cases/CB-0000001/approve", "k1", {"reason": "checked"})
    # the first answer, replayed: nothing decided twice
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == answer
    assert (event_count(store, "CB-0000001"), outbox_count(store)) == (events, messages)
    other_body = api.post("/v1/cases/CB-0000001/approve", "k1", {"reason": "other"})
    assert other_body.status_code == 422 and "different request" in other_body.text
    # the key is bound to the path too: on another case it decides nothing and replays nothing
    other_case = api.post("/v1/cases/CB-0000002/approve", "k1", {"reason": "checked"})
    assert other_case.status_code == 422, other_case.text
    assert "already used for a different request" in other_case.json()["detail"]
    assert "idempotent-replayed" not in other_case.headers
    other_decision = api.post("/v1/cases/CB-0000001/dismiss", "k1", {"reason": "checked"})
    assert other_decision.status_code == 422
    assert (event_count(store, "CB-0000001"), event_count(store, "CB-0000002")) == (events, 1)

    no_reason = api.post("/v1/cases/CB-0000002/hold", "k2")
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    held = api.post("/v1/cases/CB-0000002/hold", "k3", {"reason": "customer called"})
    assert held.json()["state"] == "on_hold"
    assert api.post("/v1/cases/CB-0000002/approve", "k4").json()["state"] == "approved"

    dismissed = api.post("/v1/cases/CB-0000003/dismiss", "k5", {"reason": "strategic"})
    assert dismissed.json()["state"] == "dismissed"
    reopened = api.post("/v1/cases/CB-0000003/reopen", "k6").json()
    assert (reopened["state_before"], reopened["state"]) == ("dismissed", "selected")

    timeline = api.get("/v1/cases/CB-0000002/timeline")["events"]
    assert [(e["origin"], e["kind"], e["note"]) for e in timeline[1:]] == [
        ("creditor", "held", "held by alice: customer called"),
        ("creditor", "approved", "approved by alice"),
    ]

    summary = run_cycle(workspace.context(store), (Step.HANDOVER,))
    assert [h.cases for h in summary.handover] == [2]
    assert api.references(state="submitted") == ["CB-0000002", "CB-0000001"]


def test_a_large_case_needs_two_people_and_ivan_from_it_decides_nothing(
    api: Api, workspace: Workspace, store: Store
) -> None:
    manual_approval(workspace, second_above="1000.00")
    api.client.app.state.config = workspace.config()  # type: ignore[attr-defined]
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    first = api.post("/v1/cases/CB-0000001/approve", "a-1").json()  # 2230.40 EUR
    assert first["state"] == "selected"
    assert first["approvals"]["required"] == 2 and first["approvals"]["missing"] == 1
    twice = api.post("/v1/cases/CB-0000001/approve", "a-2")
    assert twice.status_code == 409
    assert "already approved by alice" in twice.json()["detail"]
    # the same key used by another person is another person's decision
    second = api.post("/v1/cases/CB-0000001/approve", "a-1", as_="carol").json()
    assert (second["state"], second["approvals"]["missing"], second["duplicate"]) == (
        "approved",
        0,
        False,
    )
    refused = api.post("/v1/cases/CB-0000002/approve", "i-1", as_="ivan")
    assert refused.status_code == 403
    assert api.get("/v1/cases/CB-0000002")["state"] == "selected"


def test_a_recall_notifies_the_agency_and_gives_the_items_back_to_dunning(
    api: Api, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store))
    late = api.post("/v1/cases/CB-0000001/approve", "late")
    assert late.status_code == 409
    assert late.json()["detail"] == "case CB-0000001 is submitted: it cannot be approved"

    recalled = api.post("/v1/cases/CB-0000001/recall", "r-1", {"reason": "settled"})
    assert recalled.status_code == 200, recalled.text
    answer = recalled.json()
    assert (answer["state_before"], answer["state"]) == ("submitted", "recalled")
    assert answer["agency_notices"] == 1 and answer["erp_actions"] == 4  # 2 items × 2

    with store.unit_of_work(read_only=True) as session:
        notices = list(
            session.scalars(
                select(OutboxMessageRow).where(OutboxMessageRow.kind == "agency_notice")
            )
        )
    assert [(n.destination, n.payload["kind"], n.payload["case_reference"]) for n in notices] == [
        ("acme", "recall", "CB-0000001")
    ]
    recall = api.get("/v1/cases/CB-0000001/timeline")["events"][-1]
    assert (recall["kind"], recall["note"]) == ("recall", "recall by alice: settled")
    assert sorted(m["action"] for m in recall["queued"]) == [
        "clear_dunning_block",
        "clear_dunning_block",
        "recall",
        "record_status",
        "record_status",
    ]
    again = api.post("/v1/cases/CB-0000001/recall", "r-1", {"reason": "settled"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == answer
    with store.unit_of_work(read_only=True) as session:
        assert (
            session.scalar(select(func.count()).where(OutboxMessageRow.kind == "agency_notice"))
            == 1
        )
    assert api.post("/v1/cases/CB-0000001/recall", "r-2").status_code == 409
