"""An XML mapping's file layout, compiled and checked when the mapping loads: the record path
and each field's path (inbound), the template (outbound), the schema, the control totals.

The values an outbound template may use, per mapping kind (besides the fields of the mapping's
sections, written as the mapping formats them):

    handover   file: batch_reference, agency, created_at, as_of, case_count, item_count
               cb:each case (the `case` fields) > cb:each item (the `item` fields)
               cb:each total (currency, total, case_count, item_count), one per currency
    notices    file: agency, created_at, notice_count
               cb:each notice (the fields); cb:each total (currency, total, notice_count)
    writeback  file: source, created_at, action_count
               cb:each action (the fields)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from mappings.targets import MappingKind
from mappings.xml_format import XmlControl, XmlFormat
from mappings.xml_paths import RecordPath, bind, compile_field, compile_record_path
from mappings.xml_template import XmlTemplate, compile_template

__all__ = ["FILE_VALUES", "XmlLayout", "compile_xml_layout", "load_schema"]

PRESET_PREFIX = "preset:"

# Outbound kinds: the file's own values, and the sections a template repeats (section →
# (names, nested sections)); None stands for the fields of the mapping's section of that name.
FILE_VALUES: Mapping[MappingKind, tuple[tuple[str, ...], Mapping[str, Any]]] = {
    MappingKind.HANDOVER: (
        ("batch_reference", "agency", "created_at", "as_of", "case_count", "item_count"),
        {
            "case": (None, {"item": (None, {})}),
            "total": (("currency", "total", "case_count", "item_count"), {}),
        },
    ),
    MappingKind.NOTICES: (
        ("agency", "created_at", "notice_count"),
        {"notice": (None, {}), "total": (("currency", "total", "notice_count"), {})},
    ),
    MappingKind.WRITEBACK: (
        ("source", "created_at", "action_count"),
        {"action": (None, {})},
    ),
}
# Which of the mapping's sections a template section takes its names from.
_SECTION_FIELDS = {"case": "case", "item": "item", "notice": "fields", "action": "fields"}


@dataclass(frozen=True, slots=True)
class XmlLayout:
    """The compiled `xml` section of a mapping."""

    format: XmlFormat
    record_path: RecordPath | None
    template: XmlTemplate | None
    schema: Any | None  # an lxml XMLSchema
    schema_name: str | None

    @property
    def namespaces(self) -> dict[str, tuple[str, ...]]:
        return {prefix: self.format.uris(prefix) for prefix in self.format.namespaces}

    @property
    def control(self) -> XmlControl | None:
        return self.format.control


def load_schema(reference: str, source: str) -> Any:
    """An XSD by reference: `preset:NAME.xsd` (shipped in mappings/schemas) or a path,
    relative to the mapping file `source`.

    Raises:
        ValueError: the schema cannot be read or is not a valid XSD.
    """
    if reference.startswith(PRESET_PREFIX):
        path = Path(str(resources.files("mappings") / "schemas" / reference[len(PRESET_PREFIX) :]))
    else:
        path = Path(reference)
        if not path.is_absolute():
            path = Path(source).parent / path
    if not path.is_file():
        raise ValueError(f"schema {reference!r}: no such file ({path})")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ValueError(f"schema {reference!r} is not a valid XSD: {exc}") from None


def compile_xml_layout(
    kind: MappingKind,
    xml: XmlFormat,
    source: str,
    sections: Mapping[str, Sequence[str]],
    columns: Sequence[str],
) -> tuple[XmlLayout | None, list[str]]:
    """Compile and check an `xml` section; returns the layout, or None and every problem.

    `sections` are the mapping's outbound sections and their output names; `columns` the
    paths its inbound fields read.
    """
    problems: list[str] = []
    at = "file.xml"
    record_path = None
    template = None
    if kind.inbound:
        if xml.records is None:
            problems.append(f"{at}.records: an inbound XML mapping needs the records' path")
        else:
            try:
                record_path = compile_record_path(xml.records)
            except ValueError as exc:
                problems.append(f"{at}.records: {exc}")
            undeclared = sorted(
                {p for p, _ in (record_path.steps if record_path else ()) if p}
                - set(xml.namespaces)
            )
            if undeclared:
                problems.append(
                    f"{at}.records: undeclared namespace prefix {', '.join(undeclared)}"
                )
        if xml.template is not None:
            problems.append(f"{at}.template: an inbound mapping reads files, it has no template")
        binding = bind({p: xml.uris(p) for p in xml.namespaces}, ())
        for column in columns:
            try:
                compile_field(column, binding)
            except ValueError as exc:
                problems.append(f"fields: {exc}")
        control = xml.control
        if control is not None:
            for name in ("records", "totals", "total_currency", "amount", "currency"):
                path = getattr(control, name)
                if path is None:
                    continue
                try:
                    compile_field(path, binding)
                except ValueError as exc:
                    problems.append(f"{at}.control.{name}: {exc}")
    else:
        if xml.records is not None or xml.control is not None:
            problems.append(f"{at}: records and control are for inbound (read) mappings")
        if xml.template is None:
            problems.append(f"{at}.template: an outbound XML mapping needs a template")
        else:
            file_names, scopes = FILE_VALUES[kind]
            template, found = compile_template(
                xml.template, file_names, _scopes(scopes, sections), f"{at}.template"
            )
            problems.extend(found)
    schema = None
    if xml.schema_ is not None:
        try:
            schema = load_schema(xml.schema_, source)
        except ValueError as exc:
            problems.append(f"{at}.schema: {exc}")
    if problems:
        return None, problems
    return XmlLayout(xml, record_path, template, schema, xml.schema_), []


def _scopes(scopes: Mapping[str, Any], sections: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for name, (names, inner) in scopes.items():
        if names is None:
            names = tuple(sections.get(_SECTION_FIELDS[name], ()))
        resolved[name] = (tuple(names), _scopes(inner, sections))
    return resolved
