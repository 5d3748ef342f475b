"""`claimbridge alerts`: the alert conditions and their notices."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.ops.alerts.monitor import AlertMonitor
from gateway.storage.repositories.alerts import AlertStates

__all__ = ["alerts"]


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@click.group(invoke_without_command=True)
@click.pass_context
def alerts(ctx: click.Context) -> None:
    """Alert conditions: firing or resolved, since when, and whether they were notified."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            rows = [
                [
                    "FIRING" if r.firing else "resolved",
                    _when(r.since),
                    r.key,
                    "pending" if r.notice_pending else _when(r.notified_at),
                    r.summary,
                ]
                for r in AlertStates(session).rows()
            ]
    finally:
        store.dispose()
    headers = ["state", "since (UTC)", "condition", "notified", "summary"]
    click.echo(render_table(headers, rows, max_width=90) if rows else "no alerts")


@alerts.command("check")
@pass_state
def check(state: CliState) -> None:
    """Check the conditions now and send the notices due (schedulers do it on their own)."""
    config, store = state.config(), state.store()
    try:
        result = AlertMonitor(config, store).check()
    finally:
        store.dispose()
    click.echo(
        f"{result.firing} condition(s) firing: {result.opened} new, {result.resolved} resolved; "
        f"{result.sent} notice(s) sent, {result.failed} failed"
    )
