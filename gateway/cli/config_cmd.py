"""`claimbridge config check` and `claimbridge connectors`."""

from __future__ import annotations

import click

from connectors.registry import ConnectorRole, connectors
from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from mappings import list_presets

__all__ = ["config", "connectors_command"]


@click.group()
def config() -> None:
    """The configuration file."""


@config.command("check")
@pass_state
def config_check(state: CliState) -> None:
    """Validate the configuration: keys, connectors, options, mappings, references.

    Prints every problem with its line and key, and exits with status 2 if there is one.
    """
    loaded = state.config()
    click.echo(f"{loaded.path}: valid")
    for name, source in loaded.sources.items():
        wb = source.writeback
        click.echo(
            f"  source {name}: {source.connector.name} with mapping {source.mapping.name}"
            + (f"; write-back {wb.connector.name}" if wb else "; no write-back")
        )
    for name, agency in loaded.agencies.items():
        mappings = ", ".join(m.name for m in agency.mappings.values())
        click.echo(f"  agency {name}: {agency.connector.name} ({mappings})")
        api = agency.config.api
        if api.signing_secret is not None and api.accept_v1_signatures:
            click.echo(
                f"  agency {name}: still accepts the deprecated X-Signature v1 (body only); "
                "once it signs with v2, set api.accept_v1_signatures: false (docs/agency.md)"
            )
    for name in loaded.policies:
        compiled = loaded.policy(name)
        click.echo(
            f"  policy {name}: to {', '.join(compiled.config.agencies())}, "
            f"{compiled.config.approval.mode} approval, {len(compiled.config.criteria)} criteria, "
            f"version {compiled.version.short}"
        )
    for name, schedule in loaded.model.schedules.items():
        click.echo(f"  schedule {name}: {schedule.job} at '{schedule.cron}' ({schedule.timezone})")
    security = loaded.model.security
    limits = security.failed_logins
    click.echo(
        "  security: /metrics "
        + ("needs the metrics token" if security.metrics_token else "is open (no metrics_token)")
        + f"; failed sign-ins refused past {limits.per_user} per user name and "
        f"{limits.per_address} per address in {limits.window.total_seconds():g} s"
    )


@click.command("connectors")
def connectors_command() -> None:
    """List installed connectors (and why any is unavailable) and mapping presets."""
    rows = []
    for role in ConnectorRole:
        for name, entry in sorted(connectors(role).items()):
            if not entry.available or not entry.variants:
                rows.append(
                    [role.label, name, "yes" if entry.available else "no", entry.unavailable]
                )
                continue
            for variant, why_not in entry.variants:
                label = f"{name} ({variant})" if variant else name
                rows.append([role.label, label, "no" if why_not else "yes", why_not])
    click.echo(render_table(["role", "name", "available", "why not"], rows, max_width=90))
    click.echo("")
    click.echo("mapping presets: " + ", ".join(f"preset:{p}" for p in list_presets()))
