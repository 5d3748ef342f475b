"""Parsing partners' XML safely: no DTD, no entities, no network.

Files from partners (bank statements, agency reports, ERP exports) never need a DTD. A file
that declares one is refused before anything of it is parsed: that rules out external
entities (XXE: reading local files or URLs) and entity expansion bombs (billion laughs) at
once. The parser is set up so that even a DTD met later would neither be loaded nor expanded,
and no network access is ever made.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

from connectors.base import FormatError

__all__ = ["PARSER_OPTIONS", "refuse_dtd"]

# For lxml's parsers and iterparse: entities are left as they are (never expanded), no DTD is
# loaded, nothing is fetched from the network, and libxml2's limits on huge text stay on.
PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}

_HEAD = 1 << 16


def refuse_dtd(path: Path, label: str) -> None:
    """Refuse a file whose prolog declares a DTD (`<!DOCTYPE`), before it is parsed.

    Raises:
        FormatError: the file declares a DTD (names the file and why it is refused).
    """
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if _declares_dtd(head):
        raise FormatError(
            f"{label}: the file declares a DTD (<!DOCTYPE ...>); XML files with a DTD are "
            "refused, because its entities could read local files or the network (XXE) or "
            "expand without limit (billion laughs)"
        )


def _declares_dtd(head: bytes) -> bool:
    text = _decoded(head)
    position = 0
    length = len(text)
    while position < length:
        while position < length and text[position] in " \t\r\n\ufeff":
            position += 1
        if text.startswith("<?", position):
            end = text.find("?>", position)
        elif text.startswith("<!--", position):
            end = text.find("-->", position)
        else:
            return text.startswith("<!DOCTYPE", position)
        if end < 0:
            return "<!DOCTYPE" in text[position:]
        position = end + 2
    return False


def _decoded(head: bytes) -> str:
    """The start of the file as text, well enough to find markup in the prolog."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    if head.startswith(b"<\x00?\x00"):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(b"\x00<\x00?"):
        return head.decode("utf-16-be", errors="replace")
    return head.decode("latin-1")
