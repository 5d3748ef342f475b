"""`claimbridge demo --erp tryton`: the whole loop with a real Tryton the demo sets up itself,
and a clear refusal where Tryton is not installed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from simulators.demo import erps
from simulators.tryton.server import tryton_missing
from tests.integration.demo_outcome import assert_the_loop_ended_clean


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    return CliRunner()


def test_the_demo_runs_the_loop_with_tryton_and_again_changes_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    reason = tryton_missing()
    if reason:
        pytest.skip(reason)
    folder = tmp_path / "demo"
    first = cli.invoke(main, ["demo", str(folder), "--erp", "tryton"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    out = first.output
    assert "a real Tryton 8.2 server" in out
    assert "11 items in 8 new cases (8 for acme)" in out
    assert "writeback tryton       33 delivered" in out
    # every payment the agency reported is booked: Tryton's books are open for the days
    # the run dates them on (the business date may lie months before today)
    assert "writeback tryton       61 delivered →" in out
    assert "4. In the tryton ERP, a debtor paid a handed-over invoice directly" in out
    assert "15 records, 15 items, 0 quarantined, 1 cleared, 1 direct payments" in out
    assert "notices   acme         1 delivered" in out
    assert f"Look at: {folder.resolve()}/tryton (the Tryton database" in out
    assert (
        "sources:\n  tryton:\n    # Tryton 8 over JSON-RPC"
        in (folder / "claimbridge.yaml").read_text()
    )
    assert_the_loop_ended_clean(cli, folder, out)

    again = cli.invoke(main, ["demo", str(folder), "--erp", "tryton"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "already initialised" in again.output
    assert "The tryton ERP had already moved on" in again.output
    assert "writeback tryton" not in again.output
    assert again.output.count("direct payments 0, ") == 2
    assert_the_loop_ended_clean(cli, folder, again.output)


def test_without_tryton_the_demo_says_what_to_install(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = dataclasses.replace(
        erps.DEMO_ERPS["tryton"],
        missing=lambda: (
            "Tryton is not installed (trytond missing); install it with "
            "pip install 'claimbridge[tryton]'"
        ),
    )
    monkeypatch.setitem(erps.DEMO_ERPS, "tryton", absent)
    result = cli.invoke(main, ["demo", str(tmp_path / "demo"), "--erp", "tryton"])
    assert result.exit_code == 2
    assert "error: the tryton demo cannot run here: Tryton is not installed" in result.output
    assert "pip install 'claimbridge[tryton]'" in result.output
    assert not (tmp_path / "demo").exists()


def test_the_missing_distribution_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    real = metadata.version

    def version(name: str) -> str:
        if name == "trytond_account_dunning":
            raise metadata.PackageNotFoundError(name)
        return real(name) if name != "proteus" else "7.0.1"

    monkeypatch.setattr(metadata, "version", version)
    assert tryton_missing() == (
        "Tryton is not installed (trytond_account_dunning, proteus 8.2 (found 7.0.1) missing); "
        "install it with pip install 'claimbridge[tryton]'"
    )
