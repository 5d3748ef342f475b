"""/v1/transfers: the transfer log with filters, the records each transfer rejected, and
retries of failed transfers (inbound file, handover batch, write-back actions)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.api.security import ItUser, it_user
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from tests.conftest import Workspace


@pytest.fixture
def client(workspace: Workspace, store: Store) -> Iterator[TestClient]:
    app = create_app(workspace.config(), store)
    app.dependency_overrides[it_user] = lambda: ItUser("it-operator")
    with TestClient(app) as client:
        yield client


def cycle(workspace: Workspace, store: Store, *steps: Step) -> None:
    run_cycle(workspace.context(store), steps or tuple(Step))


def block(workspace: Workspace, *folder: str) -> None:
    """A file where the folder should be: every write there fails."""
    workspace.path(*folder).rmdir()
    workspace.path(*folder).write_text("in the way", encoding="utf-8")


def unblock(workspace: Workspace, *folder: str) -> None:
    workspace.path(*folder).unlink()
    workspace.path(*folder).mkdir()


def test_without_a_user_token_the_it_endpoints_are_closed(
    workspace: Workspace, store: Store
) -> None:
    client = TestClient(create_app(workspace.config(), store))
    for path in ("/v1/transfers", "/v1/transfers/1", "/v1/jobs"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert "needs a user token" in answer.json()["detail"]
    assert client.post("/v1/transfers/1/retry").status_code == 401
    assert client.get("/livez").status_code == 200


def test_the_log_is_filtered_by_partner_direction_status_kind_and_period(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    cycle(workspace, store)

    def listed(**params: object) -> list[dict[str, object]]:
        answer = client.get("/v1/transfers", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["transfers"]  # type: ignore[no-any-return]

    everything = listed()
    assert {(t["kind"], t["direction"], t["partner"]) for t in everything} == {
        ("open_items", "inbound", "erp"),
        ("handover", "outbound", "acme"),
        ("writeback", "outbound", "erp"),
    }
    assert [t["kind"] for t in listed(partner="acme")] == ["handover"]
    assert [t["kind"] for t in listed(direction="inbound")] == ["open_items"]
    assert [t["status"] for t in listed(status="partial")] == ["partial"]
    assert [t["partner"] for t in listed(kind="writeback")] == ["erp"]
    start = min(str(t["started_at"]) for t in everything)
    assert listed(until=start) == []
    assert len(listed(since=start)) == 3
    ids = [t["id"] for t in everything]
    assert ids == sorted(ids, reverse=True)

    page = client.get("/v1/transfers", params={"limit": 2}).json()
    assert [t["id"] for t in page["transfers"]] == ids[:2]
    rest = client.get("/v1/transfers", params={"limit": 2, "before_id": page["next_before_id"]})
    assert [t["id"] for t in rest.json()["transfers"]] == ids[2:]
    assert rest.json()["next_before_id"] is None

    assert client.get("/v1/transfers", params={"direction": "sideways"}).status_code == 422
    naive = client.get("/v1/transfers", params={"since": "2026-11-01T00:00:00"})
    assert naive.status_code == 422
    backwards = client.get(
        "/v1/transfers",
        params={"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"},
    )
    assert backwards.status_code == 422 and "before `until`" in backwards.text


def test_a_transfer_shows_the_records_it_rejected_and_why(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    cycle(workspace, store, Step.EXTRACT)
    (transfer,) = client.get("/v1/transfers", params={"kind": "open_items"}).json()["transfers"]
    detail = client.get(f"/v1/transfers/{transfer['id']}").json()
    assert detail["rejected"] == detail["rejected_shown"] == len(detail["rejected_records"]) > 0
    reasons = " ".join(r["reason"] for r in detail["rejected_records"])
    assert "unknown currency" in reasons and "duplicate key" in reasons
    currency = next(r for r in detail["rejected_records"] if "currency" in r["fields"])
    # the line as the file had it
    assert int(currency["position"]) > 1 and currency["record"][0] == "1000"
    assert client.get("/v1/transfers/999999").status_code == 404


def test_retrying_a_refused_file_puts_it_back_in_the_inbox(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    exports = workspace.path("erp", "exports")
    (exports / "open_items_x.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    cycle(workspace, store, Step.EXTRACT)
    failed = client.get("/v1/transfers", params={"status": "failed"}).json()["transfers"]
    (refused,) = failed
    assert (exports / "error" / "open_items_x.csv").exists()
    assert (exports / "error" / "open_items_x.csv.reason.txt").exists()

    answer = client.post(f"/v1/transfers/{refused['id']}/retry")
    assert answer.status_code == 200, answer.text
    assert answer.json()["action"] == "requeued"
    assert (exports / "open_items_x.csv").exists()
    assert not (exports / "error" / "open_items_x.csv").exists()
    assert (exports / "archive" / "open_items_x.csv.reason.txt").exists()
    assert "[retry" in client.get(f"/v1/transfers/{refused['id']}").json()["summary"]

    # the next run reads it again (and, still broken, refuses it again)
    cycle(workspace, store, Step.EXTRACT)
    again = client.get("/v1/transfers", params={"status": "failed"}).json()["transfers"]
    assert [t["location"] for t in again] == ["open_items_x.csv", "open_items_x.csv"]
    # a retry of a transfer that did not fail is refused
    ok = client.get("/v1/transfers", params={"status": "partial"}).json()["transfers"][0]
    refused_retry = client.post(f"/v1/transfers/{ok['id']}/retry")
    assert refused_retry.status_code == 409 and "only failed transfers" in refused_retry.text
    assert client.post("/v1/transfers/999999/retry").status_code == 404


def test_retrying_failed_write_back_actions_requeues_them(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    cycle(workspace, store, Step.EXTRACT, Step.SELECT, Step.HANDOVER)
    block(workspace, "erp", "writeback")
    cycle(workspace, store, Step.WRITEBACK)
    (failed,) = client.get("/v1/transfers", params={"kind": "writeback"}).json()["transfers"]
    assert failed["status"] == "failed"
    unblock(workspace, "erp", "writeback")
    answer = client.post(f"/v1/transfers/{failed['id']}/retry").json()
    assert answer["action"] == "requeued" and answer["messages"] == 33
    # a blocked folder is a transport fault: the actions waited for a retry, none died
    assert "0 dead and 33 waiting write-back actions for erp are due now" in answer["detail"]
    cycle(workspace, store, Step.WRITEBACK)
    latest = client.get("/v1/transfers", params={"kind": "writeback"}).json()["transfers"][0]
    assert (latest["status"], latest["records"]) == ("ok", 33)
    nothing = client.post(f"/v1/transfers/{failed['id']}/retry").json()
    assert nothing["action"] == "nothing" and "delivered since" in nothing["detail"]


def test_a_retry_with_an_idempotency_key_is_done_once(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    cycle(workspace, store, Step.EXTRACT, Step.SELECT, Step.HANDOVER)
    block(workspace, "erp", "writeback")
    cycle(workspace, store, Step.WRITEBACK)
    (failed,) = client.get("/v1/transfers", params={"kind": "writeback"}).json()["transfers"]
    unblock(workspace, "erp", "writeback")
    path = f"/v1/transfers/{failed['id']}/retry"
    first = client.post(path, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 200 and first.json()["messages"] == 33
    cycle(workspace, store, Step.WRITEBACK)
    # repeated after the actions went out: the first answer, nothing requeued again
    again = client.post(path, headers={"Idempotency-Key": "retry-1"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    elsewhere = client.post("/v1/transfers/999999/retry", headers={"Idempotency-Key": "retry-1"})
    assert elsewhere.status_code == 422
    # without the key the retry is taken as a new one (and finds nothing left to do)
    assert client.post(path).json()["action"] == "nothing"


def test_a_failed_handover_batch_is_delivered_again(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    cycle(workspace, store, Step.EXTRACT, Step.SELECT)
    block(workspace, "agency", "to-agency")
    cycle(workspace, store, Step.HANDOVER)
    (failed,) = client.get("/v1/transfers", params={"kind": "handover"}).json()["transfers"]
    assert failed["status"] == "failed" and failed["location"] == "CB-B000001"
    pending = client.post(f"/v1/transfers/{failed['id']}/retry").json()
    assert pending["action"] == "pending"
    assert "the next handover run of acme delivers it again" in pending["detail"]
    unblock(workspace, "agency", "to-agency")
    cycle(workspace, store, Step.HANDOVER)
    delivered = client.get("/v1/transfers", params={"kind": "handover"}).json()["transfers"][0]
    assert delivered["status"] == "ok" and delivered["location"].endswith(".csv")
    done = client.post(f"/v1/transfers/{failed['id']}/retry").json()
    assert done["action"] == "nothing"
    assert f"delivered since (transfer {delivered['id']})" in done["detail"]
