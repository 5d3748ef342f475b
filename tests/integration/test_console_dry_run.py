"""The dry run page and the work list's explanations in the reader's language: what the policy
would select (the same dry run as the CLI and the API), per-criterion counts, the changes and
figures since the last real run; criteria, amounts and dates in English, French and German."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.select.dry_run import dry_run
from gateway.storage.database import Store
from tests.conftest import TODAY, Workspace
from tests.integration.console_client import Browser
from tests.integration.console_setup import add_person, manual_approval


@pytest.fixture
def console(workspace: Workspace, store: Store) -> Iterator[TestClient]:
    manual_approval(workspace)
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    add_person(store, "alice", Role.ACCOUNTING)
    add_person(store, "ivan", Role.IT)
    with TestClient(create_app(workspace.config(), store)) as client:
        yield client


def signed_in(console: TestClient, name: str) -> Browser:
    browser = Browser(console)
    assert browser.sign_in(name).status_code == 303
    return browser


def cells(page: str, table: str) -> list[list[str]]:
    found = re.search(rf'<table id="{table}">(.*?)</table>', page, re.S)
    assert found, table
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
        if "<td" in r
    ]


def test_the_dry_run_shows_what_the_policy_would_select_and_why(
    console: TestClient, workspace: Workspace, store: Store
) -> None:
    assert console.get("/ui/dry-run", follow_redirects=False).status_code == 303
    ivan = signed_in(console, "ivan")  # every role reads policies, as in the API
    assert 'href="/ui/dry-run"' in ivan.get("/ui/dry-run").text
    alice = signed_in(console, "alice")
    form = alice.get("/ui/dry-run").text
    assert "Run the dry run" in form and 'id="dry-outcome"' not in form
    page = alice.get("/ui/dry-run", params={"policy": "standard", "as_of": str(TODAY)}).text
    expected = dry_run(workspace.context(store), "standard", list_cases=20)
    plan = expected.plan
    criteria = cells(page, "dry-criteria")
    assert [r[1] for r in criteria] == [f"{c.failing:,}" for c in plan.counts]
    assert [r[0] for r in criteria] == [
        "open amount > 0",
        "dunning level ≥ 3",
        "days overdue ≥ 30",
        "open amount ≥ 50",
        "dunning block not in R",
        "not disputed",
    ]
    assert f"{len(plan.cases)} cases ({plan.items} items)" in page
    listed = cells(page, "dry-listed")
    assert len(listed) == len(expected.listed) > 0
    largest = expected.listed[0].group
    assert listed[0][0].startswith(largest.debtor_name) and largest.debtor_number in listed[0][0]
    assert "No real run of this policy yet: nothing to compare with." in page
    # nothing was written: the same dry run again gives the same page
    assert (
        cells(
            alice.get("/ui/dry-run", params={"policy": "standard", "as_of": str(TODAY)}).text,
            "dry-criteria",
        )
        == criteria
    )
    wrong = alice.get("/ui/dry-run", params={"policy": "nope"}).text
    assert "No policy nope in the configuration." in wrong
    bad_day = alice.get("/ui/dry-run", params={"policy": "standard", "as_of": "soon"}).text
    assert "As of: a date as YYYY-MM-DD" in bad_day


def test_the_dry_run_compares_with_the_last_run(
    console: TestClient, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store), (Step.SELECT,))
    alice = signed_in(console, "alice")
    same = alice.get("/ui/dry-run", params={"policy": "standard", "as_of": str(TODAY)}).text
    assert "The policy is the same as then." in same
    figures = {r[0]: (r[1], r[2]) for r in cells(same, "dry-figures")}
    then_cases, now_cases = figures["Cases (changed)"]  # marked for a screen reader too
    assert now_cases == "0" and then_cases != "0"  # its items are in cases now
    # a stricter policy: the change and its effect, beside the last run
    text = workspace.config_path.read_text()
    workspace.config_path.write_text(
        text.replace("dunning_level: {at_least: 3}", "dunning_level: {at_least: 4}")
    )
    with TestClient(create_app(workspace.config(), store)) as client:
        browser = Browser(client)
        browser.sign_in("alice")
        page = browser.get("/ui/dry-run", params={"policy": "standard"}).text
    changes = cells(page, "dry-changes")
    assert changes == [["criteria[0].dunning_level.at_least", "3", "4"]]
    assert "new: this version has made no case yet" in page
    assert "Kept out by: dunning level ≥ 4" in page


def test_the_dry_run_and_the_explanations_speak_the_readers_language(
    console: TestClient, workspace: Workspace, store: Store
) -> None:
    alice = signed_in(console, "alice")
    alice.get("/ui/cases")  # the session's form token
    assert alice.post("/ui/language", {"language": "de", "back": "/ui/cases"}).status_code == 303
    page = alice.get("/ui/dry-run", params={"policy": "standard", "as_of": str(TODAY)}).text
    labels = [r[0] for r in cells(page, "dry-criteria")]
    assert labels == [
        "offener Betrag > 0",
        "Mahnstufe ≥ 3",
        "Tage überfällig ≥ 30",
        "offener Betrag ≥ 50",
        "Mahnsperre nicht in R",
        "nicht bestritten",
    ]
    assert "Probelauf" in page and "Was jedes Kriterium ausschließt" in page
    # a total in German: thousands with a dot, decimals with a comma, the sign after
    assert re.search(r"\d{1,3}(\.\d{3})*,\d{2}\s€", page)
    # the work list's "why" of a case, in French
    run_cycle(workspace.context(store), (Step.SELECT,))
    assert alice.post("/ui/language", {"language": "fr", "back": "/ui/cases"}).status_code == 303
    why = alice.get("/ui/cases/CB-0000001/why").text
    assert "niveau de relance ≥ 3" in why and "jours de retard ≥ 30" in why
    assert re.search(r"jours de retard ≥ 30: \d+ jours \(échéance \d+ (août|sept\.) 2026\)", why)
    # amounts as French write them: 1\u202f250,00\xa0€
    assert re.search(r"montant ouvert ≥ 50: \d{1,3}(\u202f\d{3})*,\d{2}\xa0€", why)
