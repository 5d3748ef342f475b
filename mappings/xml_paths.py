"""Paths into XML records: where the records are, and where each field's value is.

The record path is a location path from the document's root, `/c:Document/c:Stmt/c:Ntry`, or
from anywhere, `//c:Ntry`, with an optional predicate on its last step
(`//c:Ntry[c:CdtDbtInd='CRDT']`): files are read as a stream, so a record is recognised by its
own name and its ancestors' names.

A field's path is an XPath 1.0 expression relative to the record element (`c:Amt`,
`c:Amt/@Ccy`, `../../c:BookgDt/c:Dt`, `concat(c:A, ' ', c:B)`, `count(c:Ustrd)`). Its value is
the text of the first node it selects (XPath's string value), None when it selects nothing;
a number or a boolean is written as text. `$position` is the record's number among the
records of its parent element (1 for the first transaction of an entry). Paths of the common
form (`../` steps up, child steps down, an optional `[n]` and a final `@attribute`) are
evaluated without the XPath engine; others by lxml's XPath. Elements above the record are
read as far as the file has reached: what comes after the record is not there yet.

A prefix that stands for several namespace URIs (versions of a standard) is bound to the one
the file declares (`bind`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

__all__ = ["FieldPath", "RecordPath", "bind", "compile_field", "compile_record_path"]

# The value of a path, read from a record element and its position among the records of its
# parent (the XPath variable $position): text, or None when nothing is selected.
Reader = Callable[[Any, int], str | None]

_NAME = r"[A-Za-z_][\w.-]*"
_QNAME = rf"(?:{_NAME}:)?{_NAME}"
_STEP = re.compile(rf"^({_QNAME})(\[(.+)\])?$")
# ../ steps up, child steps (each with an optional [n]) down, then @attribute, text() or .
_FAST = re.compile(
    rf"^(?P<up>(?:\.\./)*)(?P<down>(?:{_QNAME}(?:\[[1-9]\d*\])?/)*"
    rf"(?:{_QNAME}(?:\[[1-9]\d*\])?|@{_QNAME}|text\(\)|\.|\.\.))$"
)


@dataclass(frozen=True, slots=True)
class RecordPath:
    """A compiled record path: its steps (prefix, name), whether it starts anywhere (`//`),
    and the predicate of its last step."""

    text: str
    steps: tuple[tuple[str, str], ...]
    anywhere: bool
    predicate: str | None

    def tags(self, binding: Mapping[str, str]) -> tuple[str, ...]:
        """The Clark names (`{uri}name`) of the steps under a binding of the prefixes."""
        return tuple(_clark(prefix, name, binding) for prefix, name in self.steps)


def compile_record_path(text: str) -> RecordPath:
    """Parse a record path.

    Raises:
        ValueError: not a path of child steps from the root or from anywhere.
    """
    anywhere = text.startswith("//")
    if not anywhere and not text.startswith("/"):
        raise ValueError(f"record path {text!r} must start with / (from the root) or //")
    parts = text.lstrip("/").split("/")
    steps: list[tuple[str, str]] = []
    predicate: str | None = None
    for i, part in enumerate(parts):
        match = _STEP.match(part)
        if not part or match is None:
            raise ValueError(
                f"record path {text!r}: step {part!r} is not an element name "
                "(the path is a list of element names, like /c:Document/c:Stmt/c:Ntry)"
            )
        if match.group(2):
            if i != len(parts) - 1:
                raise ValueError(
                    f"record path {text!r}: only the last step may have a predicate "
                    "(a file is read as a stream)"
                )
            predicate = match.group(3)
        prefix, _, name = match.group(1).rpartition(":")
        steps.append((prefix, name))
    return RecordPath(text, tuple(steps), anywhere, predicate)


def bind(namespaces: Mapping[str, Sequence[str]], declared: Sequence[str]) -> dict[str, str]:
    """Each prefix bound to one URI: the first of its URIs that the file declares, or the
    first of them if it declares none."""
    present = set(declared)
    return {
        prefix: next((u for u in uris if u in present), uris[0])
        for prefix, uris in namespaces.items()
    }


def _clark(prefix: str, name: str, binding: Mapping[str, str]) -> str:
    if not prefix:
        return name
    return f"{{{binding[prefix]}}}{name}"


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A field's path, compiled for one binding of the prefixes."""

    text: str
    read: Reader


def compile_field(text: str, binding: Mapping[str, str]) -> FieldPath:
    """Compile a field's path for a binding of the prefixes.

    Raises:
        ValueError: not a valid XPath, an undeclared prefix, an unknown function.
    """
    path = text.strip()
    fast = _FAST.match(path)
    if fast:
        prefixes = {p for p, _ in _qnames(path)}
        unknown = sorted(p for p in prefixes if p and p not in binding)
        if unknown:
            raise ValueError(f"path {text!r}: undeclared namespace prefix {', '.join(unknown)}")
        return FieldPath(text, _fast_reader(fast.group("up"), fast.group("down"), binding))
    try:
        xpath = etree.XPath(path, namespaces=dict(binding), smart_strings=False)
        xpath(etree.Element("probe"), position=1)  # undeclared prefixes, unknown functions
    except etree.XPathError as exc:
        raise ValueError(f"path {text!r} is not a usable XPath: {exc}") from None
    return FieldPath(text, _xpath_reader(xpath))


def _qnames(path: str) -> list[tuple[str, str]]:
    found = []
    for part in re.split(r"/", path):
        part = part.lstrip("@").split("[")[0]
        if part in ("", ".", "..", "text()"):
            continue
        prefix, _, name = part.rpartition(":")
        found.append((prefix, name))
    return found


def _text(element: Any) -> str:
    """An element's text content (XPath's string value)."""
    if len(element):
        return "".join(element.itertext())
    text: str | None = element.text
    return text or ""


def _fast_reader(up: str, down: str, binding: Mapping[str, str]) -> Reader:
    levels = up.count("../")
    attribute: str | None = None
    own_text = False
    steps = down.split("/")
    last = steps[-1]
    if last.startswith("@"):
        prefix, _, name = last[1:].rpartition(":")
        attribute = _clark(prefix, name, binding)
        steps = steps[:-1]
    elif last in ("text()", "."):
        own_text = last == "text()"
        steps = steps[:-1]
    elif last == "..":
        levels += 1
        steps = steps[:-1]
    clark_steps = []
    for step in steps:
        qname, bracket, rest = step.partition("[")
        prefix, _, name = qname.rpartition(":")
        clark_steps.append(_clark(prefix, name, binding) + (bracket + rest))
    child = "/".join(clark_steps) or None

    def read(record: Any, position: int = 1) -> str | None:
        element = record
        for _ in range(levels):
            element = element.getparent()
            if element is None:
                return None
        if child is not None:
            element = element.find(child)
            if element is None:
                return None
        if attribute is not None:
            value: str | None = element.get(attribute)
            return value
        if own_text:
            return element.text  # type: ignore[no-any-return]
        return _text(element)

    return read


def _xpath_reader(xpath: Any) -> Reader:
    def read(record: Any, position: int = 1) -> str | None:
        result = xpath(record, position=position)
        if isinstance(result, list):
            if not result:
                return None
            first = result[0]
            if isinstance(first, str):
                return first
            if isinstance(first, etree._Element):
                return _text(first)
            return str(first)
        if isinstance(result, bool):
            return "true" if result else "false"
        if isinstance(result, float):
            return str(int(result)) if result.is_integer() else repr(result)
        return str(result)

    return read
