"""`claimbridge notify`: send the notification e-mails now, and set who receives what."""

from __future__ import annotations

import sys

import click

from gateway.cli.main import CliState, as_of_date, as_of_option, pass_state
from gateway.config.notifications import NOTIFICATION_KINDS
from gateway.notifications.preferences import (
    PreferencesRefused,
    preferences_of,
    set_preferences,
)
from gateway.notifications.step import notify
from gateway.pipeline.context import RunContext
from gateway.storage.models import utcnow

__all__ = ["notify_group"]


@click.group("notify")
def notify_group() -> None:
    """E-mail notifications to sales reps and accounting (docs/kpis.md, "Notifications")."""


@notify_group.command("run")
@as_of_option
@pass_state
def run(state: CliState, as_of: object) -> None:
    """Write the e-mails of what is new and send every waiting one (the cycle's notify step)."""
    config = state.config()
    if config.model.notifications is None:
        click.echo("error: no `notifications:` section in the configuration", err=True)
        sys.exit(2)
    store = state.store()
    try:
        result = notify(RunContext(config, store, as_of_date(as_of)))
    finally:
        store.dispose()
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.produced.by_kind.items()))
    click.echo(f"{result.produced.messages} e-mails written{f' ({kinds})' if kinds else ''}")
    click.echo(f"{result.sent.sent} sent, {result.sent.failed} failed")
    if result.sent.failed:
        click.echo(f"last error: {result.sent.error} (tried again next run)", err=True)
        sys.exit(1)


@notify_group.command("prefs")
@click.argument("name")
@click.option("--email", help="Where the user's e-mails go.")
@click.option(
    "--kinds",
    help=f"Comma-separated, of: {', '.join(NOTIFICATION_KINDS)}; empty for none.",
)
@click.option("--digest/--no-digest", default=None, help="The daily digest.")
@pass_state
def prefs(
    state: CliState, name: str, email: str | None, kinds: str | None, digest: bool | None
) -> None:
    """Show or set what user NAME receives by e-mail."""
    chosen = None if kinds is None else [k.strip() for k in kinds.split(",") if k.strip()]
    store = state.store()
    try:
        with store.unit_of_work() as session:
            if email is None and chosen is None and digest is None:
                found = preferences_of(session, name)
            else:
                found = set_preferences(
                    session, name, utcnow(), email=email, kinds=chosen, digest=digest
                )
    except PreferencesRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        store.dispose()
    if found is None:
        click.echo(f"{name}: no e-mail notifications")
        return
    shown = ", ".join(found.kinds) or "nothing"
    click.echo(f"{name} <{found.email}>: {shown}; daily digest {'on' if found.digest else 'off'}")
