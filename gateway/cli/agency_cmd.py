"""`claimbridge agency`: API keys of agencies that call the REST API.

A key is printed once, when it is made; only its SHA-256 is stored. An agency has at most two
active keys, so that a key can be rotated without downtime: make the new one, switch the
agency over, revoke the old one.
"""

from __future__ import annotations

import sys

import click

from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.storage.models import utcnow
from gateway.storage.repositories.agency_keys import (
    SCOPES,
    AgencyKeys,
    IssuedKey,
    KeyLimitReached,
)

__all__ = ["agency"]

_scope_option = click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="What the key may do (repeatable; default: all scopes).",
)


@click.group()
def agency() -> None:
    """API keys of agencies calling the REST API (docs/agency.md)."""


def _known(state: CliState, name: str) -> None:
    agencies = state.config().agencies
    if name not in agencies:
        click.echo(
            f"error: agency {name!r} is not configured (agencies: {', '.join(sorted(agencies))})",
            err=True,
        )
        sys.exit(2)


def _issue(state: CliState, name: str, scopes: tuple[str, ...]) -> IssuedKey:
    _known(state, name)
    store = state.store()
    try:
        with store.unit_of_work() as session:
            return AgencyKeys(session).issue(name, scopes, utcnow())
    except KeyLimitReached as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        store.dispose()


def _show(issued: IssuedKey) -> None:
    click.echo(f"key id:  {issued.key_id}")
    click.echo(f"scopes:  {' '.join(issued.scopes)}")
    click.echo(f"API key: {issued.token}")
    click.echo("Give the key to the agency now: it is not stored and cannot be shown again.")


@agency.command("add")
@click.argument("name")
@_scope_option
@pass_state
def add(state: CliState, name: str, scopes: tuple[str, ...]) -> None:
    """Give a configured agency access to the API: prints its first key, once."""
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            existing = AgencyKeys(session).active(name)
    finally:
        store.dispose()
    if existing:
        click.echo(
            f"error: agency {name} already has API access ({len(existing)} active key(s)); "
            f"make another key with `claimbridge agency key {name}`",
            err=True,
        )
        sys.exit(1)
    _show(_issue(state, name, scopes))


@agency.command("key")
@click.argument("name")
@_scope_option
@pass_state
def key(state: CliState, name: str, scopes: tuple[str, ...]) -> None:
    """Make another key for an agency (rotation: at most two active); printed once."""
    _show(_issue(state, name, scopes))


@agency.command("keys")
@click.argument("name", required=False)
@pass_state
def keys(state: CliState, name: str | None) -> None:
    """List API keys (all agencies, or one); never their secret."""
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            rows = [
                [
                    r.agency,
                    r.key_id,
                    r.scopes,
                    r.created_at.strftime("%Y-%m-%d %H:%M"),
                    r.last_used_at.strftime("%Y-%m-%d %H:%M") if r.last_used_at else "never",
                    r.revoked_at.strftime("%Y-%m-%d %H:%M") if r.revoked_at else "active",
                ]
                for r in AgencyKeys(session).all(name)
            ]
    finally:
        store.dispose()
    if not rows:
        click.echo("no API keys" + (f" for agency {name}" if name else ""))
        return
    click.echo(
        render_table(["agency", "key id", "scopes", "created", "last used", "revoked"], rows)
    )


@agency.command("revoke")
@click.argument("name")
@click.argument("key_id")
@pass_state
def revoke(state: CliState, name: str, key_id: str) -> None:
    """Revoke an agency's key: requests with it are refused (401) from now on."""
    store = state.store()
    try:
        with store.unit_of_work() as session:
            done = AgencyKeys(session).revoke(name, key_id, utcnow())
    finally:
        store.dispose()
    if not done:
        click.echo(f"error: agency {name} has no active key {key_id}", err=True)
        sys.exit(1)
    click.echo(f"key {key_id} of agency {name} revoked")
