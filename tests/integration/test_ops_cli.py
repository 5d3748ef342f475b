"""The operations commands: jobs, run history, transfer retries, alerts, purge."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import main
from gateway.config import load_config
from gateway.ops.jobs.leases import Leases
from gateway.ops.jobs.specs import job_specs
from gateway.storage.database import create_store
from tests.integration.test_cli import folder, invoke

__all__ = ["folder"]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    return CliRunner()


def run(cli: CliRunner, folder: Path, *args: str) -> Result:
    return cli.invoke(main, ["-c", str(folder / "claimbridge.yaml"), *args])


def test_jobs_are_listed_run_on_request_and_remembered(
    cli: CliRunner, folder: Path, database_url: str
) -> None:
    listing = run(cli, folder, "jobs")
    assert listing.exit_code == 0
    assert "daily-cycle" in listing.output and "30 6 * * 1-5 (Europe/Berlin)" in listing.output
    assert "never" in listing.output

    ran = run(cli, folder, "jobs", "run", "daily-cycle")
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith("run 1 of daily-cycle: ok")
    assert "handover" in ran.output and "totals:" in ran.output
    history = run(cli, folder, "jobs", "history")
    assert "daily-cycle" in history.output and "manual" in history.output
    assert " ok " in history.output
    assert "ok 20" in run(cli, folder, "jobs").output  # last: ok, with its slot

    unknown = run(cli, folder, "jobs", "run", "nightly")
    assert unknown.exit_code == 2 and "no job 'nightly'" in unknown.output

    store = create_store(database_url)
    environ = {"CLAIMBRIDGE_DATABASE_URL": database_url}
    config = load_config(folder / "claimbridge.yaml", environ=environ)
    try:
        # another process, alive (it holds its presence while this object lives)
        elsewhere = Leases(store, "elsewhere")
        held = elsewhere.claim_manual(job_specs(config)["daily-cycle"])
        busy = run(cli, folder, "jobs", "run", "daily-cycle")
        assert busy.exit_code == 3 and "is running (run 2 on elsewhere)" in busy.output
        elsewhere.release(held)
    finally:
        store.dispose()


def test_a_refused_file_is_retried_and_read_again_at_once(cli: CliRunner, folder: Path) -> None:
    exports = folder / "erp" / "exports"
    good = next(exports.glob("*.csv"))
    content = good.read_bytes()
    good.write_text("a;b\n1;2\n", encoding="utf-8")
    failed = run(cli, folder, "run", "--step", "extract")
    assert failed.exit_code == 1
    assert (exports / "error" / good.name).exists()
    listing = run(cli, folder, "transfers", "--status", "failed", "--until", "2999-01-01")
    transfer_id = listing.output.splitlines()[2].split()[0]
    # the ERP team fixes the file where it was set aside
    (exports / "error" / good.name).write_bytes(content)
    retried = run(cli, folder, "transfers", "retry", transfer_id, "--run")
    assert retried.exit_code == 0, retried.output
    assert f"{good.name} moved back into the inbox" in retried.output
    assert "records" in retried.output and (exports / "archive" / good.name).exists()
    again = run(cli, folder, "transfers", "retry", transfer_id)
    assert again.exit_code == 0 and f"{good.name} was taken since (transfer" in again.output


def test_alerts_and_purge_from_the_command_line(cli: CliRunner, folder: Path) -> None:
    assert "no alerts" in run(cli, folder, "alerts").output
    next((folder / "erp" / "exports").glob("*.csv")).write_text("a\n1\n", encoding="utf-8")
    run(cli, folder, "run", "--step", "extract")
    checked = run(cli, folder, "alerts", "check")
    assert checked.exit_code == 0 and "1 condition(s) firing: 1 new" in checked.output
    listing = run(cli, folder, "alerts")
    assert "FIRING" in listing.output and "transfer_failed:erp:inbound:open_items" in listing.output

    dry = run(cli, folder, "purge", "--dry-run")
    assert dry.exit_code == 0 and dry.output.startswith("dry run: nothing changed")
    assert "debtors anonymised" in dry.output and "kept (no period set)" in dry.output
    assert "transfers" in dry.output
    done = run(cli, folder, "purge")
    assert done.exit_code == 0 and done.output.startswith("purged")


def test_the_transfer_log_takes_a_period(cli: CliRunner, folder: Path) -> None:
    invoke(cli, "-c", str(folder / "claimbridge.yaml"), "run")
    assert "no transfers" in run(cli, folder, "transfers", "--until", "2000-01-01").output
    assert "open_items" in run(cli, folder, "transfers", "--since", "2000-01-01").output
