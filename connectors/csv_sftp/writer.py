"""Writing CSV files in a partner's dialect, streaming."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from connectors.base import FormatError
from connectors.csv_sftp.dialect import CsvDialect

__all__ = ["cell_text", "write_csv"]


class _BinaryWriter(Protocol):
    def write(self, data: bytes, /) -> int: ...


def cell_text(value: Any) -> str:
    """How a canonical value is written in a file when the mapping does not format it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(
    out: _BinaryWriter,
    dialect: CsvDialect,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    label: str,
) -> int:
    """Write `rows` under a header of `columns`; returns the number of rows written.

    Raises:
        FormatError: a value cannot be written in the file's encoding (names the row and
            column).
    """
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        escapechar=dialect.escapechar,
        lineterminator=dialect.line_terminator,
    )
    encoding = dialect.encoding
    count = 0

    def flush() -> None:
        text = buffer.getvalue()
        try:
            out.write(text.encode(encoding))
        except UnicodeEncodeError as exc:
            raise FormatError(
                f"{label}: {exc.object[exc.start : exc.end]!r} cannot be written in {encoding} "
                f"(near row {count})"
            ) from None
        buffer.seek(0)
        buffer.truncate()

    if dialect.header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
        count += 1
        if buffer.tell() > 1 << 16:
            flush()
    flush()
    return count
