"""XML written from a template per record and per file (header, control totals, trailer),
streaming, and published only when it meets its schema; errors name the record and element."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from connectors.base import FormatError
from connectors.files import LocalFolders
from connectors.xml_files import publish_xml
from mappings import MappingSpecError, parse_mapping
from mappings.xml_template import Record

SCHEMA = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t:notices"
           xmlns="urn:t:notices" elementFormDefault="qualified">
  <xs:element name="Notices"><xs:complexType><xs:sequence>
    <xs:element name="Created" type="xs:dateTime"/>
    <xs:element name="Notice" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="Case" type="xs:string"/>
      <xs:element name="Amount" type="xs:decimal" minOccurs="0"/>
      <xs:element name="Note" type="xs:string" minOccurs="0"/>
    </xs:sequence><xs:attribute name="id" type="xs:string" use="required"/></xs:complexType>
    </xs:element>
    <xs:element name="Count" type="xs:integer"/>
    <xs:element name="Total" minOccurs="0" maxOccurs="unbounded"><xs:complexType>
      <xs:simpleContent><xs:extension base="xs:decimal">
        <xs:attribute name="currency" type="xs:string"/></xs:extension></xs:simpleContent>
    </xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""

MAPPING = """
name: notices-test
kind: notices
file:
  format: xml
  xml:
    schema: notices.xsd
    template: |
      <Notices xmlns="urn:t:notices" xmlns:cb="urn:claimbridge:template">
        <Created>{created_at}</Created>
        <cb:each section="notice">
          <Notice id="{id}"><Case>{case}</Case><Amount>{amount}</Amount><Note>{note}</Note></Notice>
        </cb:each>
        <Count>{notice_count}</Count>
        <cb:each section="total"><Total currency="{currency}">{total}</Total></cb:each>
      </Notices>
fields:
  id: notice_id
  case: case_reference
  amount: amount
  note: note
"""

N = "{urn:t:notices}"


def notices(amounts: list[str | Decimal | None]) -> Record:
    records = [
        Record({"id": f"N{i}", "case": f"CB-{i}", "amount": a, "note": ""}, label=f"N{i}")
        for i, a in enumerate(amounts, start=1)
    ]
    total = sum((a for a in amounts if isinstance(a, Decimal)), Decimal(0))
    return Record(
        {"created_at": datetime(2026, 11, 20, 6, 30, tzinfo=UTC), "notice_count": len(records)},
        {"notice": iter(records), "total": [Record({"currency": "EUR", "total": total})]},
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "notices.xsd").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "out").mkdir()
    return tmp_path


def test_header_records_and_trailer_are_written_and_published(folder: Path) -> None:
    mapping = parse_mapping(MAPPING, str(folder / "notices.yaml"))
    assert mapping.xml is not None
    transport = LocalFolders(folder)
    file = notices([Decimal("10.50"), None, Decimal("4.50")])
    upload, count = publish_xml(transport, "out", "n.xml", mapping.xml, file)
    assert count == 4  # three notices and one total
    root = etree.parse(str(folder / "out" / "n.xml")).getroot()
    assert root.findtext(f"{N}Created") == "2026-11-20T06:30:00Z"
    found = root.findall(f"{N}Notice")
    assert [n.get("id") for n in found] == ["N1", "N2", "N3"]
    assert found[0].findtext(f"{N}Amount") == "10.50"
    assert found[1].find(f"{N}Amount") is None  # an empty value leaves its element out
    assert found[0].find(f"{N}Note") is None
    assert root.findtext(f"{N}Count") == "3"
    assert root.find(f"{N}Total").get("currency") == "EUR" and root.findtext(f"{N}Total") == "15.00"
    assert upload.bytes == (folder / "out" / "n.xml").stat().st_size


def test_a_file_that_does_not_meet_its_schema_is_never_published(folder: Path) -> None:
    mapping = parse_mapping(MAPPING, str(folder / "notices.yaml"))
    assert mapping.xml is not None
    transport = LocalFolders(folder)
    with pytest.raises(FormatError) as caught:
        publish_xml(transport, "out", "n.xml", mapping.xml, notices([Decimal(1), "12,50"]))
    message = str(caught.value)
    assert message.startswith("n.xml does not meet schema notices.xsd and was not published")
    assert "notice 2 (N2), element /Notices/Notice[2]/Amount, line " in message
    assert "'12,50' is not a valid value of the atomic type 'xs:decimal'" in message
    assert list((folder / "out").iterdir()) == []  # nothing published, nothing half-written


def test_template_problems_are_reported_when_the_mapping_loads(folder: Path) -> None:
    broken = MAPPING.replace("{case}", "{cse}").replace('section="total"', 'section="totals"')
    with pytest.raises(MappingSpecError) as caught:
        parse_mapping(broken, str(folder / "notices.yaml"))
    problems = "\n".join(caught.value.problems)
    assert "unknown value(s) {cse}" in problems and "known here:" in problems
    assert "cb:each section='totals' is not a section here (sections here: notice, total)" in (
        problems
    )
    missing = MAPPING.replace("schema: notices.xsd", "schema: nowhere.xsd")
    with pytest.raises(MappingSpecError, match="no such file"):
        parse_mapping(missing, str(folder / "notices.yaml"))
