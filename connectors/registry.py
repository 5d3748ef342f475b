"""Finding connectors by entry point, surviving broken ones.

Connectors register under three entry-point groups: `claimbridge.sources`,
`claimbridge.writebacks` and `claimbridge.agency_channels`. A connector that cannot be loaded
(a missing optional dependency) is listed as unavailable with the reason, and everything else
works. A connector that works in several ways, some of which need something missing (SAP's
pyrfc client beside its simulator), says so with a static `variants()`: (variant, why it is
unavailable or ''), listed one per line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

__all__ = ["ConnectorEntry", "ConnectorRole", "connectors", "find_connector"]


class ConnectorRole(enum.StrEnum):
    SOURCE = "claimbridge.sources"
    WRITEBACK = "claimbridge.writebacks"
    AGENCY_CHANNEL = "claimbridge.agency_channels"

    @property
    def label(self) -> str:
        return {
            ConnectorRole.SOURCE: "source",
            ConnectorRole.WRITEBACK: "write-back",
            ConnectorRole.AGENCY_CHANNEL: "agency channel",
        }[self]


@dataclass(frozen=True, slots=True)
class ConnectorEntry:
    """A registered connector: its class, or why it cannot be used."""

    name: str
    role: ConnectorRole
    target: str
    cls: Any = None
    unavailable: str = ""
    variants: tuple[tuple[str, str], ...] = ()

    @property
    def available(self) -> bool:
        return self.cls is not None


@cache
def connectors(role: ConnectorRole) -> dict[str, ConnectorEntry]:
    """Every connector registered for `role`, loaded once."""
    found: dict[str, ConnectorEntry] = {}
    for point in entry_points(group=role.value):
        try:
            cls = point.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
            reason = f"{type(exc).__name__}: {exc}"
            found[point.name] = ConnectorEntry(point.name, role, point.value, None, reason)
            continue
        if not hasattr(cls, "Options"):
            reason = f"{point.value} has no Options model"
            found[point.name] = ConnectorEntry(point.name, role, point.value, None, reason)
            continue
        try:
            variants = tuple(getattr(cls, "variants", tuple)())
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
            variants = (("", f"{type(exc).__name__}: {exc}"),)
        found[point.name] = ConnectorEntry(point.name, role, point.value, cls, "", variants)
    return found


def find_connector(role: ConnectorRole, name: str) -> ConnectorEntry | None:
    return connectors(role).get(name)
