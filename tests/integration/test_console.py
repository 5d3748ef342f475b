"""The web console in-process: signing in and out, sessions, CSRF, the role matrix on pages and
actions, the work list's filters, search, sorting, pages and bulk decisions (four-eyes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from gateway.api import create_app
from gateway.cli import main
from gateway.domain.users import Role
from gateway.storage.database import Store
from gateway.storage.models import (
    CaseItemRow,
    CaseRow,
    DebtorRow,
    OpenItemRow,
    UserRow,
    WebSessionRow,
    utcnow,
)
from gateway.web.pages import work_list
from tests.conftest import Workspace
from tests.integration.console_client import Browser, cases_on, outcomes_on
from tests.integration.console_setup import PASSWORD, add_person, proposed_cases

ALL = [f"CB-000000{n}" for n in range(7, 0, -1)]  # newest first


@pytest.fixture
def console(workspace: Workspace, store: Store) -> Iterator[TestClient]:
    proposed_cases(workspace, store, second_above="1000.00")
    add_person(store, "alice", Role.ACCOUNTING)
    add_person(store, "carol", Role.ACCOUNTING)
    add_person(store, "ivan", Role.IT)
    with TestClient(create_app(workspace.config(), store)) as client:
        yield client


def signed_in(console: TestClient, name: str) -> Browser:
    browser = Browser(console)
    assert browser.sign_in(name).status_code == 303
    return browser


def test_a_page_without_a_session_leads_to_the_sign_in_page_and_back(console: TestClient) -> None:
    answer = console.get("/ui/cases?agency=acme", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=/ui/cases%3Fagency%3Dacme"
    browser = Browser(console)
    signed = browser.sign_in("alice", next_page="/ui/cases?agency=acme")
    assert signed.headers["location"] == "/ui/cases?agency=acme"
    cookie = signed.headers["set-cookie"]
    assert "cb_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/ui" in cookie and "Secure" not in cookie  # plain HTTP here
    assert browser.get("/ui/cases").status_code == 200


def test_a_wrong_password_or_unknown_user_gets_the_same_answer(console: TestClient) -> None:
    wrong = Browser(console).sign_in("alice", "not the password at all")
    unknown = Browser(console).sign_in("mallory", PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "The user name or the password is wrong." in answer.text
        assert "cb_session" not in answer.headers.get("set-cookie", "")


def test_sign_in_refuses_a_form_from_elsewhere(console: TestClient) -> None:
    browser = Browser(console)
    browser.get("/ui/login")
    answer = console.post(
        "/ui/login",
        data={"name": "alice", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    other_site = console.post(
        "/ui/login",
        data={"name": "alice", "password": PASSWORD, "csrf_token": browser.token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert other_site.status_code == 403


def test_a_decision_without_the_csrf_token_is_refused_and_changes_nothing(
    console: TestClient, store: Store
) -> None:
    browser = signed_in(console, "alice")
    browser.get("/ui/cases")
    answer = console.post(
        "/ui/cases/decide",
        data={"action": "dismiss", "case": ALL[0], "csrf_token": "x" * 64},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "Form out of date" in answer.text
    with store.unit_of_work(read_only=True) as session:
        assert session.scalar(select(CaseRow.state).where(CaseRow.reference == ALL[0])) == (
            "selected"
        )


def test_the_pages_carry_a_strict_content_security_policy(console: TestClient) -> None:
    browser = signed_in(console, "alice")
    page = browser.get("/ui/cases")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " style=" not in page.text
    assert re.search(r"<script src=\"/ui/static/vendor/htmx/[0-9.]+/htmx.min.js\"", page.text)


def test_signing_out_ends_the_session_on_the_server(console: TestClient, store: Store) -> None:
    browser = signed_in(console, "alice")
    cookie = console.cookies.get("cb_session")
    browser.get("/ui/cases")
    assert browser.post("/ui/logout", {}).headers["location"] == "/ui/login"
    console.cookies.set("cb_session", cookie or "", path="/ui")  # a copy of the old cookie
    assert console.get("/ui/cases", follow_redirects=False).status_code == 303


def test_a_disabled_user_or_an_idle_session_is_signed_out(
    console: TestClient, store: Store, workspace: Workspace
) -> None:
    browser = signed_in(console, "alice")
    with store.unit_of_work() as session:
        session.execute(update(WebSessionRow).values(last_seen_at=utcnow() - timedelta(hours=2)))
    assert browser.get("/ui/cases", follow_redirects=False).status_code == 303
    browser = signed_in(console, "alice")
    result = CliRunner().invoke(
        main,
        ["-c", str(workspace.config_path), "user", "disable", "alice"],
        env={"CLAIMBRIDGE_DATABASE_URL": workspace.database_url},
    )
    assert result.exit_code == 0, result.output
    assert browser.get("/ui/cases", follow_redirects=False).status_code == 303


def test_the_password_command_sets_a_hash_and_ends_open_sessions(
    console: TestClient, store: Store, workspace: Workspace
) -> None:
    browser = signed_in(console, "alice")
    env = {"CLAIMBRIDGE_DATABASE_URL": workspace.database_url}
    args = ["-c", str(workspace.config_path), "user", "password", "alice", "--stdin"]
    short = CliRunner().invoke(main, args, input="short\n", env=env)
    assert short.exit_code == 1 and "at least 12" in short.output
    result = CliRunner().invoke(main, args, input="a much better passphrase\n", env=env)
    assert result.exit_code == 0, result.output
    assert "1 open session(s) ended" in result.output
    with store.unit_of_work(read_only=True) as session:
        stored = session.scalar(select(UserRow.password_hash).where(UserRow.name == "alice"))
    assert stored is not None and stored.startswith("scrypt$15$8$1$")
    assert "passphrase" not in stored
    assert browser.get("/ui/cases", follow_redirects=False).status_code == 303
    assert Browser(console).sign_in("alice", PASSWORD).status_code == 401
    assert Browser(console).sign_in("alice", "a much better passphrase").status_code == 303


def test_it_reads_the_work_list_but_cannot_decide(console: TestClient, store: Store) -> None:
    browser = signed_in(console, "ivan")
    page = browser.get("/ui/cases")
    assert page.status_code == 200
    assert cases_on(page.text) == []  # no boxes to tick, no decision buttons
    assert 'value="approve"' not in page.text
    assert all(f">{reference}</a>" in page.text for reference in ALL)
    answer = browser.post("/ui/cases/decide", {"action": "approve", "case": ALL[0]})
    assert answer.status_code == 403
    assert "needs the role accounting / integrator" in answer.text
    with store.unit_of_work(read_only=True) as session:
        assert session.scalar(select(CaseRow.state).where(CaseRow.reference == ALL[0])) == (
            "selected"
        )


def test_bulk_approval_needs_a_second_person_above_the_amount(console: TestClient) -> None:
    alice = signed_in(console, "alice")
    page = alice.get("/ui/cases?sort=amount")
    largest = cases_on(page.text)[0]
    smallest = cases_on(page.text)[-1]
    first = alice.post(
        "/ui/cases/decide", {"action": "approve", "case": [largest, smallest], "decision_key": "1"}
    )
    assert outcomes_on(first.text) == [
        f"{largest}: approval 1 of 2 recorded; another person must approve",
        f"{smallest}: done; state now: Approved",
    ]
    alice.get("/ui/cases")
    again = alice.post(
        "/ui/cases/decide", {"action": "approve", "case": largest, "decision_key": "2"}
    )
    assert outcomes_on(again.text) == [
        f"{largest}: you approved it already: the second approval must come from another person"
    ]
    repeated = alice.post(
        "/ui/cases/decide", {"action": "approve", "case": largest, "decision_key": "1"}
    )
    assert outcomes_on(repeated.text) == [f"{largest}: already done (the form was sent twice)"]
    carol = signed_in(console, "carol")
    carol.get("/ui/cases")
    second = carol.post(
        "/ui/cases/decide", {"action": "approve", "case": largest, "decision_key": "3"}
    )
    assert outcomes_on(second.text) == [f"{largest}: done; state now: Approved"]


def test_hold_needs_a_reason_and_dismiss_closes(console: TestClient) -> None:
    alice = signed_in(console, "alice")
    alice.get("/ui/cases")
    no_reason = alice.post(
        "/ui/cases/decide", {"action": "hold", "case": ALL[0], "decision_key": "1"}
    )
    assert outcomes_on(no_reason.text) == [f"{ALL[0]}: a hold needs a reason"]
    held = alice.post(
        "/ui/cases/decide",
        {"action": "hold", "case": ALL[0], "reason": "customer called", "decision_key": "2"},
    )
    assert outcomes_on(held.text) == [f"{ALL[0]}: done; state now: On hold"]
    dismissed = alice.post(
        "/ui/cases/decide", {"action": "dismiss", "case": ALL[1], "decision_key": "3"}
    )
    assert outcomes_on(dismissed.text) == [f"{ALL[1]}: done; state now: Dismissed"]
    # the default list shows what waits for a decision: the held case, not the dismissed one
    waiting = cases_on(alice.get("/ui/cases").text)
    assert ALL[0] in waiting and ALL[1] not in waiting


def test_search_filters_and_keyset_pages(
    console: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = signed_in(console, "alice")
    with store.unit_of_work(read_only=True) as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == ALL[2])).one()
        debtor, currency = case.debtor_number, case.currency
        of_debtor = list(
            session.scalars(
                select(CaseRow.reference)
                .where(CaseRow.debtor_number == debtor)
                .order_by(CaseRow.id.desc())
            )
        )
        in_currency = list(
            session.scalars(
                select(CaseRow.reference)
                .where(CaseRow.currency == currency)
                .order_by(CaseRow.id.desc())
            )
        )
    assert ALL[2] in of_debtor
    with store.unit_of_work(read_only=True) as session:
        document = session.scalars(
            select(OpenItemRow.document_number)
            .join(CaseItemRow, CaseItemRow.item_id == OpenItemRow.id)
            .where(CaseItemRow.case_id == case.id)
        ).first()
        name = session.scalar(select(DebtorRow.name).where(DebtorRow.number == debtor))
    assert cases_on(alice.get(f"/ui/cases?q={document}").text) == [ALL[2]]
    assert name and ALL[2] in cases_on(alice.get(f"/ui/cases?q={name[2:9].upper()}").text)
    assert cases_on(alice.get(f"/ui/cases?q={debtor}").text) == of_debtor
    assert cases_on(alice.get(f"/ui/cases?q={ALL[2].lower()}").text) == [ALL[2]]
    assert cases_on(alice.get("/ui/cases?q=no such debtor anywhere").text) == []
    assert cases_on(alice.get(f"/ui/cases?currency={currency.lower()}").text) == in_currency
    bad = alice.get("/ui/cases?amount_min=abc").text
    assert cases_on(bad) == ALL and "Amount from: not an amount" in bad
    # keyset pages, in every sort: each case once, in the order of the whole list
    monkeypatch.setattr(work_list, "PAGE_SIZE", 3)
    for sort in ("newest", "amount", "age", "debtor"):
        whole = cases_on(alice.get(f"/ui/cases?sort={sort}&filtered=1").text)
        assert len(whole) == 3
        seen: list[str] = []
        page = alice.get(f"/ui/cases?sort={sort}").text
        while True:
            seen += cases_on(page)
            found = re.search(r'<a href="([^"]+)" rel="next">', page)
            if not found:
                break
            page = alice.get(found.group(1).replace("&amp;", "&")).text
        assert sorted(seen) == sorted(ALL), sort
        assert len(seen) == len(ALL), sort
    by_amount = []
    page = alice.get("/ui/cases?sort=amount").text
    by_amount = cases_on(page)
    with store.unit_of_work(read_only=True) as session:
        amounts = dict(session.execute(select(CaseRow.reference, CaseRow.handed_over_minor)).all())
    assert [amounts[r] for r in by_amount] == sorted((amounts[r] for r in by_amount), reverse=True)
