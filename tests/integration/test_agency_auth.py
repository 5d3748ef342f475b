"""Agency authentication: keys, scopes, scoping by agency, signatures, limits, the CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.agency_signatures import signature_v1
from gateway.api import create_app
from gateway.api.agency_auth import sign
from gateway.api.limits import MAX_REQUEST_BYTES
from gateway.cli import main
from gateway.config import ConfigError
from gateway.storage.database import Store
from gateway.storage.models import AgencyApiKeyRow, utcnow
from gateway.storage.repositories.agency_keys import AgencyKeys, KeyLimitReached
from tests.conftest import Workspace
from tests.integration.agency_api_setup import (
    SIGNING_ENV,
    SIGNING_SECRET,
    agency_client,
    api_agencies,
    handed_over,
    issue_key,
)

EVENT = {
    "event_id": "ev-1",
    "case_reference": "CB-0000001",
    "kind": "accepted",
    "occurred_at": "2026-11-20T10:00:00Z",
}


@pytest.fixture
def api_ws(workspace: Workspace, store: Store) -> Workspace:
    api_agencies(workspace)
    handed_over(workspace, store)
    return workspace


def test_a_valid_key_reads_its_agency_s_cases(api_ws: Workspace, store: Store) -> None:
    client = agency_client(api_ws, store)
    response = client.get("/cases/CB-0000001")
    assert response.status_code == 200
    assert response.json()["reference"] == "CB-0000001"
    with store.unit_of_work(read_only=True) as session:
        (row,) = session.scalars(select(AgencyApiKeyRow))
        assert row.last_used_at is not None
        assert len(row.secret_sha256) == 64 and row.secret_sha256 not in client.key


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer cbk_0000000000000000_wrong"],
)
def test_missing_or_unknown_keys_are_refused_with_401(
    api_ws: Workspace, store: Store, authorization: str | None
) -> None:
    http = TestClient(create_app(api_ws.config(), store))
    headers = {"Authorization": authorization} if authorization else {}
    response = http.get("/v1/agency/cases/new", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_right_key_id_with_a_wrong_secret_is_refused(api_ws: Workspace, store: Store) -> None:
    key = issue_key(store, "acme")
    forged = key[: key.rindex("_") + 1] + "x" * 43
    client = agency_client(api_ws, store, key=forged)
    assert client.get("/cases/new").status_code == 401


def test_a_revoked_key_is_refused(api_ws: Workspace, store: Store) -> None:
    client = agency_client(api_ws, store)
    assert client.get("/cases/new").status_code == 200
    key_id = client.key.split("_")[1]
    with store.unit_of_work() as session:
        assert AgencyKeys(session).revoke("acme", key_id, utcnow())
    response = client.get("/cases/new")
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown or revoked API key"


def test_a_key_without_the_scope_gets_403(api_ws: Workspace, store: Store) -> None:
    client = agency_client(api_ws, store, key=issue_key(store, "acme", ("cases:read",)))
    assert client.get("/cases/new").status_code == 200
    response = client.post("/events", EVENT)
    assert response.status_code == 403
    assert "lacks the scope events:write" in response.json()["detail"]
    assert client.get("/notices").status_code == 403


def test_another_agency_s_case_is_not_found(api_ws: Workspace, store: Store) -> None:
    other = agency_client(api_ws, store, agency="other")
    assert other.get("/cases/CB-0000001").status_code == 404
    assert other.get("/cases/new").json() == {"cases": []}
    response = other.post("/events", EVENT)
    assert response.status_code == 404
    batch = other.post("/events/batch", {"events": [EVENT]}).json()
    assert batch["rejected"] == 1
    assert "no case of agency other" in batch["results"][0]["message"]
    acked = other.post("/cases/ack", {"references": ["CB-0000001"]}).json()
    assert acked == {"acknowledged": [], "unknown": ["CB-0000001"]}
    # ...and acme's case is untouched
    acme = agency_client(api_ws, store)
    assert acme.get("/cases/CB-0000001").json()["state"] == "submitted"


def test_at_most_two_active_keys_per_agency(api_ws: Workspace, store: Store) -> None:
    first, _second = issue_key(store, "acme"), issue_key(store, "acme")
    with pytest.raises(KeyLimitReached, match="revoke one first"):
        issue_key(store, "acme")
    with store.unit_of_work() as session:
        assert AgencyKeys(session).revoke("acme", first.split("_")[1], utcnow())
    assert issue_key(store, "acme").startswith("cbk_")


def test_the_cli_adds_rotates_lists_and_revokes_keys(api_ws: Workspace, store: Store) -> None:
    runner = CliRunner()
    env = {"CLAIMBRIDGE_DATABASE_URL": api_ws.database_url}
    config = str(api_ws.config_path)

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--config", config, "agency", *args], env=env)
        return result.exit_code, result.output

    code, out = run("add", "acme")
    assert code == 0, out
    token = out.split("API key: ")[1].split()[0]
    key_id = token.split("_")[1]
    code, out = run("add", "acme")
    assert code == 1 and "already has API access" in out
    code, out = run("key", "acme", "--scope", "cases:read")
    assert code == 0 and "cases:read" in out
    code, out = run("key", "acme")
    assert code == 1 and "revoke one first" in out
    code, out = run("keys", "acme")
    assert code == 0 and key_id in out and token.rsplit("_", 1)[1] not in out
    code, out = run("revoke", "acme", key_id)
    assert code == 0 and "revoked" in out
    code, out = run("revoke", "acme", key_id)
    assert code == 1 and "no active key" in out
    code, out = run("add", "nobody")
    assert code == 2 and "'nobody' is not configured" in out
    http = agency_client(api_ws, store, key=token)
    assert http.get("/cases/new").status_code == 401


@pytest.fixture
def signed_ws(workspace: Workspace, store: Store, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv(SIGNING_ENV, SIGNING_SECRET)
    api_agencies(
        workspace,
        acme_api=(f"      require_signature: true\n      signing_secret: !env {SIGNING_ENV}\n"),
    )
    handed_over(workspace, store)
    return workspace


def _post_signed(
    http: TestClient, key: str, body: bytes, signature: str | None, path: str = "/v1/agency/events"
) -> int:
    headers = {
        "Authorization": f"Bearer {key}",
        "Idempotency-Key": "k-" + str(time.time_ns()),
        "Content-Type": "application/json",
    }
    if signature is not None:
        headers["X-Signature"] = signature
    return http.post(path, content=body, headers=headers).status_code


def v1(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature_v1(secret, timestamp, body)}"


EVENTS = "/v1/agency/events"


def test_signed_requests(signed_ws: Workspace, store: Store) -> None:
    key = issue_key(store, "acme")
    http = TestClient(create_app(signed_ws.config(), store))
    body = json.dumps(EVENT).encode()
    now = int(time.time())
    assert _post_signed(http, key, body, sign(SIGNING_SECRET, now, "POST", EVENTS, body)) == 201
    # missing, wrong secret, body changed, stale or future timestamp, garbage: all 401
    refused = {
        "missing": None,
        "wrong secret": sign("another-secret", now, "POST", EVENTS, body),
        "stale": sign(SIGNING_SECRET, now - 360, "POST", EVENTS, body),
        "future": sign(SIGNING_SECRET, now + 360, "POST", EVENTS, body),
        "garbage": "t=abc,v2=00",
        "huge timestamp": f"t={'9' * 400},v2=00",
        "another method": sign(SIGNING_SECRET, now, "PUT", EVENTS, body),
        "another path": sign(SIGNING_SECRET, now, "POST", "/v1/agency/events/batch", body),
    }
    for what, signature in refused.items():
        assert _post_signed(http, key, body, signature) == 401, what
    assert (
        _post_signed(http, key, body + b" ", sign(SIGNING_SECRET, now, "POST", EVENTS, body)) == 401
    )
    target = "/v1/agency/cases/new?limit=5"
    headers = {"Authorization": f"Bearer {key}"}
    signed_get = sign(SIGNING_SECRET, now, "GET", target, b"")
    assert http.get(target, headers={**headers, "X-Signature": signed_get}).status_code == 200
    # the query is signed: the same signature with another limit is refused
    other = http.get(
        "/v1/agency/cases/new?limit=500", headers={**headers, "X-Signature": signed_get}
    )
    assert other.status_code == 401
    assert "method, path and query as sent" in other.json()["detail"]


def _config_check(workspace: Workspace) -> str:
    result = CliRunner().invoke(
        main,
        ["-c", str(workspace.config_path), "config", "check"],
        env={"CLAIMBRIDGE_DATABASE_URL": workspace.database_url},
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_v1_signature_signs_the_body_only_and_is_accepted_only_where_configured(
    signed_ws: Workspace, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    key = issue_key(store, "acme")
    http = TestClient(create_app(signed_ws.config(), store))
    body = json.dumps(EVENT).encode()
    now = int(time.time())
    # accepted by default (deprecated), with a warning naming the agency, never the secret
    assert _post_signed(http, key, body, v1(SIGNING_SECRET, now, body)) == 201
    assert "agency acme signed a request with the deprecated X-Signature v1" in caplog.text
    assert SIGNING_SECRET not in caplog.text
    assert "agency acme: still accepts the deprecated X-Signature v1" in _config_check(signed_ws)
    # what v2 closes: the body-only signature holds on another endpoint
    batch = json.dumps({"events": [EVENT]}).encode()
    assert _post_signed(http, key, batch, v1(SIGNING_SECRET, now, batch), EVENTS + "/batch") == 200
    # a v2 value, when given, is what counts: a matching v1 beside a wrong v2 is refused
    both = v1(SIGNING_SECRET, now, body) + ",v2=" + "0" * 64
    assert _post_signed(http, key, body, both) == 401

    text = signed_ws.config_path.read_text()
    signed_ws.config_path.write_text(
        text.replace(
            "      require_signature: true\n",
            "      require_signature: true\n      accept_v1_signatures: false\n",
            1,
        )
    )
    strict = TestClient(create_app(signed_ws.config(), store))
    assert "accepts the deprecated X-Signature v1" not in _config_check(signed_ws)
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "k-strict"}
    refused = strict.post(
        EVENTS, content=body, headers={**headers, "X-Signature": v1(SIGNING_SECRET, now, body)}
    )
    assert refused.status_code == 401
    assert "v1 (body only) is no longer accepted from this agency" in refused.json()["detail"]
    fresh = json.dumps({**EVENT, "event_id": "ev-2", "kind": "in_progress"}).encode()
    assert _post_signed(strict, key, fresh, sign(SIGNING_SECRET, now, "POST", EVENTS, fresh)) == 201


def test_a_required_signature_needs_a_secret_and_the_error_names_the_key(
    workspace: Workspace,
) -> None:
    api_agencies(workspace, acme_api="      require_signature: true\n")
    with pytest.raises(ConfigError) as caught:
        workspace.config()
    assert "agencies.acme.api" in str(caught.value)
    assert "signing_secret is not set" in str(caught.value)


def test_a_literal_signing_secret_is_refused(workspace: Workspace) -> None:
    api_agencies(workspace, acme_api="      signing_secret: plain-text-secret\n")
    with pytest.raises(ConfigError) as caught:
        workspace.config()
    assert "agencies.acme.api.signing_secret" in str(caught.value)
    assert "plain-text-secret" not in str(caught.value)


def test_the_rate_limit_answers_429_with_retry_after(workspace: Workspace, store: Store) -> None:
    api_agencies(workspace, acme_api="      rate_limit: 0.5\n      burst: 3\n")
    handed_over(workspace, store)
    client = agency_client(workspace, store)
    codes = [client.get("/cases/new").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/cases/new")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    # the limit is per key: the agency's second key has its own bucket
    second = agency_client(workspace, store, key=issue_key(store, "acme"))
    second.http = client.http
    assert second.get("/cases/new").status_code == 200


def test_an_oversized_body_is_refused_with_413(api_ws: Workspace, store: Store) -> None:
    client = agency_client(api_ws, store)
    big = b'{"events": [' + b" " * MAX_REQUEST_BYTES + b"]}"
    headers = client.headers("POST", "/v1/agency/events/batch", big, "big-1")
    response = client.http.post("/v1/agency/events/batch", content=big, headers=headers)
    assert response.status_code == 413
    assert str(MAX_REQUEST_BYTES) in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # streamed, no Content-Length
        yield b'{"events": ['
        for _ in range(MAX_REQUEST_BYTES // 65536 + 1):
            yield b" " * 65536
        yield b"]}"

    headers.pop("Content-Length", None)
    response = client.http.post("/v1/agency/events/batch", content=chunks(), headers=headers)
    assert response.status_code == 413
