"""The `claimbridge` command: the group, its shared options, and what commands share."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click

from gateway import __version__
from gateway.config import Config, ConfigError, load_config
from gateway.logs import configure_logging
from gateway.storage.database import Store, create_store
from gateway.storage.migrations import NotAtHead, ensure_at_head

__all__ = ["CliState", "as_of_option", "main", "pass_state"]


@dataclass
class CliState:
    config_path: Path
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        """The configuration; exits with status 2 and every problem listed if it is invalid."""
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                click.echo(str(exc), err=True)
                sys.exit(2)
        return self._config

    def store(self, *, migrated: bool = True) -> Store:
        store = create_store(self.config().database_url)
        if migrated:
            try:
                ensure_at_head(store.engine)
            except NotAtHead as exc:
                store.dispose()
                click.echo(f"error: {exc}", err=True)
                sys.exit(2)
        return store


pass_state = click.make_pass_decorator(CliState)

as_of_option = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Business date of the run (YYYY-MM-DD); default: today.",
)


def as_of_date(value: object) -> date:
    # The business date is the local calendar date of the machine, on purpose.
    return value.date() if value is not None else date.today()  # type: ignore[attr-defined]  # noqa: DTZ011


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "-c",
    "config_path",
    envvar="CLAIMBRIDGE_CONFIG",
    default="claimbridge.yaml",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Configuration file (or CLAIMBRIDGE_CONFIG).",
)
@click.option(
    "--log-level", default="WARNING", show_default=True, help="DEBUG, INFO, WARNING, ERROR."
)
@click.option("--log-json", is_flag=True, help="Log JSON lines (for log shippers).")
@click.version_option(__version__, prog_name="claimbridge")
@click.pass_context
def main(ctx: click.Context, config_path: Path, log_level: str, log_json: bool) -> None:
    """claimbridge: open items from the ERP to collection agencies, and every update back."""
    configure_logging(log_level, json=log_json)
    ctx.obj = CliState(config_path)
