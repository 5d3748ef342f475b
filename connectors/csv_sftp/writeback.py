"""ERP write-back as CSV files: one line per action, for the ERP to import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import (
    CheckResult,
    ConfigurationError,
    ConnectorContext,
    Delivery,
    WriteBackResult,
)
from connectors.csv_sftp.dialect import CsvDialect, CsvDialectOptions
from connectors.csv_sftp.writer import write_csv
from connectors.files import LocalTransportOptions, TransportOptions, open_transport
from gateway.domain.actions import WriteBackAction
from mappings import RecordError
from mappings.canonical import action_record

__all__ = ["CsvWriteBack", "CsvWriteBackOptions"]


class CsvWriteBackOptions(BaseModel):
    """Options of the `csv` write-back connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: TransportOptions = Field(default_factory=LocalTransportOptions)
    folder: str = Field(description="folder the ERP imports write-back files from")
    filename: str = Field(
        default="writeback_{timestamp}.csv",
        description="file name; {timestamp} (UTC, to the microsecond) and {source} are filled in",
    )
    csv: CsvDialectOptions = Field(default_factory=CsvDialectOptions)


class CsvWriteBack:
    """The `csv` write-back: each delivery is one file, published atomically."""

    Options = CsvWriteBackOptions

    def __init__(self, options: CsvWriteBackOptions, context: ConnectorContext) -> None:
        self.name = context.name
        self._options = options
        mapping = context.mappings.get("writeback")
        if mapping is None:
            raise ConfigurationError(f"source {context.name}: the csv write-back needs a mapping")
        if not mapping.columns_of("fields"):
            raise ConfigurationError(
                f"source {context.name}: write-back mapping {mapping.name!r} has no 'fields' "
                "(its columns) for the csv write-back"
            )
        self._mapping = mapping
        self._dialect = CsvDialect.resolve(mapping.file, options.csv)
        self._transport = open_transport(options.transport, context.base_dir)

    def apply(self, actions: Sequence[WriteBackAction]) -> WriteBackResult:
        now = datetime.now(UTC)
        name = self._options.filename.format(
            timestamp=now.strftime("%Y%m%dT%H%M%S%fZ"), source=self.name
        )
        columns = self._mapping.columns_of("fields")
        try:
            rows = [list(self._mapping.write("fields", action_record(a)).values()) for a in actions]
        except RecordError as exc:
            raise ConfigurationError(
                f"write-back mapping {self._mapping.name!r} cannot write an action: {exc}"
            ) from None
        with self._transport.publish(self._options.folder, name) as (writer, upload):
            write_csv(writer, self._dialect, columns, rows, name)
        return WriteBackResult(
            Delivery(
                self._transport.channel, upload.location, len(rows), upload.bytes, upload.sha256
            )
        )

    def check(self) -> list[CheckResult]:
        return [self._transport.check(self._options.folder, writable=True)]

    def close(self) -> None:
        self._transport.close()
