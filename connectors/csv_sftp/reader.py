"""Streaming a CSV file as raw records, line numbers included."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from connectors.base import FormatError, RawRecord
from connectors.csv_sftp.dialect import CsvDialect

__all__ = ["read_csv"]


def read_csv(
    path: Path, dialect: CsvDialect, label: str
) -> tuple[Sequence[str], Iterator[RawRecord]]:
    """Open a CSV file: its columns, and an iterator over its records.

    Records are read lazily, so memory does not grow with the file. Each record's position is
    the line where it starts (quoted fields may span lines). A line with a different number of
    fields than the header comes with a `problem`; empty lines are skipped.

    Raises:
        FormatError: the file has no header, a duplicate or empty column name, or (while
            iterating) is not valid text in its encoding or not CSV at all.
    """
    handle = path.open("r", encoding=dialect.read_encoding, newline="")
    try:
        reader = csv.reader(
            handle,
            delimiter=dialect.delimiter,
            quotechar=dialect.quotechar,
            escapechar=dialect.escapechar,
            strict=False,
        )
        for _ in range(dialect.skip_lines):
            handle.readline()
        offset = dialect.skip_lines
        if dialect.header_starts_with is not None:
            offset += _skip_preamble(handle, dialect, label, offset)
        if dialect.header:
            try:
                header = next(reader)
            except StopIteration:
                raise FormatError(f"{label}: the file is empty (no header line)") from None
            except UnicodeDecodeError as exc:
                line = _undecodable_line(str(path), dialect.read_encoding) or offset + 1
                raise _format_error(label, line, dialect, exc) from None
            except csv.Error as exc:
                raise _format_error(label, offset + 1, dialect, exc) from None
            columns: Sequence[str] = [c.strip() for c in header]
            if not any(columns):
                raise FormatError(f"{label}: line {offset + 1}: the header line is empty")
            doubled = sorted({c for c in columns if columns.count(c) > 1 and c})
            if doubled:
                raise FormatError(f"{label}: column(s) named twice in the header: {doubled}")
        elif dialect.columns:
            columns = dialect.columns
        else:
            raise FormatError(f"{label}: a file without header needs `columns` in the options")
    except BaseException:
        handle.close()
        raise
    return columns, _records(handle, reader, len(columns), offset, dialect, label)


# How far down a preamble's header is looked for: title lines, a few selection criteria.
PREAMBLE_LIMIT = 200


def _skip_preamble(handle: TextIO, dialect: CsvDialect, label: str, offset: int) -> int:
    """Read the lines above the header (an ERP list's title, key date, selection), leaving
    the handle at the header line; returns how many lines were skipped.

    Raises:
        FormatError: no line within PREAMBLE_LIMIT starts with the expected first column.
    """
    wanted = str(dialect.header_starts_with).strip()
    skipped = 0
    while skipped < PREAMBLE_LIMIT:
        position = handle.tell()
        try:
            line = handle.readline()
        except UnicodeDecodeError as exc:
            number = _undecodable_line(str(handle.name), dialect.read_encoding)
            raise _format_error(label, number or offset + skipped + 1, dialect, exc) from None
        if not line:
            break
        first = next(
            csv.reader(
                [line],
                delimiter=dialect.delimiter,
                quotechar=dialect.quotechar,
                escapechar=dialect.escapechar,
            ),
            [""],
        )
        if first and first[0].strip() == wanted:
            handle.seek(position)
            return skipped
        skipped += 1
    raise FormatError(
        f"{label}: no header line whose first column is {wanted!r} in the first "
        f"{min(skipped, PREAMBLE_LIMIT)} lines (header_starts_with)"
    )


def _records(
    handle: TextIO,
    reader: Any,
    width: int,
    offset: int,
    dialect: CsvDialect,
    label: str,
) -> Iterator[RawRecord]:
    # reader.line_num counts physical lines read so far, so a record starts one line after
    # the previous record ended.
    last_line = offset + (1 if dialect.header else 0)
    # RawRecord(start, row) without the named tuple's Python-level __new__ (which does just
    # this, with the fields' defaults): one is made per line.
    make = tuple.__new__
    usual = tuple(RawRecord._field_defaults[name] for name in RawRecord._fields[2:])
    try:
        try:
            for row in reader:
                start = last_line + 1
                last_line = offset + reader.line_num
                if len(row) == width and row[0].strip():
                    # the usual line: nothing more to check
                    yield make(RawRecord, (start, row, *usual))
                elif not any(cell.strip() for cell in row):
                    continue  # blank lines, and lines of empty cells spreadsheets leave behind
                elif len(row) != width:
                    problem = f"the line has {len(row)} fields, the header has {width}"
                    yield RawRecord(start, row, problem)
                else:
                    yield RawRecord(start, row)
        except UnicodeDecodeError as exc:
            line = _undecodable_line(handle.name, dialect.read_encoding) or last_line + 1
            raise _format_error(label, line, dialect, exc) from None
        except csv.Error as exc:
            raise _format_error(label, last_line + 1, dialect, exc) from None
    finally:
        handle.close()


def _undecodable_line(path: str, encoding: str) -> int | None:
    """The first line that does not decode (text is decoded in blocks, so the decoder's own
    position does not tell the line). Only used on the error path."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return None


def _format_error(label: str, line: int, dialect: CsvDialect, exc: Exception) -> FormatError:
    if isinstance(exc, UnicodeDecodeError):
        return FormatError(
            f"{label}: near line {line}: not valid {dialect.encoding} text "
            f"(byte 0x{exc.object[exc.start]:02x}); check the encoding in the options"
        )
    return FormatError(f"{label}: line {line}: not readable as CSV: {exc}")
