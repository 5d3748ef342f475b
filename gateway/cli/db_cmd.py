"""`claimbridge db`: the database schema."""

from __future__ import annotations

import click

from gateway.cli.main import CliState, pass_state
from gateway.storage.migrations import current_revision, head_revision, upgrade

__all__ = ["db"]


@click.group()
def db() -> None:
    """The database schema (migrations)."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: CliState) -> None:
    """Create or upgrade the schema to the newest revision."""
    store = state.store(migrated=False)
    try:
        before = current_revision(store.engine)
        upgrade(store.engine)
        after = current_revision(store.engine)
    finally:
        store.dispose()
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")


@db.command("current")
@pass_state
def db_current(state: CliState) -> None:
    """Show the schema revision of the database and the newest one."""
    store = state.store(migrated=False)
    try:
        click.echo(f"database: {current_revision(store.engine) or 'empty'}")
        click.echo(f"newest:   {head_revision(store.engine)}")
    finally:
        store.dispose()
