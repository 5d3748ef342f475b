"""/v1/jobs (schedules, history, manual runs), /readyz, /metrics and request ids."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.api import create_app
from gateway.api.security import ItUser, it_user
from gateway.ops.jobs.leases import Leases
from gateway.ops.jobs.specs import job_specs
from gateway.storage.database import Store, create_store
from tests.conftest import Workspace


@pytest.fixture
def client(workspace: Workspace, store: Store) -> Iterator[TestClient]:
    app = create_app(workspace.config(), store)
    app.dependency_overrides[it_user] = lambda: ItUser("it-operator")
    with TestClient(app) as client:
        yield client


def finished(client: TestClient, run_id: int, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, object] = client.get(f"/v1/runs/{run_id}").json()
        if run["status"] != "running":
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still running")
        time.sleep(0.05)


def test_jobs_are_listed_with_their_schedule_and_next_slot(client: TestClient) -> None:
    (job,) = client.get("/v1/jobs").json()
    assert job["name"] == "daily-cycle" and job["job"] == "cycle"
    assert (job["cron"], job["timezone"]) == ("30 6 * * 1-5", "Europe/Berlin")
    assert (job["misfire_grace_seconds"], job["lease_seconds"]) == (300, 120)
    assert job["running"] is False and job["last_run"] is None
    # 06:30 in Berlin on a weekday
    assert job["next_slot"].endswith(("05:30:00Z", "04:30:00Z"))


def test_a_job_runs_on_request_once_at_a_time(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    answer = client.post("/v1/jobs/daily-cycle/run")
    assert answer.status_code == 202, answer.text
    run = finished(client, answer.json()["id"])
    assert run["status"] == "ok" and run["trigger"] == "manual"
    counts = run["counts"]
    assert isinstance(counts, dict) and counts["cases_created"] > 0
    history = client.get("/v1/jobs/daily-cycle/runs").json()
    assert [r["id"] for r in history] == [run["id"]]
    (job,) = client.get("/v1/jobs").json()
    assert job["last_run"]["id"] == run["id"] and job["running"] is False

    other = Leases(store, "another-process")
    held = other.claim_manual(job_specs(workspace.config())["daily-cycle"])
    busy = client.post("/v1/jobs/daily-cycle/run")
    assert busy.status_code == 409 and "another-process" in busy.json()["detail"]
    (job,) = client.get("/v1/jobs").json()
    assert job["running"] is True and job["running_owner"] == "another-process"
    other.release(held)

    assert client.post("/v1/jobs/nightly/run").status_code == 404
    assert client.get("/v1/jobs/nightly/runs").status_code == 404
    assert client.get("/v1/runs/999999").status_code == 404


def test_a_run_requested_with_an_idempotency_key_starts_once(client: TestClient) -> None:
    first = client.post("/v1/jobs/daily-cycle/run", headers={"Idempotency-Key": "run-1"})
    assert first.status_code == 202, first.text
    run = finished(client, first.json()["id"])
    # the repeat (a timeout on the client's side) gets the first answer, starts nothing
    again = client.post("/v1/jobs/daily-cycle/run", headers={"Idempotency-Key": "run-1"})
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == run["id"]
    assert [r["id"] for r in client.get("/v1/jobs/daily-cycle/runs").json()] == [run["id"]]
    # the key is bound to the path: on another job it is refused, not replayed
    other = client.post("/v1/jobs/nightly/run", headers={"Idempotency-Key": "run-1"})
    assert other.status_code == 422 and "already used for a different request" in other.text
    # a refusal stores nothing: the key is free for a request that works
    assert (
        client.post("/v1/jobs/nightly/run", headers={"Idempotency-Key": "run-2"}).status_code == 404
    )
    second = client.post("/v1/jobs/daily-cycle/run", headers={"Idempotency-Key": "run-2"})
    assert second.status_code == 202 and second.json()["id"] != run["id"]
    finished(client, second.json()["id"])
    too_long = client.post("/v1/jobs/daily-cycle/run", headers={"Idempotency-Key": "k" * 201})
    assert too_long.status_code == 400


def test_readiness_needs_the_database_at_the_newest_schema(
    client: TestClient, workspace: Workspace, tmp_path: Path
) -> None:
    assert client.get("/readyz").json()["status"] == "ready"
    empty = create_store(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        answer = TestClient(create_app(workspace.config(), empty)).get("/readyz")
    finally:
        empty.dispose()
    assert answer.status_code == 503
    assert "run `claimbridge db upgrade`" in answer.json()["reason"]
    gone = create_store("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_pre_ping=False)
    try:
        down = TestClient(create_app(workspace.config(), gone)).get("/readyz")
    finally:
        gone.dispose()
    assert down.status_code == 503 and "database unreachable" in down.json()["reason"]


def metrics(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def test_metrics_count_runs_and_read_the_store(client: TestClient) -> None:
    before = metrics(client)
    ran = ("claimbridge_job_runs_total", (("job", "daily-cycle"), ("outcome", "ok")))
    run = finished(client, client.post("/v1/jobs/daily-cycle/run").json()["id"])
    after = metrics(client)
    assert after[ran] == before.get(ran, 0) + 1
    extracted = ("claimbridge_items_extracted_total", (("source", "erp"),))
    counts = run["counts"]
    assert isinstance(counts, dict)
    assert after[extracted] - before.get(extracted, 0) == counts["items_accepted"]
    cases = after[("claimbridge_cases", (("agency", "acme"), ("state", "submitted")))]
    assert cases == counts["cases_created"]
    assert after[("claimbridge_store_up", ())] == 1
    assert (
        "claimbridge_last_success_timestamp_seconds",
        (("direction", "inbound"), ("partner", "erp")),
    ) in after
    assert after[("claimbridge_job_running", (("job", "daily-cycle"),))] == 0
    assert after[("claimbridge_job_duration_seconds_count", (("job", "daily-cycle"),))] >= 1


def test_every_answer_carries_a_request_id(client: TestClient) -> None:
    given = client.get("/livez", headers={"X-Request-ID": "lb-1234"})
    assert given.headers["x-request-id"] == "lb-1234"
    made = client.get("/livez").headers["x-request-id"]
    assert len(made) == 32 and made != client.get("/livez").headers["x-request-id"]
    odd = client.get("/livez", headers={"X-Request-ID": "bad id\twith spaces"})
    assert odd.headers["x-request-id"] != "bad id\twith spaces"
