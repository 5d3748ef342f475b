"""Templates: structures read from YAML (mappings, lists, scalars) with `{name}` placeholders,
filled in with the values of one record, one page or one action.

    params: [[["line", "=", "{line}"]], "{offset}", "{limit}"]
    path: "/customers/{debtor_number}/notes"

A string that is exactly one placeholder (`"{line}"`) becomes the value itself, with its type
(an integer stays an integer, a Decimal a Decimal, a mapping a mapping), so that a request can
carry typed values. A placeholder inside longer text is written as text (a Decimal as digits
with a point, a date as YYYY-MM-DD, an instant as ISO 8601 in UTC, nothing for an empty
value). `{{` and `}}` stand for literal braces; braces around anything that is not a name are
left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mappings.errors import MappingError

__all__ = ["Template", "TemplateError", "as_text"]

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

Render = Callable[[Mapping[str, Any]], Any]


class TemplateError(MappingError):
    """A template was rendered without a value it names."""


def as_text(value: Any) -> str:
    """How a value is written inside text: exact digits, ISO dates, UTC instants."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Template:
    """A compiled template; `names` lists the placeholders it uses."""

    __slots__ = ("_render", "names", "where")

    def __init__(self, structure: Any, where: str = "template") -> None:
        self.where = where
        names: set[str] = set()
        self._render = _compile(structure, names, where)
        self.names: frozenset[str] = frozenset(names)

    def render(self, values: Mapping[str, Any]) -> Any:
        """The structure with every placeholder replaced.

        Raises:
            TemplateError: a placeholder has no value in `values` (names it and where).
        """
        try:
            return self._render(values)
        except KeyError as exc:
            raise TemplateError(
                f"{self.where}: no value for placeholder {{{exc.args[0]}}}"
            ) from None


def _compile(node: Any, names: set[str], where: str) -> Render:
    if isinstance(node, str):
        return _compile_text(node, names)
    if isinstance(node, Mapping):
        items = [(str(key), _compile(value, names, where)) for key, value in node.items()]
        return lambda values: {key: render(values) for key, render in items}
    if isinstance(node, list | tuple):
        parts = [_compile(value, names, where) for value in node]
        return lambda values: [render(values) for render in parts]
    constant = node
    return lambda values: constant


def _compile_text(text: str, names: set[str]) -> Render:
    whole = _WHOLE.fullmatch(text)
    if whole:
        name = whole.group(1)
        names.add(name)
        return lambda values: values[name]
    pieces: list[str | tuple[str]] = []  # literal text, or (name,)
    position = 0
    for match in _TOKEN.finditer(text):
        pieces.append(text[position : match.start()])
        piece = match.group(0)
        if piece in ("{{", "}}"):
            pieces.append(piece[0])
        else:
            names.add(match.group(1))
            pieces.append((match.group(1),))
        position = match.end()
    pieces.append(text[position:])
    if all(isinstance(p, str) for p in pieces):
        literal = "".join(p for p in pieces if isinstance(p, str))
        return lambda values: literal
    frozen = tuple(p for p in pieces if p != "")

    def interpolate(values: Mapping[str, Any]) -> str:
        return "".join(p if isinstance(p, str) else as_text(values[p[0]]) for p in frozen)

    return interpolate
