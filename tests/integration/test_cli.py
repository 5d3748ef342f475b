"""The command line, as an integrator and IT use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import main
from gateway.sample import SAMPLE_FACTS
from tests.conftest import TODAY, set_settle
from tests.integration.demo_outcome import assert_the_loop_ended_clean


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def folder(cli: CliRunner, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    result = invoke(cli, "init", str(target), "--as-of", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    set_settle(target / "claimbridge.yaml", 0)
    return target


def test_init_refuses_to_overwrite(cli: CliRunner, folder: Path) -> None:
    result = cli.invoke(main, ["init", str(folder)])
    assert result.exit_code == 2
    assert "already exists; nothing was changed" in result.output


def test_config_check_reports_every_problem_with_its_line(cli: CliRunner, folder: Path) -> None:
    config = str(folder / "claimbridge.yaml")
    ok = invoke(cli, "-c", config, "config", "check")
    assert ok.exit_code == 0 and "valid" in ok.output and "source erp: csv" in ok.output
    text = (
        (folder / "claimbridge.yaml")
        .read_text()
        .replace("dunning_level: {at_least: 3}", "dunning_level: {at_least: high}")
        .replace("disputed: false", "disputd: false")
    )
    (folder / "claimbridge.yaml").write_text(text)
    bad = cli.invoke(main, ["-c", config, "config", "check"])
    assert bad.exit_code == 2
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "at_least: high" in row)
    assert (
        f"line {line}, policies.standard.criteria[0]: dunning_level: 'high' is not a whole number"
        in bad.output
    )
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "disputd" in row)
    assert f"line {line}, policies.standard.criteria[4]: unknown field 'disputd' (fields: " in (
        bad.output
    )


def test_run_prints_a_summary_that_matches_the_sample_data(cli: CliRunner, folder: Path) -> None:
    config = str(folder / "claimbridge.yaml")
    result = invoke(cli, "-c", config, "run", "--as-of", TODAY.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.output)
    assert totals["records_read"] == SAMPLE_FACTS.lines
    assert totals["records_quarantined"] == SAMPLE_FACTS.quarantined
    assert totals["cases_created"] == SAMPLE_FACTS.cases
    again = invoke(cli, "-c", config, "run", "--as-of", TODAY.isoformat())
    assert "nothing new: every input was already processed" in again.output


def test_the_transfer_log_shows_rejected_records_and_why(cli: CliRunner, folder: Path) -> None:
    config = str(folder / "claimbridge.yaml")
    invoke(cli, "-c", config, "run", "--as-of", TODAY.isoformat())
    listing = invoke(cli, "-c", config, "transfers", "--kind", "open_items")
    assert "partial" in listing.output and "open_items_20261120.csv" in listing.output
    transfer_id = listing.output.splitlines()[2].split()[0]
    detail = invoke(cli, "-c", config, "transfers", "show", transfer_id)
    assert "rejected records:" in detail.output
    assert "unknown currency" in detail.output and "duplicate key" in detail.output


def test_cases_and_a_case_timeline(cli: CliRunner, folder: Path) -> None:
    config = str(folder / "claimbridge.yaml")
    invoke(cli, "-c", config, "run", "--as-of", TODAY.isoformat())
    listing = invoke(cli, "-c", config, "cases")
    assert listing.output.count("submitted") == SAMPLE_FACTS.cases
    case = invoke(cli, "-c", config, "cases", "show", "CB-0000001")
    assert "Müller" not in case.output  # the debtor is shown by number
    assert "timeline" in case.output and "submitted" in case.output and "1800001000" in case.output


def test_check_tells_what_works_and_what_does_not(cli: CliRunner, folder: Path) -> None:
    config = str(folder / "claimbridge.yaml")
    ok = invoke(cli, "-c", config, "check", "acme")
    assert ok.exit_code == 0 and ok.output.count("ok  ") == 2
    (folder / "agency" / "to-agency").rmdir()
    bad = cli.invoke(main, ["-c", config, "check", "acme"])
    assert (
        bad.exit_code == 1
        and "FAIL agency acme: folder" in bad.output
        and "does not exist" in bad.output
    )
    unknown = cli.invoke(main, ["-c", config, "check", "nope"])
    assert unknown.exit_code == 2 and "neither a source nor an agency" in unknown.output


def test_run_refuses_a_database_without_the_schema(
    cli: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = cli.invoke(main, ["-c", str(folder / "claimbridge.yaml"), "run"])
    assert result.exit_code == 2 and "run `claimbridge db upgrade`" in result.output
    upgraded = invoke(cli, "-c", str(folder / "claimbridge.yaml"), "db", "upgrade")
    assert "upgraded from empty" in upgraded.output
    assert (
        "already at revision"
        in invoke(cli, "-c", str(folder / "claimbridge.yaml"), "db", "upgrade").output
    )


def test_connectors_are_listed(cli: CliRunner) -> None:
    result = invoke(cli, "connectors")
    assert "source          csv" in result.output and "agency channel  files" in result.output
    assert "preset:generic-opos" in result.output


def test_demo_runs_the_whole_loop_and_a_second_time_changes_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    first = invoke(cli, "demo", str(folder), "--as-of", TODAY.isoformat())
    assert first.exit_code == 0, first.output
    assert "The simulated agency answered with 1 status file(s)." in first.output
    assert "20 events applied" in first.output and "2 delivered" in first.output
    assert "each export has 4 bad lines (an amount '1.234,5O'" in first.output
    assert "a line about case CB-9999999, which it never received" in first.output
    assert_the_loop_ended_clean(cli, folder, first.output)
    second = invoke(cli, "demo", str(folder), "--as-of", TODAY.isoformat())
    assert second.exit_code == 0
    assert second.output.count("nothing new: every input was already processed") == 2
    assert_the_loop_ended_clean(cli, folder, second.output)


def test_the_demo_opens_without_a_missing_rate_warning(cli: CliRunner, tmp_path: Path) -> None:
    """Without --as-of the demo runs on a day the shipped reference rates cover, so that its
    claims are complete; it says so when that is not today."""
    from datetime import date

    from gateway.rules.rates import shipped_rates

    result = invoke(cli, "demo", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    covered = shipped_rates().covered_until()
    assert covered is not None
    day = min(date.today(), covered)  # noqa: DTZ011 - the demo's own choice
    assert f"claimbridge run, as of {day}" in result.output
    if day < date.today():  # noqa: DTZ011
        assert f"Business date {day}: the last day the reference rates shipped" in result.output


def test_accounting_decides_from_the_command_line(
    cli: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = folder / "claimbridge.yaml"
    config.write_text(config.read_text().replace("approval: automatic", "approval: manual"))
    invoke(cli, "-c", str(config), "run", "--as-of", TODAY.isoformat())
    added = invoke(cli, "-c", str(config), "user", "add", "alice", "--role", "accounting")
    monkeypatch.setenv("CLAIMBRIDGE_TOKEN", added.stdout.strip())
    approved = invoke(cli, "-c", str(config), "cases", "approve", "CB-0000001", "CB-0000002")
    assert "CB-0000001: selected → approved" in approved.output
    refused = cli.invoke(main, ["-c", str(config), "cases", "reopen", "CB-0000003"])
    assert refused.exit_code == 1 and "is selected: it cannot be reopen" in refused.output
    run = invoke(cli, "-c", str(config), "run", "--as-of", TODAY.isoformat(), "--json")
    assert json.loads(run.output)["cases_handed_over"] == 2
    outbox = invoke(cli, "-c", str(config), "outbox")
    assert "erp_action  erp          delivered  9" in outbox.output  # 3 items × block, note, status
