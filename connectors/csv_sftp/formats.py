"""Which reader a partner's file takes: CSV, or XML when its mapping says `format: xml`."""

from __future__ import annotations

from pathlib import Path

from connectors.base import ControlTotals, RecordStream
from connectors.csv_sftp.dialect import CsvDialect
from connectors.csv_sftp.reader import read_csv
from connectors.xml_files.reader import read_xml
from mappings import CompiledMapping

__all__ = ["is_xml", "read_records"]


def is_xml(mapping: CompiledMapping | None) -> bool:
    return mapping is not None and mapping.xml is not None


def read_records(
    path: Path,
    mapping: CompiledMapping | None,
    dialect: CsvDialect,
    label: str,
    control: ControlTotals | None = None,
) -> RecordStream:
    """Open a file's records in the format its mapping reads.

    Raises:
        FormatError: the whole file is unusable (see read_csv and read_xml).
    """
    if mapping is not None and mapping.xml is not None:
        columns, records = read_xml(path, mapping.xml, mapping.columns, label)
    else:
        columns, records = read_csv(path, dialect, label)
    return RecordStream(columns, records, control)
