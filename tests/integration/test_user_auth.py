"""Users authenticate with bearer tokens; each role is admitted where the matrix says
(gateway/api/security.py), refused with 403 elsewhere; wrong, revoked and disabled → 401."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api import create_app
from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import UserTokenRow, utcnow
from gateway.storage.repositories.users import UserError, Users
from tests.conftest import Workspace
from tests.integration.api_users import add_user, bearer, new_token


@pytest.fixture
def client(workspace: Workspace, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(workspace.config(), store)) as client:
        yield client


# (method, path, body) → the roles admitted
MATRIX: list[tuple[str, str, dict[str, str] | None, set[str]]] = [
    ("GET", "/v1/cases", None, {"accounting", "integrator", "it"}),
    ("GET", "/v1/cases/CB-0000001", None, {"accounting", "integrator", "it"}),
    ("GET", "/v1/cases/CB-0000001/timeline", None, {"accounting", "integrator", "it"}),
    ("GET", "/v1/policies", None, {"accounting", "integrator", "it"}),
    ("POST", "/v1/cases/CB-0000001/hold", {"reason": "call first"}, {"accounting", "integrator"}),
    ("POST", "/v1/cases/CB-0000002/recall", {}, {"accounting", "integrator"}),
    ("GET", "/v1/transfers", None, {"it", "integrator"}),
    ("GET", "/v1/transfers/1", None, {"it", "integrator"}),
    ("POST", "/v1/transfers/1/retry", None, {"it", "integrator"}),
    ("GET", "/v1/jobs", None, {"it", "integrator"}),
    ("GET", "/v1/jobs/daily-cycle/runs", None, {"it", "integrator"}),
]


def test_every_role_is_admitted_where_the_matrix_says_and_refused_elsewhere(
    client: TestClient, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    tokens = {role.value: add_user(store, f"user-{role.value}", role) for role in Role}
    for method, path, body, admitted in MATRIX:
        for role, token in tokens.items():
            headers = {**bearer(token), "Idempotency-Key": f"{role}-{path}"}
            answer = client.request(method, path, json=body, headers=headers)
            if role in admitted:
                assert answer.status_code not in (401, 403), (role, path, answer.text)
            else:
                assert answer.status_code == 403, (role, path, answer.text)
                needed = " or ".join(sorted(admitted))
                assert (
                    f"needs the role {needed}; user user-{role} has the role {role}"
                    in (answer.json()["detail"])
                )


def test_without_a_valid_token_every_accounting_and_it_endpoint_answers_401(
    client: TestClient, store: Store
) -> None:
    token = add_user(store, "alice", Role.INTEGRATOR)
    token_id = token.split("_")[1]
    wrong_secret = f"cbu_{token_id}_{'A' * 43}"
    unknown_id = f"cbu_{'0' * 12}_{token.split('_', 2)[2]}"
    for method, path, _body, _admitted in MATRIX:
        missing = client.request(method, path, headers={"Idempotency-Key": "k"})
        assert missing.status_code == 401, path
        assert missing.headers["WWW-Authenticate"] == 'Bearer realm="claimbridge"'
        assert "needs a user token" in missing.json()["detail"]
        for presented in (wrong_secret, unknown_id, "not-a-token", token + "x"):
            answer = client.request(
                method, path, headers={**bearer(presented), "Idempotency-Key": "k"}
            )
            assert answer.status_code == 401, (path, presented)
            assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
        basic = client.request(method, path, headers={"Authorization": "Basic YWxpY2U6eA=="})
        assert basic.status_code == 401
    assert client.get("/livez").status_code == 200  # health stays open
    assert client.get("/v1/cases", headers=bearer(token)).status_code == 200


def test_two_tokens_for_rotation_then_the_old_one_is_revoked(
    client: TestClient, store: Store
) -> None:
    old = add_user(store, "alice", Role.ACCOUNTING)
    new = new_token(store, "alice")
    for token in (old, new):
        assert client.get("/v1/cases", headers=bearer(token)).status_code == 200
    with pytest.raises(UserError, match="2 active tokens"):
        new_token(store, "alice")  # a third is refused
    with store.unit_of_work() as session:
        users = Users(session)
        users.revoke(users.get("alice"), old.split("_")[1], utcnow())
    assert client.get("/v1/cases", headers=bearer(old)).status_code == 401
    assert client.get("/v1/cases", headers=bearer(new)).status_code == 200
    third = new_token(store, "alice")  # one revoked: room for the next rotation
    assert client.get("/v1/cases", headers=bearer(third)).status_code == 200


def test_a_disabled_user_is_refused_and_use_is_recorded(client: TestClient, store: Store) -> None:
    token = add_user(store, "bob", Role.IT)
    with store.unit_of_work(read_only=True) as session:
        assert session.scalars(select(UserTokenRow.last_used_at)).one() is None
    assert client.get("/v1/transfers", headers=bearer(token)).status_code == 200
    with store.unit_of_work(read_only=True) as session:
        row = session.scalars(select(UserTokenRow)).one()
        assert row.last_used_at is not None
        assert token not in (row.secret_sha256, row.token_id)  # only the digest is kept
    with store.unit_of_work() as session:
        users = Users(session)
        users.disable(users.get("bob"), utcnow())
    answer = client.get("/v1/transfers", headers=bearer(token))
    assert answer.status_code == 401
    assert answer.json()["detail"] == "the token is unknown or revoked, or its user is disabled"
