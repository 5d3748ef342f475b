"""Idempotent POSTs: replay, reuse with another body, missing key, and two concurrent
requests with the same key against a real server (SQLite or PostgreSQL, as the suite runs)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from gateway.storage.database import Store
from gateway.storage.models import CaseEventRow, IdempotencyKeyRow, TransferRow
from tests.agency_server import running_server
from tests.conftest import Workspace
from tests.integration.agency_api_setup import (
    AgencyClient,
    agency_client,
    api_agencies,
    handed_over,
    issue_key,
)

ACCEPTED = {
    "event_id": "i1",
    "case_reference": "CB-0000001",
    "kind": "accepted",
    "occurred_at": "2026-11-20T10:00:00Z",
}


@pytest.fixture
def acme(workspace: Workspace, store: Store) -> AgencyClient:
    api_agencies(workspace)
    handed_over(workspace, store)
    return agency_client(workspace, store)


def _events(store: Store) -> int:
    with store.unit_of_work(read_only=True) as session:
        return int(session.scalar(select(func.count()).where(CaseEventRow.origin == "agency")) or 0)


def test_the_same_key_and_body_replays_the_first_response(acme: AgencyClient, store: Store) -> None:
    first = acme.post("/events", ACCEPTED, key="key-1")
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    replay = acme.post("/events", ACCEPTED, key="key-1")
    assert replay.status_code == 201  # the first answer, not "duplicate"
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert _events(store) == 1
    # in the transfer log: the request, and its repeat that changed nothing
    with store.unit_of_work(read_only=True) as session:
        logged = session.execute(
            select(TransferRow.status, TransferRow.records)
            .where(TransferRow.kind == "agency_api", TransferRow.location.like("POST%"))
            .order_by(TransferRow.id)
        ).all()
    assert [tuple(row) for row in logged] == [("ok", 1), ("skipped", 0)]


def test_the_same_key_with_another_body_is_422(acme: AgencyClient, store: Store) -> None:
    acme.post("/events", ACCEPTED, key="key-2")
    other = acme.post("/events", {**ACCEPTED, "event_id": "i2"}, key="key-2")
    assert other.status_code == 422
    assert "already used for a different request" in other.json()["detail"]
    assert _events(store) == 1


def test_the_same_key_on_another_path_is_422_and_does_nothing(
    acme: AgencyClient, store: Store
) -> None:
    """A key is bound to method + path + body: the same body under the same key on another
    case is another request, refused, never answered with the first one's response."""
    message = {"message_id": "m-1", "occurred_at": "2026-11-20T10:00:00Z", "text": "hello"}
    first = acme.post("/cases/CB-0000001/messages", message, key="key-3")
    assert first.status_code == 201, first.text
    assert _events(store) == 1
    elsewhere = acme.post("/cases/CB-0000002/messages", message, key="key-3")
    assert elsewhere.status_code == 422, elsewhere.text
    assert "already used for a different request" in elsewhere.json()["detail"]
    assert "idempotent-replayed" not in elsewhere.headers
    assert _events(store) == 1
    # with a key of its own, the same message on the other case is recorded
    assert acme.post("/cases/CB-0000002/messages", message, key="key-4").status_code == 201
    assert _events(store) == 2


def test_a_post_without_a_key_is_400(acme: AgencyClient, store: Store) -> None:
    response = acme.post("/events", ACCEPTED, key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    too_long = acme.post("/events", ACCEPTED, key="k" * 201)
    assert too_long.status_code == 400
    assert _events(store) == 0


def test_keys_are_per_agency(workspace: Workspace, acme: AgencyClient, store: Store) -> None:
    other = agency_client(workspace, store, agency="other")
    assert other.post("/events", ACCEPTED, key="shared").status_code == 404
    assert acme.post("/events", ACCEPTED, key="shared").status_code == 201
    # the refusal is an answer too: the same request again gets it again
    again = other.post("/events", ACCEPTED, key="shared")
    assert (again.status_code, again.headers["idempotent-replayed"]) == (404, "true")
    with store.unit_of_work(read_only=True) as session:
        clients = sorted(session.scalars(select(IdempotencyKeyRow.client)))
    assert clients == ["agency:acme", "agency:other"]


def test_a_request_that_fails_validation_stores_no_key(acme: AgencyClient, store: Store) -> None:
    assert acme.post("/events", {**ACCEPTED, "kind": "nonsense"}, key="k").status_code == 422
    assert acme.post("/events", ACCEPTED, key="k").status_code == 201  # the key is still free
    assert _events(store) == 1


@pytest.fixture
def server(workspace: Workspace, store: Store) -> Iterator[str]:
    api_agencies(workspace)
    handed_over(workspace, store)
    with running_server(workspace.config_path, workspace.database_url) as base:
        yield base


def _concurrently(base: str, requests: list[tuple[bytes, str]], token: str) -> list[httpx.Response]:
    """Send the requests at the same instant, each on its own connection."""
    barrier = threading.Barrier(len(requests))
    responses: list[httpx.Response | None] = [None] * len(requests)

    def send(i: int, body: bytes, key: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            barrier.wait()
            responses[i] = http.post(
                "/v1/agency/events/batch",
                content=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": key,
                    "Content-Type": "application/json",
                },
            )

    threads = [
        threading.Thread(target=send, args=(i, body, key)) for i, (body, key) in enumerate(requests)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None for r in responses)
    return [r for r in responses if r is not None]


def _batch(prefix: str, n: int = 300) -> bytes:
    """Enough events for the first request to be still at work when the second arrives."""
    events = [
        {
            "event_id": f"{prefix}-{i}",
            "case_reference": f"CB-000000{1 + i % 7}",
            "kind": "message",
            "occurred_at": "2026-11-20T10:00:00Z",
            "note": f"note {i}",
        }
        for i in range(n)
    ]
    return json.dumps({"events": events}).encode()


def test_two_concurrent_requests_with_the_same_key_apply_once(server: str, store: Store) -> None:
    token = issue_key(store, "acme")
    body = _batch("same")
    first, second = _concurrently(server, [(body, "race-1"), (body, "race-1")], token)
    assert sorted(r.status_code for r in (first, second)) == [200, 200]
    assert first.json() == second.json()
    assert first.json()["applied"] == 300
    replayed = [r.headers.get("idempotent-replayed") for r in (first, second)]
    assert sorted(replayed, key=str) == ["true", None] or sorted(replayed, key=str) == [
        None,
        "true",
    ]
    assert _events(store) == 300


def test_two_concurrent_requests_same_key_different_bodies_apply_one(
    server: str, store: Store
) -> None:
    token = issue_key(store, "acme")
    a, b = _batch("a"), _batch("b")
    responses = _concurrently(server, [(a, "race-2"), (b, "race-2")], token)
    assert sorted(r.status_code for r in responses) == [200, 422]
    assert _events(store) == 300
    with store.unit_of_work(read_only=True) as session:
        transfers = session.scalar(
            select(func.count()).where(TransferRow.location == "POST /v1/agency/events/batch")
        )
    assert transfers == 1  # the refused request was rolled back with its transfer
