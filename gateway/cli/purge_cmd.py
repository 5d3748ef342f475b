"""`claimbridge purge`: what is older than the retention periods goes."""

from __future__ import annotations

import click

from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.ops.retention import purge as run_purge
from gateway.storage.models import utcnow

__all__ = ["purge"]


@click.command()
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@pass_state
def purge(state: CliState, dry_run: bool) -> None:
    """Remove old transfers, quarantined records, run history, delivered messages and API
    idempotency keys, and anonymise the personal data of debtors whose cases closed long
    ago (`retention:`)."""
    config, store = state.config(), state.store()
    try:
        report = run_purge(store, config.model.retention, utcnow(), dry_run=dry_run)
    finally:
        store.dispose()
    rows = [
        [what, count, f"{cutoff:%Y-%m-%d %H:%M}" if cutoff else "kept (no period set)"]
        for what, count, cutoff in report.lines()
    ]
    click.echo("dry run: nothing changed" if dry_run else "purged")
    click.echo(
        render_table(["records", "dry run" if dry_run else "removed", "older than (UTC)"], rows)
    )
