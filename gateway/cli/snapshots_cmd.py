"""`claimbridge snapshots`: snapshots held by the plausibility guard, confirmed or rejected."""

from __future__ import annotations

import sys

import click

from gateway.cli.identity import authenticate, identity_options
from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.domain.users import DECIDERS, OPERATORS
from gateway.storage.models import utcnow
from gateway.storage.repositories.snapshot_holds import HoldNotPending, SnapshotHolds

__all__ = ["snapshots"]


@click.group(invoke_without_command=True)
@click.option(
    "--status",
    type=click.Choice(["held", "confirmed", "rejected", "applied", "set_aside"]),
    help="Only holds in this state (default: all, newest first).",
)
@click.pass_context
def snapshots(ctx: click.Context, status: str | None) -> None:
    """Snapshots held for confirmation: they would clear or reduce more open items than the
    source's `snapshot_guard` allows (a truncated export?). Nothing of them was applied."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            rows = [
                [
                    h.id,
                    h.source,
                    h.label,
                    h.status,
                    f"{h.created_at:%Y-%m-%d %H:%M}",
                    h.decided_by,
                    h.reason,
                ]
                for h in SnapshotHolds(session).search(status)
            ]
    finally:
        store.dispose()
    if not rows:
        click.echo("no snapshot held")
        return
    click.echo(
        render_table(
            ["hold", "source", "snapshot", "status", "held at (UTC)", "decided by", "why"],
            rows,
            max_width=90,
        )
    )


def _decide(
    state: CliState,
    hold_id: int,
    decision: str,
    note: str,
    token: str | None,
    local_admin: bool,
) -> None:
    who = authenticate(
        state, token, local_admin, DECIDERS | OPERATORS, "deciding on a held snapshot"
    )
    store = state.store()
    try:
        with store.unit_of_work() as session:
            hold = SnapshotHolds(session).decide(hold_id, decision, who.name, note, utcnow())
            source, label = hold.source, hold.label
    except (LookupError, HoldNotPending) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        store.dispose()
    then = (
        "the next extraction applies it as it is"
        if decision == "confirmed"
        else "the next extraction sets it aside (error folder), unapplied"
    )
    click.echo(f"hold {hold_id} ({label} of {source}) {decision}: {then}")


@snapshots.command("confirm")
@click.argument("hold_id", type=int)
@click.option("--note", default="", help="Why (kept with the decision).")
@identity_options
@pass_state
def confirm(state: CliState, hold_id: int, note: str, token: str | None, local_admin: bool) -> None:
    """Confirm a held snapshot: it is a true picture of the ERP, apply it."""
    _decide(state, hold_id, "confirmed", note, token, local_admin)


@snapshots.command("reject")
@click.argument("hold_id", type=int)
@click.option("--note", default="", help="Why (kept with the decision, shown as the reason).")
@identity_options
@pass_state
def reject(state: CliState, hold_id: int, note: str, token: str | None, local_admin: bool) -> None:
    """Reject a held snapshot: it is not a true picture (truncated); never apply it."""
    _decide(state, hold_id, "rejected", note, token, local_admin)
