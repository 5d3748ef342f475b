"""Who is deciding on the command line: the user whose API token is presented.

A decision (approving a case, confirming a held snapshot...) is recorded with the name of the
person who made it, and the four-eyes rule compares those names. The name must therefore be
proven, never taken from the environment (`LOGNAME`, `USER` and `getpass.getuser()` are
whatever the caller sets). The command line asks for the user's token, as the API does:

- `CLAIMBRIDGE_TOKEN` in the environment (preferred: it does not show in `ps`), or `--token`;
- otherwise, at a terminal, a hidden prompt;
- otherwise the command is refused, saying how to give one.

The token is checked against the stored users (unknown, revoked, disabled → refused) and the
user's role must admit the decision (as on the API: gateway.domain.users' role matrix).

`--local-admin` is the one way to decide without a token: for whoever administers the
installation (they can read the configuration and the database anyway, and could make
themselves a token). It is recorded as `LOCAL_ADMIN`, a name no user can have, and such a
decision never counts as an approval of a case that needs two (gateway.pipeline.cases.decisions
refuses it), so that no unauthenticated name is ever one of the four eyes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import click

from gateway.cli.main import CliState
from gateway.domain.users import Role
from gateway.storage.repositories.users import Users

__all__ = ["LOCAL_ADMIN", "Decider", "authenticate", "identity_options"]

LOCAL_ADMIN = "local administrator (cli)"  # spaces and brackets: no user can be named so

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Decider:
    """Who is deciding: a user proven by their token, or the local administrator."""

    name: str
    authenticated: bool


def identity_options(function: F) -> F:
    """The `--token` and `--local-admin` options of a command that decides."""
    function = click.option(
        "--local-admin",
        is_flag=True,
        help="Decide as the local administrator, without a token (recorded as such; never "
        "counts as one of the two approvals a case may need).",
    )(function)
    return click.option(
        "--token",
        envvar="CLAIMBRIDGE_TOKEN",
        default=None,
        show_envvar=True,
        help="Your user token (cbu_...; prefer the environment variable: an option shows in "
        "the process list). Asked for at a terminal when missing.",
    )(function)


def _refuse(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def authenticate(
    state: CliState, token: str | None, local_admin: bool, roles: frozenset[Role], what: str
) -> Decider:
    """The person deciding, proven by `token` (or the local administrator); exits with status
    1 and a clear message when there is no valid token of a user whose role admits `what`."""
    if local_admin:
        if token:
            _refuse("give either a token or --local-admin, not both")
        return Decider(LOCAL_ADMIN, authenticated=False)
    if not token and sys.stdin.isatty():
        token = click.prompt(
            "your claimbridge token", hide_input=True, err=True, default="", show_default=False
        )
    if not token:
        _refuse(
            f"{what} needs your user token: set CLAIMBRIDGE_TOKEN (or pass --token); "
            "`claimbridge user token NAME` makes one. The local administrator may use "
            "--local-admin instead (see docs/accounting.md)."
        )
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            check = Users(session).authenticate(token.strip())
    finally:
        store.dispose()
    holder = check.holder
    if holder is None:
        _refuse(
            "the token is not a valid claimbridge user token"
            if not check.well_formed
            else f"token {check.token_id} is unknown or revoked, or its user is disabled"
        )
    if holder.role not in roles:
        needed = " or ".join(sorted(r.value for r in roles))
        _refuse(
            f"{what} needs the role {needed}; user {holder.user_name} has the role "
            f"{holder.role.value}"
        )
    return Decider(holder.user_name, authenticated=True)
