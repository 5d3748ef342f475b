"""`claimbridge run`: one cycle, or some of its steps."""

from __future__ import annotations

import json
import sys

import click

from gateway.cli.main import CliState, as_of_date, as_of_option, pass_state
from gateway.pipeline import STEPS, RunContext, Step, run_cycle, summary_json, summary_lines

__all__ = ["run"]


@click.command()
@as_of_option
@click.option(
    "--step",
    "steps",
    multiple=True,
    type=click.Choice([s.value for s in STEPS]),
    help="Run only these steps (repeatable); default: the whole cycle.",
)
@click.option("--only", "target", default=None, help="Only this source, policy or agency.")
@click.option("--json", "as_json", is_flag=True, help="Print the totals as JSON.")
@pass_state
def run(
    state: CliState, as_of: object, steps: tuple[str, ...], target: str | None, as_json: bool
) -> None:
    """Run a cycle: extract, select, hand over, apply agency updates, write back, notify.

    Exits with status 1 if any part failed (the summary and `claimbridge transfers` say what).
    """
    config = state.config()
    store = state.store()
    try:
        chosen = tuple(Step(s) for s in steps) if steps else STEPS
        summary = run_cycle(RunContext(config, store, as_of_date(as_of)), chosen, target)
    finally:
        store.dispose()
    if as_json:
        click.echo(json.dumps(summary_json(summary), indent=2))
    else:
        click.echo("\n".join(summary_lines(summary)))
    if summary.failed:
        sys.exit(1)
