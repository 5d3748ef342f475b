"""`claimbridge jobs`: the scheduled jobs, their history, and running one now."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click

from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.ops.jobs.leases import JobBusy
from gateway.ops.jobs.overview import job_overview
from gateway.ops.jobs.runner import JobRunner, UnknownJob
from gateway.pipeline import summary_lines
from gateway.storage.models import utcnow
from gateway.storage.repositories.jobs import JobRuns

__all__ = ["jobs"]

EXIT_BUSY = 3


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@click.group(invoke_without_command=True)
@click.pass_context
def jobs(ctx: click.Context) -> None:
    """The scheduled jobs: schedule, next slot (UTC), the run in progress, the last run."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    config, store = state.config(), state.store()
    try:
        runner = JobRunner(config, store)
        rows = [
            [
                o.spec.name,
                o.spec.kind + (f" {o.spec.target}" if o.spec.target else ""),
                f"{o.spec.cron} ({o.spec.timezone})",
                _when(o.next_slot),
                f"run {o.lease.run_id} on {o.lease.owner}" if o.running and o.lease else "",
                f"{o.last.status} {_when(o.last.slot)}" if o.last else "never",
                (o.last.error or "")[:60] if o.last else "",
            ]
            for o in job_overview(runner.specs, store, utcnow())
        ]
    finally:
        store.dispose()
    headers = ["job", "runs", "schedule", "next slot", "running", "last", "last error"]
    click.echo(render_table(headers, rows) if rows else "no schedules in the configuration")


@jobs.command("run")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the run's figures as JSON.")
@pass_state
def run_now(state: CliState, name: str, as_json: bool) -> None:
    """Run job NAME now, in this process (never alongside another run of it).

    Exits with 1 if the run failed, 3 if the job is running elsewhere.
    """
    config, store = state.config(), state.store()
    try:
        runner = JobRunner(config, store)
        try:
            finished = runner.run_now(name)
        except UnknownJob as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except JobBusy as exc:
            click.echo(f"not run: {exc}", err=True)
            sys.exit(EXIT_BUSY)
    finally:
        store.dispose()
    outcome = finished.outcome
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": finished.claimed.run_id,
                    "status": finished.status,
                    "counts": dict(outcome.counts) if outcome else {},
                    "error": finished.error,
                },
                indent=2,
            )
        )
    else:
        click.echo(f"run {finished.claimed.run_id} of {name}: {finished.status}")
        if outcome is not None and outcome.summary is not None:
            click.echo("\n".join(summary_lines(outcome.summary)))
        elif outcome is not None:
            click.echo("  " + ", ".join(f"{k} {v}" for k, v in outcome.counts.items()))
        if finished.error:
            click.echo(f"  error: {finished.error}")
    if finished.status != "ok":
        sys.exit(1)


@jobs.command("history")
@click.argument("name", required=False)
@click.option("--limit", default=30, show_default=True)
@pass_state
def history(state: CliState, name: str | None, limit: int) -> None:
    """Runs and missed slots, newest first (of job NAME, or of all)."""
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            rows = [
                [
                    r.id,
                    r.job,
                    _when(r.slot),
                    r.trigger,
                    r.attempt,
                    r.status,
                    _when(r.started_at),
                    _when(r.finished_at),
                    r.owner,
                    r.error[:70],
                ]
                for r in JobRuns(session).history(name, limit)
            ]
    finally:
        store.dispose()
    headers = ["run", "job", "slot", "trigger", "try", "status", "started", "ended", "by", "error"]
    click.echo(render_table(headers, rows) if rows else "no runs yet")
