"""Failed authentications are throttled per user name and per client address, with the state in
the database: several `claimbridge serve` processes (here, two applications with stores of
their own on one database) share the limit. Past it: 429 with Retry-After, and on the console
a message in the reader's language."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.security import FailedLoginsConfig
from gateway.domain.users import Role
from gateway.ops.failed_logins import FailedLogins
from gateway.storage.database import Store, create_store
from gateway.storage.models import utcnow
from gateway.storage.repositories.auth_failures import AuthFailures
from tests.conftest import Workspace
from tests.integration.agency_api_setup import api_agencies, handed_over, issue_key
from tests.integration.api_users import add_user, bearer
from tests.integration.console_client import Browser
from tests.integration.console_setup import PASSWORD, add_person, proposed_cases

PER_USER, PER_ADDRESS = 3, 5


def limits(workspace: Workspace) -> None:
    text = workspace.config_path.read_text()
    workspace.config_path.write_text(
        f"{text}\nsecurity:\n  failed_logins: {{per_user: {PER_USER}, "
        f"per_address: {PER_ADDRESS}, window: 15m}}\n"
    )


@pytest.fixture
def servers(workspace: Workspace, store: Store, database_url: str) -> Iterator[list[TestClient]]:
    """Two server processes' applications, each with its own connections to one database."""
    proposed_cases(workspace, store)
    for name in ("alice", "carol", "dave"):
        add_person(store, name, Role.ACCOUNTING)
    limits(workspace)
    other = create_store(database_url)
    try:
        with (
            TestClient(create_app(workspace.config(), store)) as one,
            TestClient(create_app(workspace.config(), other)) as two,
        ):
            yield [one, two]
    finally:
        other.dispose()


def message(page: str) -> str:
    found = re.search(r'<p class="message error"[^>]*>(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else ""


def test_the_console_throttles_a_user_across_processes_then_lets_them_in_again(
    servers: list[TestClient], store: Store
) -> None:
    one, two = servers
    answers = [Browser(servers[i % 2]).sign_in("alice", "wrong password!") for i in range(PER_USER)]
    assert [a.status_code for a in answers] == [401] * PER_USER
    assert message(answers[0].text) == "The user name or the password is wrong."

    # past the limit, on either process, even with the right password: 429, not checked
    for client in (one, two):
        refused = Browser(client).sign_in("alice")
        assert refused.status_code == 429
        assert 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
        assert message(refused.text) == "Too many failed sign-ins. Try again in 15 minutes."
        assert "cb_session" not in refused.headers.get("set-cookie", "")
    french = Browser(one)
    french.client.cookies.set("cb_language", "fr")
    page = french.sign_in("ALICE ")  # the same user, however typed
    french.client.cookies.delete("cb_language")
    assert page.status_code == 429
    assert message(page.text) == "Trop de connexions échouées. Réessayez dans 15 minutes."
    german = Browser(two)
    german.client.headers["Accept-Language"] = "de"
    page = german.sign_in("alice")
    del german.client.headers["Accept-Language"]
    assert "Zu viele fehlgeschlagene Anmeldungen" in message(page.text)

    # another user from the same address is still let in (the address has failed 3 of 5)
    assert Browser(two).sign_in("carol").status_code == 303

    # when alice's window is over, she signs in again, and her count starts anew
    throttle = FailedLogins(store, FailedLoginsConfig(per_user=PER_USER, per_address=PER_ADDRESS))
    later = utcnow() + timedelta(minutes=16)
    assert throttle.check("alice", None, later) is None
    assert throttle.check("alice", None, utcnow()) is not None


def test_the_console_throttles_an_address_trying_many_names(servers: list[TestClient]) -> None:
    one = servers[0]
    names = ["nobody", "carol", "dave", "ghost", "alice"]  # unknown names count too
    codes = [
        Browser(servers[i % 2]).sign_in(n, "wrong password!").status_code
        for i, n in enumerate(names)
    ]
    assert codes == [401] * PER_ADDRESS
    refused = Browser(one).sign_in("dave")  # right password, a user with one failure only
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_a_right_password_clears_the_user_s_failures(servers: list[TestClient]) -> None:
    one, _ = servers
    for _round in range(2):
        for _ in range(PER_USER - 1):
            assert Browser(one).sign_in("alice", "wrong password!").status_code == 401
        assert Browser(one).sign_in("alice", PASSWORD).status_code == 303
    # 4 failures for alice in all, never 3 in a row: never throttled


def test_wrong_user_tokens_are_throttled_per_address_and_a_valid_one_still_works(
    servers: list[TestClient], store: Store
) -> None:
    one, two = servers
    token = add_user(store, "erin", "accounting")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    attempts = [forged, "cbu_000000000000_" + "x" * 43, "not-a-token", forged, forged]
    codes = [
        servers[i % 2].get("/v1/cases", headers=bearer(t)).status_code
        for i, t in enumerate(attempts)
    ]
    assert codes == [401] * PER_ADDRESS
    refused = two.get("/v1/cases", headers=bearer(forged))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "too many failed authentications" in refused.json()["detail"]
    # a valid token is not refused for its address (256 random bits: nothing to guess)
    assert one.get("/v1/cases", headers=bearer(token)).status_code == 200
    # and no token at all is not a failed authentication
    assert one.get("/v1/cases").status_code == 401


def test_wrong_agency_keys_are_throttled_per_address(workspace: Workspace, store: Store) -> None:
    api_agencies(workspace)
    handed_over(workspace, store)
    limits(workspace)
    key = issue_key(store, "acme")
    forged = key[: key.rindex("_") + 1] + "x" * 43
    with TestClient(create_app(workspace.config(), store)) as http:
        codes = [
            http.get("/v1/agency/cases/new", headers=bearer(forged)).status_code
            for _ in range(PER_ADDRESS + 1)
        ]
        assert codes == [401] * PER_ADDRESS + [429]
        refused = http.get("/v1/agency/cases/new", headers=bearer(forged))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert http.get("/v1/agency/cases/new", headers=bearer(key)).status_code == 200


def test_failures_at_the_same_moment_all_count(store: Store, database_url: str) -> None:
    """Eight processes' failures for one new name at once: one row, eight failures."""
    stores = [create_store(database_url) for _ in range(8)]
    start = threading.Barrier(len(stores))
    now = utcnow()
    limits_ = FailedLoginsConfig(per_user=100, per_address=100)

    def fail(own: Store) -> None:
        start.wait()
        FailedLogins(own, limits_).failed("zed", "192.0.2.7", now)

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            list(pool.map(fail, stores))
    finally:
        for own in stores:
            own.dispose()
    with store.unit_of_work(read_only=True) as session:
        counts = AuthFailures(session).current(
            ["user:zed", "address:192.0.2.7"], now, timedelta(minutes=15)
        )
    assert sorted((c.key, c.failures) for c in counts) == [
        ("address:192.0.2.7", 8),
        ("user:zed", 8),
    ]
