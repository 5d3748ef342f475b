"""Streaming an XML file as raw records, with memory that stays flat whatever the file's size.

The file is parsed by lxml's iterparse, which hands over each record element once it is
complete; the record's values (one per path the mapping reads, as text) are taken, then the
element is cleared and the records and containers before it are dropped from the tree. What
encloses the record (a statement's account, an entry's amount) stays readable until its own
end, so that fields may reach up to it.

A record's position is `record N (line L)`: its number in the file and the line of its start
tag. The whole file is refused (FormatError) when it declares a DTD, is not well-formed XML,
or its stated control totals do not match what was read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.base import FormatError, RawRecord
from connectors.xml_files.safety import PARSER_OPTIONS, refuse_dtd
from mappings.xml_layout import XmlLayout
from mappings.xml_paths import RecordPath, bind, compile_field

__all__ = ["read_xml"]


def read_xml(
    path: Path, layout: XmlLayout, columns: Sequence[str], label: str
) -> tuple[Sequence[str], Iterator[RawRecord]]:
    """Open an XML file: the columns (the paths the mapping reads) and an iterator over its
    records, each a list of values aligned with the columns.

    Raises:
        FormatError: the file declares a DTD; while iterating: it is not well-formed, or its
            control totals do not match.
    """
    if layout.record_path is None:
        raise FormatError(f"{label}: the mapping says nothing of where the records are")
    refuse_dtd(path, label)
    return list(columns), _records(path, layout, layout.record_path, list(columns), label)


class _Bound:
    """The paths compiled for the namespace URIs a file uses."""

    def __init__(self, layout: XmlLayout, record: RecordPath, columns: list[str], element: Any):
        binding = bind(layout.namespaces, list(element.nsmap.values()))
        self.tags = record.tags(binding)
        self.readers = [compile_field(c, binding).read for c in columns]
        self.predicate: Callable[[Any], Any] | None = None
        if record.predicate is not None:
            test = etree.XPath(f"boolean({record.predicate})", namespaces=binding)
            self.predicate = test
        control = layout.control
        self.amount: Callable[[Any, int], str | None] | None = None
        self.currency: Callable[[Any, int], str | None] | None = None
        if control is not None and control.amount and control.currency:
            self.amount = compile_field(control.amount, binding).read
            self.currency = compile_field(control.currency, binding).read
        self.binding = binding


def _record_tags(layout: XmlLayout, record: RecordPath) -> list[str]:
    prefix, name = record.steps[-1]
    if not prefix:
        return [name]
    return [f"{{{uri}}}{name}" for uri in layout.namespaces[prefix]]


def _on_path(element: Any, tags: Sequence[str], anywhere: bool) -> bool:
    """Whether the element's ancestors are those of the record path."""
    node = element.getparent()
    for tag in reversed(tags[:-1]):
        if node is None or node.tag != tag:
            return False
        node = node.getparent()
    return anywhere or node is None


def _release(element: Any) -> None:
    """Clear a record and drop the records and containers of the same name before it (and
    before each of its ancestors): what is left is the record's enclosing elements and the
    few headers beside them."""
    element.clear()
    node = element
    while node is not None:
        parent = node.getparent()
        if parent is None:
            break
        previous = node.getprevious()
        while previous is not None and previous.tag == node.tag:
            parent.remove(previous)
            previous = node.getprevious()
        node = parent


def _records(
    path: Path, layout: XmlLayout, record: RecordPath, columns: list[str], label: str
) -> Iterator[RawRecord]:
    context = etree.iterparse(
        str(path), events=("end",), tag=_record_tags(layout, record), **PARSER_OPTIONS
    )
    bound: _Bound | None = None
    number = 0
    parent: Any = None
    position = 0
    totals: dict[str, Decimal] = {}
    try:
        for _, element in context:
            if bound is None or element.tag != bound.tags[-1]:
                if element.getroottree().docinfo.doctype:
                    raise FormatError(f"{label}: the file declares a DTD; refused")
                bound = _Bound(layout, record, columns, element)
            if not _on_path(element, bound.tags, record.anywhere):
                continue
            if bound.predicate is not None and not bound.predicate(element):
                _release(element)
                continue
            number += 1
            if element.getparent() is parent:
                position += 1
            else:
                parent, position = element.getparent(), 1
            values = [read(element, position) for read in bound.readers]
            if bound.amount is not None and bound.currency is not None:
                amount, currency = bound.amount(element, 1), bound.currency(element, 1)
                _add(totals, amount, currency)
            yield RawRecord(f"record {number} (line {element.sourceline})", values)
            _release(element)
    except etree.XMLSyntaxError as exc:
        raise FormatError(
            f"{label}: line {exc.lineno}: not well-formed XML: {exc.msg}; "
            f"{number} records were read before it"
        ) from None
    root = context.root
    if root is not None and root.getroottree().docinfo.doctype:
        raise FormatError(f"{label}: the file declares a DTD; refused")
    if layout.control is not None and root is not None:
        binding = bound.binding if bound else bind(layout.namespaces, list(root.nsmap.values()))
        _check_control(layout, binding, root, number, totals, label)


def _add(totals: dict[str, Decimal], amount: str | None, currency: str | None) -> None:
    if not amount:
        return
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        return  # the record is quarantined for its amount; the totals then cannot match
    key = (currency or "").strip().upper()
    totals[key] = totals.get(key, Decimal(0)) + value


def _check_control(
    layout: XmlLayout,
    binding: dict[str, str],
    root: Any,
    number: int,
    totals: dict[str, Decimal],
    label: str,
) -> None:
    control = layout.control
    assert control is not None  # noqa: S101 - checked by the caller
    stated = compile_field(control.records, binding).read(root, 1)
    if stated is None:
        return  # the sender states no control totals in this file
    try:
        records = int(stated.strip())
    except ValueError:
        raise FormatError(
            f"{label}: the control total of records ({control.records}) is {stated!r}, not a number"
        ) from None
    if records != number:
        raise FormatError(
            f"{label}: {number} records read, the file's control total says {records}"
        )
    if control.totals is None:
        return
    currency_of = compile_field(control.total_currency, binding).read
    xpath = etree.XPath(control.totals, namespaces=binding)
    stated_totals: dict[str, Decimal] = {}
    for element in xpath(root):
        currency = (currency_of(element, 1) or "").strip().upper()
        try:
            stated_totals[currency] = Decimal((element.text or "").strip())
        except InvalidOperation:
            raise FormatError(
                f"{label}: line {element.sourceline}: control total {element.text!r} "
                "is not an amount"
            ) from None
    for currency in sorted(set(stated_totals) | set(totals)):
        found, said = totals.get(currency, Decimal(0)), stated_totals.get(currency, Decimal(0))
        if found != said:
            raise FormatError(
                f"{label}: amounts in {currency or '(no currency)'} add up to {found}, "
                f"the file's control total says {said}"
            )
