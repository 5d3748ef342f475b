"""XML read as a stream: records by path, fields by relative XPaths with namespaces (several
versions of one standard), the parser refusing DTDs (XXE, billion laughs), memory that does not
grow with the file, and stated control totals checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import FormatError
from connectors.csv_sftp import CsvDialect
from connectors.csv_sftp.formats import read_records
from mappings import CompiledMapping, MappingSpecError, parse_mapping

V1 = "urn:example:opos:1"
V2 = "urn:example:opos:2"

MAPPING = f"""
name: erp-xml
kind: open_items
file:
  format: xml
  xml:
    namespaces: {{e: [{V1}, {V2}]}}
    records: /e:Export/e:Company/e:Item
fields:
  company_code: ../@code
  document_number: e:Doc
  fiscal_year: {{from: "substring(e:Date, 1, 4)"}}
  debtor_number: e:Debtor/@id
  debtor_name: e:Debtor/e:Name
  document_date: e:Date
  net_due_date: e:Due
  currency: e:Amount/@currency
  open_amount: e:Amount
  reference: {{from: e:Ref, optional: true}}
"""


def item(doc: str, amount: str = "100.00", due: str = "2026-08-01") -> str:
    return (
        f"<Item><Doc>{doc}</Doc><Debtor id='C1'><Name>Debtor &amp; Co</Name></Debtor>"
        f"<Date>2026-07-01</Date><Due>{due}</Due><Amount currency='EUR'>{amount}</Amount></Item>"
    )


def export(path: Path, items: list[str], ns: str = V1, head: str = "") -> Path:
    body = "".join(items)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>{head}\n<Export xmlns="{ns}">'
        f'<Created>2026-11-20</Created><Company code="1000">{body}</Company></Export>',
        encoding="utf-8",
    )
    return path


def read(path: Path, mapping: CompiledMapping) -> list[tuple[str, dict[str, object] | str]]:
    stream = read_records(path, mapping, CsvDialect(), path.name)
    assert stream.columns is not None
    mapper = mapping.bind(stream.columns)
    out: list[tuple[str, dict[str, object] | str]] = []
    for record in stream.records:
        try:
            out.append(
                (
                    str(record.position),
                    dict(zip(mapper.targets, mapper(record.values), strict=True)),
                )
            )
        except Exception as exc:  # noqa: BLE001 - the test looks at the message
            out.append((str(record.position), str(exc)))
    return out


@pytest.fixture
def mapping() -> CompiledMapping:
    return parse_mapping(MAPPING, "erp-xml.yaml")


def test_records_and_fields_with_namespaces(tmp_path: Path, mapping: CompiledMapping) -> None:
    path = export(tmp_path / "e.xml", [item("D1"), item("D2", amount="12,5")])
    (first_at, first), (second_at, second) = read(path, mapping)
    assert first_at == "record 1 (line 2)" and isinstance(first, dict)
    assert first["company_code"] == "1000"  # an attribute of the enclosing element
    assert first["document_number"] == "D1" and first["debtor_name"] == "Debtor & Co"
    assert first["fiscal_year"] == 2026  # an XPath function
    assert first["open_amount"] == Decimal("100.00") and first["currency"] == "EUR"
    assert first["net_due_date"] == date(2026, 8, 1) and first["reference"] == ""
    assert second_at == "record 2 (line 2)"
    assert "open_amount: not a number (value '12,5')" in str(second)


def test_a_prefix_takes_the_namespace_version_the_file_declares(
    tmp_path: Path, mapping: CompiledMapping
) -> None:
    path = export(tmp_path / "e.xml", [item("D9")], ns=V2)
    ((_, values),) = read(path, mapping)
    assert isinstance(values, dict) and values["document_number"] == "D9"
    other = export(tmp_path / "o.xml", [item("D9")], ns="urn:somebody:else")
    assert read(other, mapping) == []  # not the records the mapping reads


def test_an_external_entity_is_refused_before_anything_is_read(
    tmp_path: Path, mapping: CompiledMapping
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    head = f'<!DOCTYPE Export [<!ENTITY x SYSTEM "file://{secret}">]>'
    path = export(tmp_path / "xxe.xml", [item("&x;")], head=head)
    with pytest.raises(FormatError) as caught:
        read(path, mapping)
    message = str(caught.value)
    assert message.startswith("xxe.xml: the file declares a DTD")
    assert "XXE" in message and "TOP-SECRET" not in message


def test_a_billion_laughs_file_is_refused(tmp_path: Path, mapping: CompiledMapping) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    path = export(tmp_path / "laughs.xml", [item("&lol9;")], head=f"<!DOCTYPE Export [{entities}]>")
    with pytest.raises(FormatError, match=r"^laughs\.xml: the file declares a DTD.*billion"):
        read(path, mapping)


def test_a_file_that_is_not_well_formed_is_refused_with_its_line(
    tmp_path: Path, mapping: CompiledMapping
) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(f'<Export xmlns="{V1}">\n<Company code="1">\n{item("D1")}\n<Item>', "utf-8")
    with pytest.raises(FormatError, match=r"broken\.xml: line \d+: not well-formed XML.*1 records"):
        read(path, mapping)


def test_memory_stays_flat_records_and_containers_are_dropped(tmp_path: Path) -> None:
    # A field counting the elements of the whole tree at each record: what the reader keeps.
    text = MAPPING.replace("reference: {from: e:Ref, optional: true}", 'text: "count(//*)"')
    mapping = parse_mapping(text, "count.yaml")
    companies = "".join(
        f'<Company code="{c}">' + "".join(item(f"D{c}-{i}") for i in range(500)) + "</Company>"
        for c in range(20)
    )
    path = tmp_path / "big.xml"
    path.write_text(f'<Export xmlns="{V1}"><Created>x</Created>{companies}</Export>', "utf-8")
    sizes = [int(values["text"]) for _, values in read(path, mapping) if isinstance(values, dict)]
    assert len(sizes) == 10_000
    # The file holds 80,000 elements; the tree holds what the parser read ahead (one buffer)
    # besides the record being read and what encloses it: the rest was dropped.
    assert max(sizes) < 2_000, max(sizes)
    assert sizes[-1] < 20, sizes[-1]


def test_record_path_from_anywhere_with_a_predicate(tmp_path: Path) -> None:
    text = MAPPING.replace("/e:Export/e:Company/e:Item", "//e:Item[e:Amount > 50]")
    mapping = parse_mapping(text, "some.yaml")
    path = export(tmp_path / "e.xml", [item("D1", "10.00"), item("D2", "60.00")])
    ((_, values),) = read(path, mapping)
    assert isinstance(values, dict) and values["document_number"] == "D2"


def test_stated_control_totals_are_checked(tmp_path: Path) -> None:
    text = MAPPING.replace(
        "    records: /e:Export/e:Company/e:Item\n",
        "    records: /e:Export/e:Company/e:Item\n"
        "    control: {records: /e:Export/e:Control/e:Count, totals: /e:Export/e:Control/e:Total,"
        " amount: e:Amount, currency: e:Amount/@currency}\n",
    )
    mapping = parse_mapping(text, "control.yaml")

    def with_control(count: int, total: str) -> Path:
        path = export(tmp_path / "c.xml", [item("D1", "10.00"), item("D2", "5.50")])
        control = f'<Control><Count>{count}</Count><Total currency="EUR">{total}</Total></Control>'
        path.write_text(path.read_text("utf-8").replace("</Export>", control + "</Export>"))
        return path

    assert len(read(with_control(2, "15.50"), mapping)) == 2
    with pytest.raises(FormatError, match="2 records read, the file's control total says 3"):
        read(with_control(3, "15.50"), mapping)
    with pytest.raises(FormatError, match=r"in EUR add up to 15\.50, .* says 15\.49"):
        read(with_control(2, "15.49"), mapping)


def test_bad_paths_are_reported_when_the_mapping_loads() -> None:
    text = MAPPING.replace("document_number: e:Doc", "document_number: x:Doc[")
    with pytest.raises(MappingSpecError) as caught:
        parse_mapping(text, "bad.yaml")
    assert "x:Doc[" in str(caught.value)
    text = MAPPING.replace("/e:Export/e:Company/e:Item", "e:Item")
    with pytest.raises(MappingSpecError, match="must start with /"):
        parse_mapping(text, "bad.yaml")
