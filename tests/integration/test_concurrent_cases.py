"""Concurrent requests on the same cases, through a real `claimbridge serve` (uvicorn in its
own process) and real HTTP connections released at the same instant: no update is lost, no
batch deadlocks into a 500, no approval is counted twice (docs/it.md, "Concurrency").

On SQLite the database has one writer at a time (BEGIN IMMEDIATE), so these tests check that
the server's threads queue instead of failing; on PostgreSQL (CLAIMBRIDGE_TEST_DATABASE_URL)
they check the case row locks and the retry of deadlocks, where the bugs were.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import CaseApprovalRow, CaseEventRow, CaseRow, OutboxMessageRow
from gateway.storage.repositories.outbox import ERP_ACTION
from tests.agency_server import running_server
from tests.conftest import Workspace
from tests.integration.agency_api_setup import api_agencies, handed_over, issue_key
from tests.integration.api_users import add_user

Request = tuple[str, str, bytes]  # path, bearer token, JSON body


def concurrently(base: str, requests: Sequence[Request]) -> list[httpx.Response]:
    """Send every request at the same instant, each from its own thread and connection."""
    barrier = threading.Barrier(len(requests))
    responses: list[httpx.Response | Exception | None] = [None] * len(requests)

    def send(index: int, path: str, token: str, body: bytes) -> None:
        try:
            with httpx.Client(base_url=base, timeout=60) as http:
                barrier.wait()
                responses[index] = http.post(
                    path,
                    content=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": uuid.uuid4().hex,
                        "Content-Type": "application/json",
                    },
                )
        except (httpx.HTTPError, threading.BrokenBarrierError) as exc:  # reported below
            responses[index] = exc

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = [r for r in responses if isinstance(r, httpx.Response)]
    assert len(answered) == len(requests), [r for r in responses if r not in answered]
    return answered


def payment(event_id: str, reference: str, amount: str = "1.00") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "case_reference": reference,
        "kind": "payment",
        "occurred_at": "2026-11-20T10:00:00Z",
        "amount": amount,
        "currency": "EUR",
    }


def case_collected(store: Store, reference: str) -> int:
    with store.unit_of_work(read_only=True) as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()
        return case.collected_principal_minor


def erp_payments(store: Store, reference: str) -> int:
    """The sum of the payments written to the ERP outbox for `reference`."""
    with store.unit_of_work(read_only=True) as session:
        payloads = session.scalars(
            select(OutboxMessageRow.payload).where(OutboxMessageRow.kind == ERP_ACTION)
        ).all()
    return sum(
        int(str(p["amount"]))
        for p in payloads
        if p["kind"] == "post_payment" and p["case_reference"] == reference
    )


@pytest.fixture
def agency_server(workspace: Workspace, store: Store) -> Iterator[str]:
    api_agencies(workspace)
    handed_over(workspace, store)
    with running_server(workspace.config_path, workspace.database_url) as base:
        yield base


def test_sixty_concurrent_payments_on_one_case_all_count(agency_server: str, store: Store) -> None:
    token = issue_key(store, "acme")
    before = case_collected(store, "CB-0000001")
    requests = [
        ("/v1/agency/events", token, json.dumps(payment(f"p-{i}", "CB-0000001")).encode())
        for i in range(60)
    ]
    responses = concurrently(agency_server, requests)
    assert sorted({r.status_code for r in responses}) == [201], [r.text for r in responses]
    assert case_collected(store, "CB-0000001") - before == 6000  # 60 × 1.00 EUR
    assert erp_payments(store, "CB-0000001") == 6000
    with store.unit_of_work(read_only=True) as session:
        events = session.scalars(
            select(CaseEventRow.external_id).where(CaseEventRow.kind == "payment")
        ).all()
    assert sorted(events) == sorted(f"p-{i}" for i in range(60))


def test_concurrent_batches_on_the_same_cases_in_opposite_orders_apply_each_event_once(
    agency_server: str, store: Store
) -> None:
    token = issue_key(store, "acme")
    references = ["CB-0000001", "CB-0000002", "CB-0000003"]
    requests: list[Request] = []
    for n in range(12):
        order = references if n % 2 == 0 else list(reversed(references))
        # several events per case, so that a batch holds one case while it wants the next
        events = [payment(f"b{n}-{r}-{k}", r, "0.50") for r in order for k in range(3)]
        requests.append(("/v1/agency/events/batch", token, json.dumps({"events": events}).encode()))
    responses = concurrently(agency_server, requests)
    assert [r.status_code for r in responses] == [200] * 12, [r.text for r in responses]
    assert all(r.json()["applied"] == 9 for r in responses)
    for reference in references:
        assert case_collected(store, reference) == 12 * 3 * 50
        assert erp_payments(store, reference) == 12 * 3 * 50


@pytest.fixture
def accounting_server(workspace: Workspace, store: Store) -> Iterator[str]:
    """Cases proposed by a policy whose cases above 1000.00 need two people's approval."""
    text = workspace.config_path.read_text()
    text = text.replace(
        "approval: automatic", 'approval: {mode: manual, second_approval_above: "1000.00"}'
    )
    workspace.config_path.write_text(text)
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    with running_server(workspace.config_path, workspace.database_url) as base:
        yield base


def approvals(store: Store, reference: str) -> list[str]:
    with store.unit_of_work(read_only=True) as session:
        query = (
            select(CaseApprovalRow.approver)
            .join(CaseRow, CaseRow.id == CaseApprovalRow.case_id)
            .where(CaseRow.reference == reference)
            .order_by(CaseApprovalRow.id)
        )
        return list(session.scalars(query))


def state(store: Store, reference: str) -> str:
    with store.unit_of_work(read_only=True) as session:
        return session.scalars(select(CaseRow.state).where(CaseRow.reference == reference)).one()


def test_two_people_approving_at_once_approve_the_case(
    accounting_server: str, store: Store
) -> None:
    tokens = {name: add_user(store, name, Role.ACCOUNTING) for name in ("alice", "carol")}
    path = "/v1/cases/CB-0000001/approve"  # 2230.40 EUR: two people
    responses = concurrently(accounting_server, [(path, t, b"{}") for t in tokens.values()])
    assert sorted(r.status_code for r in responses) == [200, 200], [r.text for r in responses]
    assert sorted(approvals(store, "CB-0000001")) == ["alice", "carol"]
    assert state(store, "CB-0000001") == "approved"
    assert sorted(r.json()["approvals"]["missing"] for r in responses) == [0, 1]


def test_one_person_approving_twice_at_once_is_counted_once(
    accounting_server: str, store: Store
) -> None:
    token = add_user(store, "alice", Role.ACCOUNTING)
    path = "/v1/cases/CB-0000001/approve"
    responses = concurrently(accounting_server, [(path, token, b"{}")] * 6)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 5, [r.text for r in responses]
    refused = [r.json()["detail"] for r in responses if r.status_code == 409]
    assert all("already approved by alice" in detail for detail in refused)
    assert approvals(store, "CB-0000001") == ["alice"]
    assert state(store, "CB-0000001") == "selected"  # one more person must approve


def test_concurrent_holds_by_one_person_record_one_hold(
    accounting_server: str, store: Store
) -> None:
    token = add_user(store, "alice", Role.ACCOUNTING)
    path = "/v1/cases/CB-0000002/hold"
    body = json.dumps({"reason": "debtor called"}).encode()
    responses = concurrently(accounting_server, [(path, token, body)] * 4)
    assert sorted(r.status_code for r in responses) == [200] + [409] * 3, [
        r.text for r in responses
    ]
    with store.unit_of_work(read_only=True) as session:
        holds = session.scalars(
            select(CaseEventRow.id)
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(CaseRow.reference == "CB-0000002", CaseEventRow.kind == "held")
        ).all()
    assert len(holds) == 1
    assert state(store, "CB-0000002") == "on_hold"
