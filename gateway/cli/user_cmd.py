"""`claimbridge user`: the people who use the accounting and IT endpoints, and their tokens.

A token is printed once, alone on stdout (the explanation goes to stderr), so that it can be
captured by a script (`TOKEN=$(claimbridge user token alice)`) and is never shown again: only
its SHA-256 is stored. `list` never shows secrets, only the public token ids.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.domain.passwords import PasswordRejected, check_password_rules, hash_password
from gateway.domain.users import IssuedToken, Role
from gateway.storage.models import UserTokenRow, utcnow
from gateway.storage.repositories.users import MAX_ACTIVE_TOKENS, UserError, Users
from gateway.storage.repositories.web_sessions import WebSessions

__all__ = ["user"]

T = TypeVar("T")


def _in_store(state: CliState, work: Callable[[Session], T]) -> T:
    """Run `work` in one unit of work; a UserError ends the command with status 1."""
    store = state.store()
    try:
        with store.unit_of_work() as session:
            return work(session)
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        store.dispose()


def _show_token(name: str, issued: IssuedToken) -> None:
    click.echo(
        f"token {issued.token_id} of {name}; it is shown this once, keep it safe "
        "(send it as `Authorization: Bearer <token>`):",
        err=True,
    )
    click.echo(issued.value)


@click.group()
def user() -> None:
    """Users of the accounting and IT endpoints (roles: accounting, integrator, it)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="accounting: cases and decisions; integrator: everything; it: transfers, jobs, "
    "retries, and reading cases.",
)
@pass_state
def add(state: CliState, name: str, role: str) -> None:
    """Add a user and print their first token."""

    def work(session: Session) -> IssuedToken:
        users = Users(session)
        now = utcnow()
        return users.new_token(users.add(name, Role(role), now), now)

    issued = _in_store(state, work)
    click.echo(f"user {name} added with the role {role}", err=True)
    _show_token(name, issued)


@user.command("token")
@click.argument("name")
@pass_state
def token(state: CliState, name: str) -> None:
    """Make a new token for a user (at most two active: rotate, then revoke the old one)."""

    def work(session: Session) -> IssuedToken:
        users = Users(session)
        return users.new_token(users.get(name), utcnow())

    _show_token(name, _in_store(state, work))


@user.command("list")
@pass_state
def list_users(state: CliState) -> None:
    """Users, their roles and their tokens (ids only: secrets are never shown)."""

    def work(session: Session) -> list[list[object]]:
        users = Users(session)
        rows: list[list[object]] = []
        for found in users.all():
            tokens: list[UserTokenRow | None] = [*users.tokens(found)] or [None]
            for t in tokens:
                rows.append(
                    [
                        found.name,
                        found.role,
                        "yes" if found.active else "disabled",
                        found.created_at.strftime("%Y-%m-%d"),
                        t.token_id if t else "",
                        t.created_at.strftime("%Y-%m-%d %H:%M") if t else "",
                        t.last_used_at.strftime("%Y-%m-%d %H:%M") if t and t.last_used_at else "",
                        t.revoked_at.strftime("%Y-%m-%d %H:%M") if t and t.revoked_at else "",
                    ]
                )
        return rows

    rows = _in_store(state, work)
    headers = ["user", "role", "active", "created", "token", "made", "last used", "revoked"]
    click.echo(render_table(headers, rows) if rows else "no users")


@user.command("revoke")
@click.argument("name")
@click.argument("token_id")
@pass_state
def revoke(state: CliState, name: str, token_id: str) -> None:
    """Revoke one of a user's tokens (it stops working at once)."""

    def work(session: Session) -> int:
        users = Users(session)
        found = users.get(name)
        users.revoke(found, token_id, utcnow())
        return len(users.active_tokens(found))

    left = _in_store(state, work)
    click.echo(
        f"token {token_id} of {name} revoked; {left} of {MAX_ACTIVE_TOKENS} active tokens left"
    )


@user.command("disable")
@click.argument("name")
@pass_state
def disable(state: CliState, name: str) -> None:
    """Disable a user: their tokens stop working at once. Their name stays in the history of
    the cases they decided on."""

    def work(session: Session) -> None:
        users = Users(session)
        found = users.get(name)
        users.disable(found, utcnow())
        WebSessions(session).end_all(found, utcnow())

    _in_store(state, work)
    click.echo(f"user {name} disabled: their tokens no longer work")


@user.command("password")
@click.argument("name")
@click.option(
    "--stdin",
    "from_stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts) instead of "
    "asking for it twice.",
)
@pass_state
def password(state: CliState, name: str, from_stdin: bool) -> None:
    """Set a user's password for the web console (/ui); their open sessions end.

    At least 12 characters, not containing the user name. It is kept as a scrypt hash, never
    as itself."""
    if from_stdin:
        chosen = sys.stdin.readline().rstrip("\r\n")
    else:
        chosen = click.prompt(
            f"new password for {name}", hide_input=True, confirmation_prompt=True, err=True
        )
    try:
        check_password_rules(chosen, name)
    except PasswordRejected as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    digest = hash_password(chosen)

    def work(session: Session) -> int:
        found = Users(session).get(name)
        if not found.active:
            raise UserError(f"user {name!r} is disabled")
        return WebSessions(session).set_password(found, digest, utcnow())

    ended = _in_store(state, work)
    click.echo(
        f"password of {name} set; they sign in at /ui"
        + (f" ({ended} open session(s) ended)" if ended else "")
    )
