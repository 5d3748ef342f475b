"""`claimbridge demo --agency api`: the whole loop with an agency that works through REST APIs,
claimbridge's and its own, over real HTTP; a second run changes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.config import load_config
from gateway.storage.database import create_store
from gateway.storage.models import CaseRow
from simulators.demo.api_run import run_api_demo
from tests.conftest import TODAY
from tests.integration.demo_outcome import assert_the_loop_ended_clean


def writeback_rows(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((folder / "erp" / "writeback").glob("*.csv")):
        rows.extend(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    return rows


def test_pushed_cases_come_back_as_events_in_the_erp_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "demo"
    said: list[str] = []
    result = run_api_demo(folder, TODAY, say=said.append, mode="push")
    assert not result.first.failed and not result.second.failed, (
        result.first.errors,
        result.second.errors,
    )
    assert result.cases_at_agency == 7
    assert result.results["applied"] >= 20 and result.results["duplicate"] >= 1
    assert result.results["rejected"] == 0
    # 7 cases available, the recall, two direct payments seen in the ERP: each a webhook,
    # each notice pushed to the agency
    assert result.webhooks == 10 and result.notices == 3
    assert [r.delivered for r in result.second.notices] == [2]
    assert any("made after it: flagged (after_close)" in line for line in said)

    store = create_store(f"sqlite:///{folder / 'claimbridge.db'}")
    try:
        with store.unit_of_work(read_only=True) as session:
            states = {c.reference: c for c in session.scalars(select(CaseRow))}
        assert states["CB-0000001"].state == "closed_paid"
        assert states["CB-0000002"].state == "recalled" and states["CB-0000002"].needs_attention
        assert {c.state for c in states.values()} >= {"rejected", "disputed", "in_progress"}
    finally:
        store.dispose()
    rows = writeback_rows(folder)
    payments = [r for r in rows if r["action"] == "post_payment"]
    assert payments and all(r["amount"] for r in payments)
    assert len({r["action_id"] for r in rows}) == len(rows), "each ERP action once"

    # the folder's configuration still loads (its secrets are files, not the demo's environment)
    assert load_config(folder / "claimbridge.yaml").agencies["acme"].config.channel == "rest-push"

    again = run_api_demo(folder, TODAY, say=said.append, mode="push")
    assert not again.first.changed_anything and not again.second.changed_anything
    assert again.webhooks == 0
    assert writeback_rows(folder) == rows


def test_the_command_runs_a_pull_agency(tmp_path: Path) -> None:
    folder = tmp_path / "demo-pull"
    result = CliRunner().invoke(
        main, ["demo", str(folder), "--as-of", TODAY.isoformat(), "--agency", "api", "--pull"]
    )
    assert result.exit_code == 0, result.output
    assert "(cases pulled by it)" in result.output
    assert "The agency holds 7 cases" in result.output
    assert "The agency received 10 signed webhooks and 3 notices." in result.output
    assert_the_loop_ended_clean(CliRunner(), folder, result.output)
