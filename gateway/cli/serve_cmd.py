"""`claimbridge serve`: the HTTP API, and the schedules of the configuration."""

from __future__ import annotations

import click
import uvicorn

from gateway.api import create_app
from gateway.cli.main import CliState, pass_state
from gateway.cli.signals import stop_signals
from gateway.ops.alerts import AlertMonitor
from gateway.ops.runner import JobRunner
from gateway.ops.scheduler import OpsScheduler

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also run the configuration's schedules (safe on any number of processes).",
)
@pass_state
def serve(state: CliState, host: str, port: int, scheduler: bool) -> None:
    """Serve the API (agencies, accounting, IT) until stopped, and run the schedules."""
    config = state.config()
    store = state.store()
    app = create_app(config, store)
    ops: OpsScheduler | None = None
    with stop_signals():
        try:
            if scheduler:
                runner = JobRunner(config, store)
                app.state.job_runner = runner  # manual runs from the API share its owner id
                ops = OpsScheduler(runner, AlertMonitor(config, store))
                ops.start()
            _announce(host, port)
            uvicorn.run(app, host=host, port=port, log_config=None)
        finally:
            if ops is not None:
                ops.shutdown(wait=True)
            store.dispose()


def _announce(host: str, port: int) -> None:
    """Say where to go (uvicorn's own line comes later, and only at INFO)."""
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else shown}:{port}"  # noqa: S104
    click.echo(
        f"claimbridge listens on {host}:{port}\n"
        f"  API          {base}/v1\n"
        f"  API docs     {base}/docs  (ReDoc: {base}/redoc)\n"
        f"  web console  {base}/ui",
        err=True,
    )
