"""`claimbridge notify`: send the notification e-mails now, and set who receives what."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from gateway.cli.main import CliState, as_of_date, as_of_option, pass_state
from gateway.config.notifications import NOTIFICATION_KINDS
from gateway.notifications.step import notify
from gateway.pipeline.context import RunContext
from gateway.storage.models import NotificationPreferenceRow, UserRow, utcnow

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
    unknown = [k for k in chosen or [] if k not in NOTIFICATION_KINDS]
    if unknown:
        click.echo(
            f"error: unknown kinds {', '.join(unknown)} (kinds: {', '.join(NOTIFICATION_KINDS)})",
            err=True,
        )
        sys.exit(2)
    if email is not None and ("@" not in email or " " in email):
        click.echo(f"error: {email!r} is not an e-mail address", err=True)
        sys.exit(2)
    store = state.store()
    try:
        with store.unit_of_work() as session:
            user = session.scalars(select(UserRow).where(UserRow.name == name)).first()
            if user is None:
                click.echo(f"error: no user {name!r}", err=True)
                sys.exit(2)
            row = session.scalars(
                select(NotificationPreferenceRow).where(
                    NotificationPreferenceRow.user_id == user.id
                )
            ).first()
            if row is None:
                if email is None:
                    if chosen is None and digest is None:
                        click.echo(f"{name}: no e-mail notifications")
                        return
                    click.echo("error: give --email the first time", err=True)
                    sys.exit(2)
                row = NotificationPreferenceRow(
                    user_id=user.id, email=email, kinds="", digest=True, updated_at=utcnow()
                )
                session.add(row)
            if email is not None:
                row.email = email
            if chosen is not None:
                row.kinds = ",".join(chosen)
            if digest is not None:
                row.digest = digest
            row.updated_at = utcnow()
            shown = row.kinds.replace(",", ", ") or "nothing"
            click.echo(
                f"{name} <{row.email}>: {shown}; daily digest {'on' if row.digest else 'off'}"
            )
    finally:
        store.dispose()
