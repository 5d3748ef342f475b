"""Commands other packages add to `claimbridge`, found by entry point.

A package registers a click command under the entry-point group `claimbridge.commands`
(`claimbridge demo` comes this way from the simulators package, which production code never
imports). A command that cannot be loaded is left out with a warning; the others work.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

import click

__all__ = ["COMMANDS_GROUP", "plugin_commands"]

COMMANDS_GROUP = "claimbridge.commands"

log = logging.getLogger(__name__)


def plugin_commands() -> list[click.Command]:
    """The commands registered under `claimbridge.commands`, in name order."""
    found: list[click.Command] = []
    for point in sorted(entry_points(group=COMMANDS_GROUP), key=lambda p: p.name):
        try:
            command = point.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the CLI
            log.warning("command %s (%s) cannot be loaded: %s", point.name, point.value, exc)
            continue
        if not isinstance(command, click.Command):
            log.warning("command %s (%s) is not a click command", point.name, point.value)
            continue
        found.append(command)
    return found
