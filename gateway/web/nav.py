"""The console's menu: one entry per page that has one, shown to the roles the page admits.

A page adds its entry in its module (`NAV = [NavEntry(...)]`) and is listed in
gateway.web.pages.PAGES; labels are message ids, marked with `N_` so that extraction finds them
and translated when the menu is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.domain.users import Role

__all__ = ["N_", "NavEntry", "visible"]


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name for "mark only"
    """Mark `message` for extraction into the catalogs; translated later, where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class NavEntry:
    path: str  # where the entry leads, e.g. /ui/cases
    label: str  # a message id
    roles: frozenset[Role]  # who sees it: the roles the page admits
    order: int = 100  # position in the menu, smallest first


def visible(entries: Iterable[NavEntry], role: Role) -> list[NavEntry]:
    return sorted((e for e in entries if role in e.roles), key=lambda e: (e.order, e.path))
