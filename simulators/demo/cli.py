"""`claimbridge demo`: the whole loop with a simulated ERP and a simulated agency.

Registered under the entry-point group `claimbridge.commands` (pyproject.toml), so that the
`claimbridge` command offers it without production code importing the simulators.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Literal

import click

from gateway.cli.main import as_of_date, as_of_option
from gateway.pipeline import RunSummary, summary_lines, summary_totals
from gateway.rules.rates import shipped_rates
from simulators.demo.api_run import run_api_demo
from simulators.demo.erps import DEMO_ERPS
from simulators.demo.run import DemoUnavailable, run_demo

__all__ = ["demo"]


@click.command()
@click.argument("folder", type=click.Path(path_type=Path), default="claimbridge-demo")
@as_of_option
@click.option(
    "--erp",
    type=click.Choice(sorted(DEMO_ERPS)),
    default="csv",
    show_default=True,
    help="Which simulated ERP to run the loop with.",
)
@click.option(
    "--agency",
    type=click.Choice(["files", "api"]),
    default="files",
    show_default=True,
    help="A simulated agency that exchanges files, or one that works through REST APIs.",
)
@click.option(
    "--pull",
    is_flag=True,
    help="With --agency api: the agency fetches its cases and notices (default: pushed to it).",
)
def demo(folder: Path, as_of: object, erp: str, agency: str, pull: bool) -> None:
    """Run the whole loop in FOLDER with a simulated ERP and a simulated agency.

    Creates FOLDER (with `init`) if needed; run it again and it changes nothing.
    """
    business_date = as_of_date(as_of) if as_of is not None else _demo_date()
    if agency == "api":
        _api_demo(folder, business_date, erp, "pull" if pull else "push")
        return
    try:
        result = run_demo(folder, business_date, say=click.echo, erp=erp)
    except DemoUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo("")
    click.echo("First cycle:")
    click.echo("\n".join(summary_lines(result.first)))
    click.echo("")
    click.echo("Second cycle:")
    click.echo("\n".join(summary_lines(result.second)))
    _on_purpose(erp, (result.first, result.second), agency_file=True)
    click.echo("")
    click.echo(f"Look at: {result.look_at},")
    click.echo(f"         {result.folder}/agency (what went to and came from the agency),")
    click.echo(
        f"         `claimbridge -c {result.folder}/claimbridge.yaml transfers` (the transfer log)."
    )
    _console_hint(result.folder)
    if result.first.failed or result.second.failed:
        sys.exit(1)


def _on_purpose(erp: str, cycles: tuple[RunSummary, ...], agency_file: bool = False) -> None:
    """Say which quarantined records the demo's partners sent on purpose, and where to see
    why each was set aside (the rest of the loop goes on without them)."""
    totals = [summary_totals(cycle) for cycle in cycles]
    lines: list[str] = []
    said = DEMO_ERPS[erp].quarantined_on_purpose
    if said and any(t["records_quarantined"] for t in totals):
        lines.append(f"  the {erp} ERP's records: {said};")
    if agency_file and any(t["events_quarantined"] for t in totals):
        lines.append(
            "  the agency's status file: a line about case CB-9999999, which it never received;"
        )
    if lines:
        click.echo("")
        click.echo("Quarantined on purpose (bad input is set aside with its reason):")
        click.echo("\n".join(lines))
        click.echo("  `claimbridge transfers show ID` lists a transfer's records and why.")


def _demo_date() -> date:
    """Today, or the last day the shipped reference rates cover if today is past it: the
    demo's claims are then complete (a real run takes today and names the missing rates)."""
    today = date.today()  # noqa: DTZ011 - the local business date, as `run` takes it
    covered = shipped_rates().covered_until()
    if covered is None or today <= covered:
        return today
    click.echo(
        f"Business date {covered}: the last day the reference rates shipped with this release "
        f"cover (a real run takes today and names the rates to add: `claimbridge rates list`; "
        f"--as-of to choose).\n"
    )
    return covered


def _console_hint(folder: Path) -> None:
    click.echo("")
    click.echo("The web console (work list, cases, debtors), with a user who has a password:")
    click.echo(
        f"    cd {folder} && claimbridge user add alice --role accounting"
        " && claimbridge user password alice && claimbridge serve"
    )
    click.echo("then open http://127.0.0.1:8080/ui and sign in as alice.")


def _api_demo(folder: Path, as_of: date, erp: str, mode: Literal["push", "pull"]) -> None:
    missing = DEMO_ERPS[erp].missing()
    if missing:
        click.echo(f"error: the {erp} demo cannot run here: {missing}", err=True)
        sys.exit(2)
    result = run_api_demo(folder, as_of, say=click.echo, erp=erp, mode=mode)
    click.echo("")
    click.echo("First cycle:")
    click.echo("\n".join(summary_lines(result.first)))
    click.echo("")
    click.echo("Second cycle:")
    click.echo("\n".join(summary_lines(result.second)))
    _on_purpose(erp, (result.first, result.second))
    click.echo("")
    click.echo(
        f"The agency received {result.webhooks} signed webhooks and {result.notices} notices."
    )
    click.echo(f"Look at: {result.look_at},")
    click.echo(
        f"         `claimbridge -c {result.folder}/claimbridge.yaml transfers` (the transfer log)."
    )
    if result.first.failed or result.second.failed:
        sys.exit(1)
