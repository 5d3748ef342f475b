"""`claimbridge outbox`: what waits to be delivered, and dead letters."""

from __future__ import annotations

import click
from sqlalchemy import select

from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.storage.models import OutboxMessageRow, utcnow
from gateway.storage.presence import presence_of
from gateway.storage.repositories.outbox import Outbox

__all__ = ["outbox"]


@click.group(invoke_without_command=True)
@click.pass_context
def outbox(ctx: click.Context) -> None:
    """Messages waiting for delivery (ERP actions, agency notices), and dead letters."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            outbox_ = Outbox(session)
            counts = outbox_.counts()
            now = utcnow()
            leases = outbox_.leases(now)
            dead = list(
                session.scalars(
                    select(OutboxMessageRow)
                    .where(OutboxMessageRow.status == "dead")
                    .order_by(OutboxMessageRow.id)
                    .limit(50)
                )
            )
            rows = [[k, d, s, n] for (k, d, s), n in sorted(counts.items())]
            click.echo(
                render_table(["kind", "destination", "status", "messages"], rows)
                if rows
                else "outbox empty"
            )
            if leases:
                click.echo(
                    "\nleased (in a delivery under way; a batch whose relay is gone is taken "
                    "over by the next run):"
                )
                click.echo(
                    render_table(
                        ["kind", "destination", "batch", "messages", "owner", "until", "owner is"],
                        [
                            [
                                lease.kind,
                                lease.destination,
                                lease.batch_id,
                                lease.messages,
                                lease.owner,
                                f"{lease.until:%Y-%m-%d %H:%M:%S} UTC",
                                {True: "alive", False: "gone", None: "unknown"}[
                                    presence_of(store).alive(lease.owner)
                                ],
                            ]
                            for lease in leases
                        ],
                    )
                )
            if dead:
                click.echo("\ndead letters (re-queue with `claimbridge outbox retry`):")
                click.echo(
                    render_table(
                        ["id", "destination", "key", "attempts", "last error"],
                        [
                            [m.id, m.destination, m.message_key, m.attempts, m.last_error]
                            for m in dead
                        ],
                        max_width=80,
                    )
                )
    finally:
        store.dispose()


@outbox.command("retry")
@click.option("--destination", help="Only messages to this source or agency.")
@click.option("--id", "ids", type=int, multiple=True, help="Only these messages (repeatable).")
@pass_state
def retry(state: CliState, destination: str | None, ids: tuple[int, ...]) -> None:
    """Put dead messages back in the queue; the next relay delivers them."""
    store = state.store()
    try:
        with store.unit_of_work() as session:
            count = Outbox(session).retry_dead(destination, ids, utcnow())
    finally:
        store.dispose()
    click.echo(f"{count} dead message(s) re-queued")
