"""XML file templates: the file as the partner expects it, with placeholders and repeated parts.

    <Handover xmlns="urn:claimbridge:handover:1" xmlns:cb="urn:claimbridge:template">
      <Batch reference="{batch_reference}"><CreatedAt>{created_at}</CreatedAt></Batch>
      <cb:each section="case">                      <!-- once per case -->
        <Case reference="{reference}">
          <Email>{email}</Email>                    <!-- left out when empty -->
          <Items><cb:each section="item"><Item>...</Item></cb:each></Items>
        </Case>
      </cb:each>
      <Control><CaseCount>{case_count}</CaseCount></Control>   <!-- the trailer -->
    </Handover>

What is outside every `cb:each` is written once: the header before the records and the trailer
after them, both with the file's values (counts and control totals, known before the file is
written). Inside, `{name}` is a value of the section's record (a field of the mapping's
section), or of an enclosing record, or of the file. An attribute or an element whose only
content is one placeholder is left out when the value is empty, and so is an element left
with nothing in it; a literal empty element (`<Flag/>`) stays.

`XmlTemplate.records` renders one record of a top-level section as an element, to be written
while the file streams (see connectors.xml_files.writer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from mappings.templates import Template, as_text

__all__ = [
    "TEMPLATE_NS",
    "Record",
    "TemplateEach",
    "TemplateElement",
    "TemplatePart",
    "XmlTemplate",
    "compile_template",
]

TEMPLATE_NS = "urn:claimbridge:template"
_EACH = f"{{{TEMPLATE_NS}}}each"


@dataclass(slots=True)
class Record:
    """Values for a template: this record's `values`, the records of its sections, and a
    label that names it in errors (a case reference)."""

    values: Mapping[str, Any]
    sections: Mapping[str, Iterable[Record]] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True, slots=True)
class _Text:
    template: Template
    alone: bool  # exactly one placeholder: left out when it renders empty


@dataclass(frozen=True, slots=True)
class TemplateElement:
    tag: str
    attrib: tuple[tuple[str, _Text], ...]
    text: _Text | None
    children: tuple[TemplateElement | TemplateEach, ...]
    streams: bool  # holds a cb:each: opened while the file streams, not built at once
    literal_empty: bool  # written as it is (<Flag/>), never left out


@dataclass(frozen=True, slots=True)
class TemplateEach:
    section: str
    children: tuple[TemplateElement, ...]


TemplatePart = TemplateElement | TemplateEach


class XmlTemplate:
    """A compiled file template: `root` is walked by the writer (see
    connectors.xml_files.writer), `build` renders a part that is written at once."""

    def __init__(self, root: TemplateElement, nsmap: Mapping[str | None, str]) -> None:
        self.root = root
        self.nsmap = dict(nsmap)

    def attributes(self, part: TemplateElement, values: Mapping[str, Any]) -> dict[str, str]:
        """The attributes of an element opened while the file streams."""
        return {
            name: value for name, text in part.attrib if (value := _text(text, values)) is not None
        }

    def build(self, part: TemplateElement, values: Mapping[str, Any], record: Record | None) -> Any:
        """An element and its content for `values` (its sections from `record`); None when
        it is left out."""
        return _build(part, values, self.nsmap, None, record)


def _text(text: _Text, values: Mapping[str, Any]) -> str | None:
    value = as_text(text.template.render(values))
    if text.alone and value == "":
        return None
    return value


def _build(
    part: TemplateElement,
    values: Mapping[str, Any],
    nsmap: Mapping[str | None, str],
    parent: Any,
    record: Record | None,
) -> Any:
    attrib: dict[str, str] = {}
    for name, text in part.attrib:
        value = _text(text, values)
        if value is not None:
            attrib[name] = value
    content = _text(part.text, values) if part.text is not None else None
    if parent is None:
        element = etree.Element(part.tag, attrib, nsmap=nsmap)
    else:
        element = etree.SubElement(parent, part.tag, attrib)
    if content is not None:
        element.text = content
    for child in part.children:
        if isinstance(child, TemplateEach):
            for inner in record.sections.get(child.section, ()) if record is not None else ():
                inner_values = {**values, **inner.values}
                for grandchild in child.children:
                    _build(grandchild, inner_values, nsmap, element, inner)
        else:
            _build(child, values, nsmap, element, record)
    if content is None and not attrib and not len(element) and not part.literal_empty:
        if parent is not None:
            parent.remove(element)
        return None
    return element


def compile_template(
    text: str, file_names: Iterable[str], sections: Mapping[str, Any], where: str
) -> tuple[XmlTemplate | None, list[str]]:
    """Compile a template; returns it, or None and every problem with its line.

    `file_names` are the file's own values; `sections` says which sections a `cb:each` may
    repeat at the top: section name → (its value names, its own sections, same shape).
    """
    problems: list[str] = []
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )
    try:
        root = etree.fromstring(text.strip().encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        return None, [f"{where}: not well-formed XML: {exc}"]
    if root.getroottree().docinfo.doctype:
        return None, [f"{where}: a template has no DTD"]

    def text_of(value: str | None, names: frozenset[str], at: str) -> _Text | None:
        if value is None or not value.strip():
            return None
        stripped = value.strip()
        template = Template(stripped, at)
        unknown = sorted(template.names - names)
        if unknown:
            problems.append(
                f"{at}: unknown value(s) {', '.join('{' + n + '}' for n in unknown)} "
                f"(known here: {', '.join(sorted(names)) or 'none'})"
            )
        alone = len(template.names) == 1 and stripped == "{" + next(iter(template.names)) + "}"
        return _Text(template, alone)

    def element(node: Any, names: frozenset[str], scopes: Mapping[str, Any]) -> TemplatePart | None:
        at = f"{where}, line {node.sourceline}"
        if not isinstance(node.tag, str):
            return None  # a processing instruction
        if node.tag == _EACH:
            section = node.get("section", "")
            if section not in scopes:
                problems.append(
                    f"{at}: cb:each section={section!r} is not a section here "
                    f"(sections here: {', '.join(scopes) or 'none'})"
                )
                return None
            inner_names, inner_scopes = scopes[section]
            inner = [element(c, names | frozenset(inner_names), inner_scopes) for c in node]
            if (node.text or "").strip():
                problems.append(f"{at}: cb:each holds elements, not text")
            return TemplateEach(section, tuple(c for c in inner if isinstance(c, TemplateElement)))
        if node.tag.startswith(f"{{{TEMPLATE_NS}}}"):
            problems.append(f"{at}: unknown template element {etree.QName(node).localname!r}")
            return None
        attrib: list[tuple[str, _Text]] = []
        for name, value in node.attrib.items():
            compiled = text_of(value, names, f"{at}, attribute {name}")
            attrib.append((name, compiled or _Text(Template(value), False)))
        if len(node) and (node.text or "").strip():
            problems.append(f"{at}: an element holds text or elements, not both")
        for child in node:
            if (child.tail or "").strip():
                problems.append(f"{at}: text between elements is not supported")
        children = tuple(
            c for c in (element(child, names, scopes) for child in node) if c is not None
        )
        streams = any(isinstance(c, TemplateEach) or c.streams for c in children)
        content = text_of(node.text, names, at) if not len(node) else None
        return TemplateElement(
            node.tag,
            tuple(attrib),
            content,
            children,
            streams,
            literal_empty=not attrib and content is None and not len(node),
        )

    compiled = element(root, frozenset(file_names), sections)
    if isinstance(compiled, TemplateEach):
        problems.append(f"{where}: the root element cannot be cb:each")
    if problems or not isinstance(compiled, TemplateElement):
        return None, problems
    nsmap = {k: v for k, v in root.nsmap.items() if v != TEMPLATE_NS}
    return XmlTemplate(compiled, nsmap), []
