"""Writing XML files from a template, streaming, and publishing them only once they are valid.

The file is written with lxml's `xmlfile` to a local temporary file, one record at a time
(each record of a top-level `cb:each` is built, written and forgotten), so memory does not
grow with the number of records. If the mapping names a schema, the file is then validated
against it, streaming; only a valid file is copied to its destination, atomically (it appears
complete or not at all). A file that does not validate is never published: the error names
the record (its number and label, e.g. the case reference), the element's path and the
schema's complaint.
"""

from __future__ import annotations

import tempfile
from bisect import bisect_right
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.base import FormatError
from connectors.files import FileTransport, Upload
from connectors.files.transport import iter_chunks
from connectors.xml_files.safety import PARSER_OPTIONS
from mappings.xml_layout import XmlLayout
from mappings.xml_template import Record, TemplateEach, TemplateElement, XmlTemplate

__all__ = ["publish_xml", "validate_xml", "write_xml"]

MAX_ERRORS = 20


class _Lines:
    """A binary writer that counts the lines written through it: a record's line tells which
    record a schema error is in."""

    def __init__(self, target: Any) -> None:
        self._write = target.write
        self.lines = 1

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        return int(self._write(data))


class _Written:
    """The top-level records written: their first lines and labels."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.names: list[str] = []
        self.counts: dict[str, int] = {}

    def add(self, line: int, section: str, label: str) -> None:
        number = self.counts[section] = self.counts.get(section, 0) + 1
        self.lines.append(line)
        self.names.append(f"{section} {number}{f' ({label})' if label else ''}")

    def record_at(self, line: int) -> str | None:
        """The record a line is in, as `case 12 (CB-0000012)`."""
        index = bisect_right(self.lines, line)
        return self.names[index - 1] if index else None


def write_xml(out: Any, layout: XmlLayout, file: Record) -> _Written:
    """Write the file for `file` (its values and its sections' records) to the binary writer
    `out`; returns where each top-level record starts."""
    template = layout.template
    if template is None:
        raise FormatError("the mapping has no template to write XML with")
    lines = _Lines(out)
    written = _Written()
    with etree.xmlfile(lines, encoding="utf-8", buffered=False) as xf:
        xf.write_declaration()
        _stream(xf, template, template.root, file.values, file, lines, written, top=True)
    return written


def _stream(
    xf: Any,
    template: XmlTemplate,
    part: TemplateElement,
    values: Mapping[str, Any],
    record: Record,
    lines: _Lines,
    written: _Written,
    top: bool = False,
) -> None:
    """An element that holds records: opened, its content streamed, closed."""
    attributes = template.attributes(part, values)
    with xf.element(part.tag, attributes, nsmap=template.nsmap if top else None):
        for child in part.children:
            if isinstance(child, TemplateEach):
                for inner in record.sections.get(child.section, ()):
                    inner_values = {**values, **inner.values}
                    written.add(lines.lines + 1, child.section, inner.label)
                    for grandchild in child.children:
                        _part(xf, template, grandchild, inner_values, inner, lines, written)
            else:
                _part(xf, template, child, values, record, lines, written)
        xf.write("\n")


def _part(
    xf: Any,
    template: XmlTemplate,
    part: TemplateElement,
    values: Mapping[str, Any],
    record: Record,
    lines: _Lines,
    written: _Written,
) -> None:
    xf.write("\n")
    if part.streams:
        _stream(xf, template, part, values, record, lines, written)
        return
    element = template.build(part, values, record)
    if element is not None:
        xf.write(element)


def validate_xml(path: Path, layout: XmlLayout, written: _Written, label: str) -> None:
    """Validate a written file against the mapping's schema.

    Raises:
        FormatError: the file does not validate; the message names each record and element
            (the first MAX_ERRORS of them).
    """
    schema = layout.schema
    if schema is None:
        return
    try:
        for _, element in etree.iterparse(
            str(path), events=("end",), schema=schema, **PARSER_OPTIONS
        ):
            parent = element.getparent()
            if parent is not None and parent.getparent() is None:
                element.clear()  # a child of the root is complete: its content can go
                while element.getprevious() is not None:
                    del parent[0]
        return
    except etree.XMLSyntaxError:
        pass  # a streaming pass tells only that the file fails; the full pass below says where
    tree = etree.parse(str(path), etree.XMLParser(**PARSER_OPTIONS))
    schema.validate(tree)
    errors = list(schema.error_log)
    problems = [f"{_where(tree, error, written)}: {error.message}" for error in errors[:MAX_ERRORS]]
    more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
    raise FormatError(
        f"{label} does not meet schema {layout.schema_name} and was not published{more}:\n"
        + "\n".join(f"  - {p}" for p in problems)
    )


def _where(tree: Any, error: Any, written: _Written) -> str:
    """`record N (LABEL), element PATH (line L)` for a schema error."""
    found = tree.xpath(error.path) if error.path else []
    element = found[0] if found and isinstance(found[0], etree._Element) else None
    named = f"element {_named_path(element)}, " if element is not None else ""
    place = f"{named}line {error.line}"
    record = written.record_at(error.line)
    return f"{record}, {place}" if record else place


def _named_path(element: Any) -> str:
    """An element's path by local names, with positions among siblings of the same name:
    /Handover/Cases/Case[12]/Debtor/Country."""
    steps = []
    node = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        same = [] if parent is None else [c for c in parent if c.tag == node.tag]
        steps.append(f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name)
        node = parent
    return "/" + "/".join(reversed(steps))


def publish_xml(
    transport: FileTransport, folder: str, name: str, layout: XmlLayout, file: Record
) -> tuple[Upload, int]:
    """Write, validate and publish an XML file; returns the upload and the number of
    top-level records.

    Raises:
        FormatError: the file does not meet its schema (nothing is published).
    """
    with tempfile.TemporaryDirectory(prefix="claimbridge-xml-") as folder_:
        path = Path(folder_) / name
        with path.open("wb") as handle:
            written = write_xml(handle, layout, file)
        validate_xml(path, layout, written, name)
        with transport.publish(folder, name) as (writer, upload), path.open("rb") as handle:
            for chunk in iter_chunks(handle):
                writer.write(chunk)
    return upload, len(written.names)
