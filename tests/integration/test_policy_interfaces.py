"""The dry run and the explanations as integrators and accounting reach them: the command line
and the API (whose accounting endpoints refuse everyone until authentication exists)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.api.security import accounting_user
from gateway.cli import main
from gateway.pipeline import Step, run_cycle
from gateway.sample import SAMPLE_FACTS
from gateway.storage.database import Store
from tests.conftest import TODAY, Workspace
from tests.integration.helpers import counts
from tests.integration.policy_setup import STANDARD, set_policies

ITEM = "erp:1000/1800001000/2026/001"  # Müller Maschinenbau, 1250.00 EUR, selected


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, workspace: Workspace) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", workspace.database_url)
    return CliRunner()


def run(cli: CliRunner, workspace: Workspace, *args: str) -> tuple[int, str]:
    result = cli.invoke(
        main, ["-c", str(workspace.config_path), *args, "--as-of", TODAY.isoformat()]
    )
    return result.exit_code, result.output


def test_select_dry_run_shows_cases_and_exclusions_and_writes_nothing(
    cli: CliRunner, workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    before = counts(store)
    code, out = run(cli, workspace, "select", "--dry-run")
    assert code == 0, out
    assert counts(store) == before
    assert f"25 open items not in a case; {SAMPLE_FACTS.selected_items} meet every criterion" in out
    assert "dunning level ≥ 3       9                 5" in out
    assert (
        "7 cases would be made (11 items, 10887.55 EUR, 3400.00 GBP, 1150.00 USD): 7 to acme" in out
    )
    assert "100733  Nordlicht Logistik AG" in out
    assert "no real run of this policy yet" in out

    code, out = run(cli, workspace, "select", "--dry-run", "--json")
    (report,) = json.loads(out)
    assert report["case_count"] == SAMPLE_FACTS.cases
    assert {c["criterion"]: c["failing"] for c in report["criteria"]} == SAMPLE_FACTS.excluded
    assert report["totals"] == {"EUR": "10887.55", "GBP": "3400.00", "USD": "1150.00"}
    assert report["cases"][0]["debtor_number"] == "100733"
    assert report["cases"][0]["fees"] == "120.00"  # 3 invoices × EUR 40 (German law, B2B)


def test_select_then_dry_run_compares_with_the_last_run(
    cli: CliRunner, workspace: Workspace
) -> None:
    set_policies(workspace, STANDARD)
    code, out = run(cli, workspace, "run", "--step", "extract")
    code, out = run(cli, workspace, "select")
    assert code == 0 and "11 items in 7 new cases (7 for acme)" in out
    set_policies(workspace, STANDARD.replace("at_least: 30", "at_least: 10"))
    code, out = run(cli, workspace, "select", "--dry-run")
    assert "the policy changed:\n      criteria[1].days_overdue.at_least: 30 → 10\n" in out
    assert "open items not in a case 25 → 14; cases 7 → 1; items 11 → 2" in out
    assert "days overdue ≥ 10" in out


def test_explain_an_item_from_the_command_line(cli: CliRunner, workspace: Workspace) -> None:
    run(cli, workspace, "run", "--step", "extract")
    code, out = run(cli, workspace, "explain", ITEM)
    assert code == 0, out
    assert "selected: a case of 2 items, 2230.40 EUR, to acme" in out
    assert "pass days overdue ≥ 30       95 days (due 2026-08-17)  ≥ 30" in out
    code, out = run(cli, workspace, "explain", "erp:1000/1800001011/2026/001", "--json")
    (report,) = json.loads(out)
    assert report["status"] == "no such item: the store has never seen it in an extraction"
    assert code == 1
    code, out = run(cli, workspace, "explain", "1800001000")
    assert code == 2 and "is not an item key: write SOURCE:COMPANY/DOCUMENT/YEAR/LINE" in out


def test_accounting_endpoints_refuse_requests_without_a_user_token(
    workspace: Workspace, store: Store
) -> None:
    client = TestClient(create_app(workspace.config(), store))
    for path in ("/v1/policies", "/v1/policies/standard/dry-run"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert "needs a user token" in answer.json()["detail"]


def test_the_api_dry_run_and_explanation(workspace: Workspace, store: Store) -> None:
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    app = create_app(workspace.config(), store)
    app.dependency_overrides[accounting_user] = lambda: "alice"
    client = TestClient(app)
    (policy,) = client.get("/v1/policies").json()
    assert (policy["name"], policy["agencies"], policy["versions_used"]) == (
        "standard",
        ["acme"],
        0,
    )
    day = {"as_of": TODAY.isoformat()}
    report = client.get("/v1/policies/standard/dry-run", params={**day, "cases": 2}).json()
    assert report["case_count"] == 7 and len(report["cases"]) == 2
    assert report["version"] == policy["version"] and not report["version_known"]
    assert [c["failing"] for c in report["criteria"]] == list(SAMPLE_FACTS.excluded.values())

    found = client.get("/v1/policies/standard/explain", params={**day, "item": ITEM}).json()
    assert found["selected"] and found["status"].startswith("selected")
    assert [(c["criterion"], c["passed"]) for c in found["criteria"]][:2] == [
        ("open amount > 0", True),
        ("dunning level ≥ 3", True),
    ]
    assert found["fees"] == "40.00" and found["claim_notes"]  # interest: no 2026-H2 rate

    assert client.get("/v1/policies/nope/dry-run").status_code == 404
    bad = client.get("/v1/policies/standard/explain", params={"item": "1000/1"})
    assert bad.status_code == 422 and "is not an item key" in bad.json()["detail"]
    unknown = client.get("/v1/policies/standard/explain", params={"item": "erp:1/2/2026/3"})
    assert unknown.status_code == 404
