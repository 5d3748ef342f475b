"""Finding things in an answer: dotted paths (`data.items`, `0`, `meta.next_cursor`), and
records flattened to dotted fields for the mapping (`party.name`, `dunnings.0.state`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MISSING", "ResponsePath", "flatten"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class ResponsePath:
    """A dotted path into a JSON value: keys of objects, indexes of lists (`result.0.id`).
    The empty path is the value itself."""

    __slots__ = ("parts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts: tuple[str, ...] = tuple(text.split(".")) if text else ()

    def find(self, value: Any) -> Any:
        """The part of `value` at this path, or MISSING."""
        for part in self.parts:
            if isinstance(value, Mapping):
                if part in value:
                    value = value[part]
                elif part + "." in value:  # Tryton answers `party.name` under "party."
                    value = value[part + "."]
                else:
                    return MISSING
            elif isinstance(value, list):
                try:
                    value = value[int(part)]
                except (ValueError, IndexError):
                    return MISSING
            else:
                return MISSING
        return value

    def __str__(self) -> str:
        return self.text or "(the whole answer)"


def flatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record with nested objects and lists as dotted fields.

    `{"party": 7, "party.": {"name": "Alpha"}, "lines": [{"amount": 5}]}` (Tryton writes
    related fields under `name.`) becomes `{"party": 7, "party.name": "Alpha",
    "lines.0.amount": 5}`. An empty list or object stays as it is under its own name.
    """
    flat: dict[str, Any] = {}
    if record:
        _walk(record, "", flat)
    return flat


def _walk(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            name = str(key)
            if name.endswith("."):
                name = name[:-1]
            _walk(item, f"{prefix}{name}.", out)
    elif isinstance(value, list) and value and prefix:
        for index, item in enumerate(value):
            _walk(item, f"{prefix}{index}.", out)
    else:
        out[prefix[:-1]] = value
