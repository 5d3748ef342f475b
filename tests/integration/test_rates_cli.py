"""`claimbridge rates`: list the reference rates and the half-years without one; add a newly
published rate to the configuration in one command, and it is claimed from then on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import main
from gateway.config import load_config
from gateway.rules.rates import RateSeries
from tests.conftest import TODAY, set_settle


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    return CliRunner()


def invoke(cli: CliRunner, config: Path, *args: str) -> Result:
    return cli.invoke(main, ["-c", str(config), *args], catch_exceptions=False)


@pytest.fixture
def config(cli: CliRunner, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    assert cli.invoke(main, ["init", str(target), "--as-of", TODAY.isoformat()]).exit_code == 0
    set_settle(target / "claimbridge.yaml", 0)
    return target / "claimbridge.yaml"


def test_rates_list_names_the_half_years_without_a_rate(cli: CliRunner, config: Path) -> None:
    result = invoke(cli, config, "rates", "list", "--as-of", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "de_base_rate          2026-01-01  1.27    shipped" in result.output
    assert "no rate for: de_base_rate 2026-07-01, ecb_refinancing_rate 2026-07-01" in result.output
    assert "claimbridge rates add SERIES HALF-YEAR RATE" in result.output


def test_rates_add_writes_the_configuration_and_keeps_its_comments(
    cli: CliRunner, config: Path
) -> None:
    before = config.read_text(encoding="utf-8")
    result = invoke(
        cli, config, "rates", "add", "de_base_rate", "2026-07-01", "1.27",
        "--source", "Deutsche Bundesbank",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "de_base_rate 2026-07-01: 1.27% added" in result.output
    after = config.read_text(encoding="utf-8")
    assert after.startswith(before)  # nothing of the file changed, the section was added
    assert after.endswith(": Deutsche Bundesbank\n")
    rates = load_config(config).rates
    assert str(rates.rate(RateSeries.DE_BASE_RATE, TODAY)) == "1.27"

    # a correction replaces the half-year's entry; another series joins the same section
    assert invoke(cli, config, "rates", "add", "de_base_rate", "2026-07-01", "1.30").exit_code == 0
    assert (
        invoke(cli, config, "rates", "add", "ecb_refinancing_rate", "2026-07-01", "2.15").exit_code
        == 0
    )
    text = config.read_text(encoding="utf-8")
    assert text.count("\nreference_rates:\n") == 1 and text.count("\n    2026-07-01") == 2
    rates = load_config(config).rates
    assert str(rates.rate(RateSeries.DE_BASE_RATE, TODAY)) == "1.30"
    assert str(rates.rate(RateSeries.ECB_REFINANCING_RATE, TODAY)) == "2.15"
    listed = invoke(cli, config, "rates", "list", "--as-of", TODAY.isoformat()).output
    assert "de_base_rate          2026-07-01  1.30    configuration" in listed
    assert "no rate for: fr_legal_rate 2026-07-01" in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("de_base_rate", "2026-03-01", "1.27"), "does not start a half-year"),
        (("de_base_rate", "2026-07-01", "abc"), "is not a rate in percent"),
        (("de_base_rate", "2026-07-01", "250"), "is not a rate in percent"),
    ],
)
def test_a_wrong_rate_changes_nothing(
    cli: CliRunner, config: Path, args: tuple[str, ...], message: str
) -> None:
    before = config.read_text(encoding="utf-8")
    result = cli.invoke(main, ["-c", str(config), "rates", "add", *args])
    assert result.exit_code == 2 and message in result.output
    assert config.read_text(encoding="utf-8") == before


def test_a_flow_style_section_is_refused_not_rewritten(cli: CliRunner, config: Path) -> None:
    text = (
        config.read_text(encoding="utf-8")
        + '\nreference_rates: {de_base_rate: {2026-07-01: "1.27"}}\n'
    )
    config.write_text(text, encoding="utf-8")
    result = cli.invoke(
        main, ["-c", str(config), "rates", "add", "de_base_rate", "2026-07-01", "1.3"]
    )
    assert result.exit_code == 2 and "written on one line" in result.output
    assert config.read_text(encoding="utf-8") == text
