"""`claimbridge transfers`: the transfer log."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from gateway.cli.main import CliState, as_of_date, as_of_option, pass_state
from gateway.cli.table import render_table
from gateway.ops.retry import RetryRefused, retry_transfer
from gateway.pipeline import summary_lines
from gateway.storage.models import utcnow
from gateway.storage.repositories.transfers import TransferFilter, TransferLog

__all__ = ["transfers"]


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@click.group(invoke_without_command=True)
@click.option("--partner", help="Only this source or agency.")
@click.option("--direction", type=click.Choice(["inbound", "outbound"]))
@click.option(
    "--status",
    type=click.Choice(["running", "ok", "partial", "failed", "skipped", "interrupted", "held"]),
)
@click.option("--kind", help="open_items, handover, agency_updates, writeback, notices.")
@click.option("--since", type=click.DateTime(), help="Started at or after (UTC).")
@click.option("--until", type=click.DateTime(), help="Started before (UTC).")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def transfers(
    ctx: click.Context,
    partner: str | None,
    direction: str | None,
    status: str | None,
    kind: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> None:
    """The transfer log: every movement of data, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            rows = TransferLog(session).search(
                TransferFilter(
                    partner=partner,
                    direction=direction,
                    status=status,
                    kind=kind,
                    since=since.replace(tzinfo=UTC) if since else None,
                    until=until.replace(tzinfo=UTC) if until else None,
                    limit=limit,
                )
            )
            table = [
                [
                    t.id,
                    _when(t.started_at),
                    t.direction,
                    t.kind,
                    t.partner,
                    t.channel,
                    t.status,
                    t.records,
                    t.rejected,
                    t.bytes or "",
                    t.location.rsplit("/", 1)[-1],
                    t.error or t.summary,
                ]
                for t in rows
            ]
    finally:
        store.dispose()
    headers = [
        "id",
        "started (UTC)",
        "dir",
        "kind",
        "partner",
        "channel",
        "status",
        "records",
        "rejected",
        "bytes",
        "file / endpoint",
        "error / summary",
    ]
    click.echo(render_table(headers, table, max_width=70) if table else "no transfers")


@transfers.command("show")
@click.argument("transfer_id", type=int)
@pass_state
def show(state: CliState, transfer_id: int) -> None:
    """One transfer in full, with the records it rejected and why."""
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            log = TransferLog(session)
            row = log.get(transfer_id)
            if row is None:
                click.echo(f"no transfer {transfer_id}", err=True)
                sys.exit(1)
            click.echo(
                f"transfer {row.id}: {row.direction} {row.kind} with {row.partner} "
                f"over {row.channel}"
            )
            click.echo(f"  status:   {row.status}")
            click.echo(f"  location: {row.location}")
            click.echo(f"  started:  {_when(row.started_at)}  finished: {_when(row.finished_at)}")
            click.echo(
                f"  records:  {row.records}  rejected: {row.rejected}  bytes: {row.bytes or ''}"
            )
            click.echo(f"  sha256:   {row.sha256 or ''}")
            if row.summary:
                click.echo(f"  summary:  {row.summary}")
            if row.error:
                click.echo(f"  error:    {row.error}")
            rejected = log.quarantined(transfer_id)
            if rejected:
                click.echo("")
                click.echo("rejected records:")
                click.echo(
                    render_table(
                        ["line / id", "fields", "reason"],
                        [[q.position, q.fields, q.reason] for q in rejected],
                        max_width=120,
                    )
                )
    finally:
        store.dispose()


@transfers.command("retry")
@click.argument("transfer_id", type=int)
@click.option("--run", "run_now", is_flag=True, help="Also run the step for that partner now.")
@as_of_option
@pass_state
def retry(state: CliState, transfer_id: int, run_now: bool, as_of: object) -> None:
    """Put back in the queue what failed transfer TRANSFER_ID did not move.

    An inbound file set aside goes back into the inbox; a failed handover batch is delivered
    again by the next handover; dead or waiting write-back actions and notices of the partner
    are made due now.
    """
    config, store = state.config(), state.store()
    try:
        result = retry_transfer(
            config, store, transfer_id, utcnow(), run_now=run_now, as_of=as_of_date(as_of)
        )
    except LookupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except RetryRefused as exc:
        click.echo(f"not retried: {exc}", err=True)
        sys.exit(2)
    finally:
        store.dispose()
    click.echo(f"transfer {transfer_id} ({result.kind}, {result.partner}): {result.detail}")
    if result.run is not None:
        click.echo("\n".join(summary_lines(result.run)))
        if result.run.failed:
            sys.exit(1)
