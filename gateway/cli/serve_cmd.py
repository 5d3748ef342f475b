"""`claimbridge serve`: the HTTP API."""

from __future__ import annotations

import click
import uvicorn

from gateway.api import create_app
from gateway.cli.main import CliState, pass_state

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int)
@pass_state
def serve(state: CliState, host: str, port: int) -> None:
    """Serve the API (agencies, accounting, IT) until stopped."""
    config = state.config()
    store = state.store()
    try:
        uvicorn.run(create_app(config, store), host=host, port=port, log_config=None)
    finally:
        store.dispose()
