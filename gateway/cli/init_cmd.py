"""`claimbridge init`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.cli.main import as_of_date, as_of_option
from gateway.config import load_config
from gateway.sample.init import init_folder
from gateway.storage.database import create_store
from gateway.storage.migrations import upgrade

__all__ = ["init"]


@click.command()
@click.argument("folder", type=click.Path(path_type=Path), default=".")
@as_of_option
def init(folder: Path, as_of: object) -> None:
    """Create FOLDER with a working example: configuration, sample ERP export, database."""
    try:
        config_path = init_folder(folder, as_of_date(as_of))
    except FileExistsError as exc:
        click.echo(f"error: {exc}; nothing was changed", err=True)
        sys.exit(2)
    store = create_store(load_config(config_path).database_url)
    try:
        upgrade(store.engine)
    finally:
        store.dispose()
    click.echo(f"created {config_path} and the sample ERP export in {folder / 'erp' / 'exports'}")
    click.echo(f"next: cd {folder} && claimbridge run")
