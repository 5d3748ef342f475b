"""`claimbridge worker`: the schedules of the configuration, run until stopped."""

from __future__ import annotations

import click
import uvicorn

from gateway.api.ops_app import create_ops_app
from gateway.cli.main import CliState, pass_state
from gateway.cli.signals import stop_signals
from gateway.ops.alerts.monitor import AlertMonitor
from gateway.ops.jobs.runner import JobRunner
from gateway.ops.jobs.scheduler import OpsScheduler

__all__ = ["worker"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of --port.")
@click.option(
    "--port", type=int, default=None, help="Serve /livez, /readyz and /metrics on this port."
)
@pass_state
def worker(state: CliState, host: str, port: int | None) -> None:
    """Run the configuration's schedules until stopped (SIGTERM or Ctrl-C).

    Any number of workers (and `serve` processes) may run on one database: each slot of each
    job runs exactly once. On SIGTERM the runs in progress finish first; a worker killed
    outright loses its runs' leases, and another process takes them over.
    """
    config = state.config()
    store = state.store()
    runner = JobRunner(config, store)
    scheduler = OpsScheduler(runner, AlertMonitor(config, store))
    with stop_signals() as stop:
        scheduler.start()
        click.echo(f"claimbridge worker {runner.owner}: {len(runner.specs)} job(s)", err=True)
        try:
            if port is not None:
                uvicorn.run(create_ops_app(config, store), host=host, port=port, log_config=None)
            else:
                stop.wait()
        finally:
            scheduler.shutdown(wait=True)
            store.dispose()
