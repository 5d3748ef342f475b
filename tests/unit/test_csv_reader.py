"""The CSV reader: dialects, encodings, line numbers, bad lines, streaming."""

import tracemalloc
from pathlib import Path

import pytest

from connectors.base import FormatError
from connectors.csv_sftp import CsvDialect, read_csv


def records(
    path: Path, **dialect: object
) -> tuple[list[str], list[tuple[int | str, list[str], str]]]:
    columns, stream = read_csv(path, CsvDialect(**dialect), path.name)  # type: ignore[arg-type]
    return list(columns), [(r.position, list(r.values), r.problem) for r in stream]


def test_semicolons_quotes_and_multiline_fields_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('a;b\n1;"x;y"\n2;"two\nlines"\n\n3;z\n', encoding="utf-8")
    columns, rows = records(path, delimiter=";")
    assert columns == ["a", "b"]
    assert rows == [(2, ["1", "x;y"], ""), (3, ["2", "two\nlines"], ""), (6, ["3", "z"], "")]


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffcompany,amount\n1000,5\n".encode())
    columns, _ = records(path)
    assert columns == ["company", "amount"]


def test_a_line_with_the_wrong_number_of_fields_is_marked_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b,c\n1,2,3\n1,2\n,,\n", encoding="utf-8")
    _, rows = records(path)
    assert rows == [
        (2, ["1", "2", "3"], ""),
        (3, ["1", "2"], "the line has 2 fields, the header has 3"),
    ]


def test_a_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b\n1,ok\n2,Müller\n".encode("cp1252"))
    with pytest.raises(FormatError, match=r"latin.csv: near line 3: not valid utf-8 text"):
        records(path)


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"named twice in the header: \['a'\]"):
        records(path)


def test_files_without_header_take_configured_columns_and_preamble_lines_are_skipped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("OPOS export 2026-11-20\n1|x\n", encoding="utf-8")
    columns, rows = records(path, delimiter="|", header=False, columns=("n", "t"), skip_lines=1)
    assert columns == ["n", "t"]
    assert rows == [(2, ["1", "x"], "")]


def test_a_preamble_of_any_length_ends_at_the_named_header(tmp_path: Path) -> None:
    """ERP list exports put a title, the key date and the selection above the header; how
    many lines depends on the selection. A BOM and a quoted first column are no obstacle."""
    path = tmp_path / "opos.csv"
    path.write_bytes(
        '\ufeffOffene Posten;;\nStichtag: 20.11.2026;;\n;;\n"Konto";Name;Betrag\n'
        "4711;Müller;12,50\n".encode()
    )
    columns, rows = records(path, delimiter=";", header_starts_with="Konto")
    assert columns == ["Konto", "Name", "Betrag"]
    assert rows == [(5, ["4711", "Müller", "12,50"], "")]  # the file's own line number


def test_a_preamble_without_the_named_header_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "opos.csv"
    path.write_text("Offene Posten\nKonto-Nr;Name\n1;x\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"opos.csv: no header line whose first column is"):
        records(path, delimiter=";", header_starts_with="Konto")


def test_reading_streams_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    def peak(lines: int) -> int:
        path = tmp_path / f"big{lines}.csv"
        with path.open("w", encoding="utf-8") as handle:
            handle.write("company,document,amount,text\n")
            for i in range(lines):
                handle.write(f"1000,{1800000000 + i},{i}.00,some text for line {i}\n")
        tracemalloc.start()
        _, stream = read_csv(path, CsvDialect(), path.name)
        count = sum(1 for _ in stream)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == lines
        return top

    small, large = peak(10_000), peak(200_000)
    assert large < small * 2 + 200_000, (small, large)
