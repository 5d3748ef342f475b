"""Decisions on the command line rest on a proven identity: the user's token, never the name
the environment gives (`LOGNAME=carol claimbridge cases approve` must not be carol's approval).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api import create_app
from gateway.cli import main
from gateway.config import load_config
from gateway.storage.database import Store
from gateway.storage.models import CaseRow
from gateway.storage.repositories.policies import ApprovalRepository
from tests.conftest import TODAY
from tests.integration.test_cli import folder

__all__ = ["folder"]

CASE = "CB-0000001"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    for name in ("CLAIMBRIDGE_TOKEN", "LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def run(cli: CliRunner, folder: Path, *args: str, **env: str) -> Result:
    return cli.invoke(main, ["-c", str(folder / "claimbridge.yaml"), *args], env=env)


def proposals(cli: CliRunner, folder: Path, second_approval: bool) -> None:
    config = folder / "claimbridge.yaml"
    approval = '{mode: manual, second_approval_above: "0.00"}' if second_approval else "manual"
    config.write_text(config.read_text().replace("approval: automatic", f"approval: {approval}"))
    result = run(cli, folder, "run", "--as-of", TODAY.isoformat(), "--step", "extract")
    assert result.exit_code in (0, 1), result.output
    result = run(cli, folder, "run", "--as-of", TODAY.isoformat(), "--step", "select")
    assert result.exit_code in (0, 1), result.output


def token(cli: CliRunner, folder: Path, name: str, role: str = "accounting") -> str:
    added = run(cli, folder, "user", "add", name, "--role", role)
    assert added.exit_code == 0, added.output
    return added.stdout.strip()


def case_state(store: Store) -> tuple[str, list[str]]:
    with store.unit_of_work(read_only=True) as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == CASE)).one()
        approvers = [a.approver for a in ApprovalRepository(session).approvals(case.id)]
        return case.state, approvers


def test_logname_spoofing_gives_no_second_approval(
    cli: CliRunner, folder: Path, store: Store
) -> None:
    proposals(cli, folder, second_approval=True)
    alice, carol = token(cli, folder, "alice"), token(cli, folder, "carol")

    first = run(cli, folder, "cases", "approve", CASE, CLAIMBRIDGE_TOKEN=alice, LOGNAME="carol")
    assert first.exit_code == 0, first.output
    assert "approval 1 of 2 recorded" in first.output
    assert case_state(store) == ("selected", ["alice"])  # the token's user, not LOGNAME

    # alice pretends to be carol: the environment's name is not an identity
    spoofed = run(cli, folder, "cases", "approve", CASE, LOGNAME="carol", USER="carol")
    assert spoofed.exit_code == 1
    assert "deciding on a case needs your user token" in spoofed.stderr
    # ... and the local administrator's path gives no approval of a four-eyes case
    admin = run(cli, folder, "cases", "approve", CASE, "--local-admin", LOGNAME="carol")
    assert admin.exit_code == 1
    assert "needs the approvals of 2 different people" in admin.stderr
    again = run(cli, folder, "cases", "approve", CASE, CLAIMBRIDGE_TOKEN=alice, LOGNAME="carol")
    assert again.exit_code == 1 and "already approved by alice" in again.stderr
    assert case_state(store) == ("selected", ["alice"])

    second = run(cli, folder, "cases", "approve", CASE, "--token", carol, LOGNAME="alice")
    assert second.exit_code == 0, second.output
    assert f"{CASE}: selected → approved" in second.output
    assert case_state(store) == ("approved", ["alice", "carol"])
    shown = run(cli, folder, "cases", "show", CASE)
    assert "approvals: 2 of 2 (alice, carol)" in shown.output


def test_tokens_that_prove_nothing_or_the_wrong_role_are_refused(
    cli: CliRunner, folder: Path, store: Store
) -> None:
    proposals(cli, folder, second_approval=False)
    ivan = token(cli, folder, "ivan", role="it")
    alice = token(cli, folder, "alice")
    forged = alice[:-4] + ("AAAA" if not alice.endswith("AAAA") else "BBBB")
    refusals = {
        "not-a-token": "the token is not a valid claimbridge user token",
        forged: f"token {alice.split('_')[1]} is unknown or revoked",
        ivan: "needs the role accounting or integrator; user ivan has the role it",
    }
    for given, message in refusals.items():
        refused = run(cli, folder, "cases", "approve", CASE, CLAIMBRIDGE_TOKEN=given)
        assert refused.exit_code == 1 and message in refused.stderr, refused.output
        assert given not in refused.output  # a secret is never echoed
    assert run(cli, folder, "user", "revoke", "alice", alice.split("_")[1]).exit_code == 0
    revoked = run(cli, folder, "cases", "approve", CASE, CLAIMBRIDGE_TOKEN=alice)
    assert revoked.exit_code == 1 and "unknown or revoked" in revoked.stderr
    both = run(cli, folder, "cases", "approve", CASE, "--local-admin", CLAIMBRIDGE_TOKEN=ivan)
    assert both.exit_code == 1 and "either a token or --local-admin" in both.stderr
    assert case_state(store) == ("selected", [])


def test_the_local_administrator_decides_visibly_as_such(
    cli: CliRunner, folder: Path, store: Store
) -> None:
    proposals(cli, folder, second_approval=False)
    held = run(
        cli, folder, "cases", "hold", CASE, "--local-admin", "--reason", "checking", LOGNAME="carol"
    )
    assert held.exit_code == 0, held.output
    approved = run(cli, folder, "cases", "approve", CASE, "--local-admin")
    assert approved.exit_code == 0 and "on_hold → approved" in approved.output
    shown = run(cli, folder, "cases", "show", CASE).output
    assert "held by local administrator (cli): checking" in shown
    assert "carol" not in shown
    assert case_state(store) == ("approved", ["local administrator (cli)"])


def test_one_person_is_one_approver_through_the_cli_and_the_api(
    cli: CliRunner, folder: Path, store: Store
) -> None:
    proposals(cli, folder, second_approval=True)
    alice = token(cli, folder, "alice")
    assert run(cli, folder, "cases", "approve", CASE, CLAIMBRIDGE_TOKEN=alice).exit_code == 0
    api = TestClient(create_app(load_config(folder / "claimbridge.yaml"), store))
    answer = api.post(
        f"/v1/cases/{CASE}/approve",
        headers={"Authorization": f"Bearer {alice}", "Idempotency-Key": "a-1"},
    )
    assert answer.status_code == 409, answer.text
    assert "already approved by alice" in answer.text
    assert case_state(store) == ("selected", ["alice"])
