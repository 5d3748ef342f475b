"""`claimbridge check NAME`: a connection test of a source or an agency."""

from __future__ import annotations

import sys

import click

from connectors.base import CheckResult, ConnectorError
from gateway.cli.main import CliState, pass_state

__all__ = ["check"]


@click.command()
@click.argument("name")
@pass_state
def check(state: CliState, name: str) -> None:
    """Test the connection and the folders of source or agency NAME.

    Says what works and, precisely, what does not; exits with status 1 if anything fails.
    """
    config = state.config()
    results: list[tuple[str, CheckResult]] = []

    def run(label: str, opener: object) -> None:
        try:
            connector = opener()  # type: ignore[operator]
        except ConnectorError as exc:
            results.append((label, CheckResult("setup", False, str(exc))))
            return
        if connector is None:
            return
        try:
            results.extend((label, r) for r in connector.check())
        except ConnectorError as exc:
            results.append((label, CheckResult("connection", False, str(exc))))
        finally:
            close = getattr(connector, "close", None)
            if close:
                close()

    if name in config.sources:
        run(f"source {name}", lambda: config.open_source(name))
        run(f"write-back {name}", lambda: config.open_writeback(name))
    elif name in config.agencies:
        run(f"agency {name}", lambda: config.open_agency(name))
    else:
        known = ", ".join([*config.sources, *config.agencies])
        click.echo(f"error: {name!r} is neither a source nor an agency (known: {known})", err=True)
        sys.exit(2)
    for label, result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(
            f"{mark} {label}: {result.what}" + (f": {result.detail}" if result.detail else "")
        )
    if not all(result.ok for _, result in results):
        sys.exit(1)
