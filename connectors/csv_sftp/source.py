"""Open items from CSV (or XML) exports the ERP drops in a folder (local, or SFTP)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import CheckResult, ConnectorContext, Outcome, RecordStream
from connectors.csv_sftp.dialect import CsvDialect, CsvDialectOptions
from connectors.csv_sftp.formats import read_records
from connectors.files import (
    FileTransport,
    InboundFile,
    Inbox,
    InboxOptions,
    LocalCopy,
    LocalTransportOptions,
    TransportOptions,
    open_transport,
)
from mappings import CompiledMapping

__all__ = ["CsvSnapshot", "CsvSource", "CsvSourceOptions"]


class CsvSourceOptions(BaseModel):
    """Options of the `csv` source connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: TransportOptions = Field(default_factory=LocalTransportOptions)
    inbox: InboxOptions
    csv: CsvDialectOptions = Field(default_factory=CsvDialectOptions)
    company_codes: list[str] | None = Field(
        default=None,
        description=(
            "company codes every export covers in full: one with no line in an export has "
            "no open item left (default: the company codes present in each file)"
        ),
    )


class CsvSnapshot:
    """One export file, streamed from its local copy."""

    def __init__(
        self,
        file: InboundFile,
        copy: LocalCopy,
        dialect: CsvDialect,
        channel: str,
        company_codes: Sequence[str] | None,
        mapping: CompiledMapping | None = None,
    ) -> None:
        self._file = file
        self._mapping = mapping
        self._copy = copy
        self._dialect = dialect
        self._channel = channel
        self._company_codes = company_codes

    @property
    def label(self) -> str:
        return self._file.name

    @property
    def channel(self) -> str:
        return self._channel

    @property
    def sha256(self) -> str | None:
        return self._copy.sha256

    @property
    def size(self) -> int | None:
        return self._copy.size

    @property
    def company_codes(self) -> Sequence[str] | None:
        return self._company_codes

    def open(self) -> RecordStream:
        return read_records(self._copy.path, self._mapping, self._dialect, self.label)

    def settle(self, outcome: Outcome, reason: str = "") -> None:
        self._file.settle(outcome, reason)


class CsvSource:
    """The `csv` source: every settled export in the inbox is one snapshot, oldest first."""

    Options = CsvSourceOptions

    def __init__(self, options: CsvSourceOptions, context: ConnectorContext) -> None:
        self.name = context.name
        self._options = options
        # A sales feed (gateway.kpi.sales) reads CSV exports the same way as open items do.
        mapping = context.mappings.get("open_items") or context.mappings.get("sales")
        self._mapping = mapping
        self._dialect = CsvDialect.resolve(mapping.file if mapping else None, options.csv)
        self._transport: FileTransport = open_transport(options.transport, context.base_dir)
        self._inbox = Inbox(self._transport, options.inbox)

    def snapshots(self, as_of: date) -> Iterator[CsvSnapshot]:
        folder = self._options.inbox.folder
        for file in self._inbox.pending():
            with self._transport.fetch(folder, file.name) as copy:
                yield CsvSnapshot(
                    file,
                    copy,
                    self._dialect,
                    self._transport.channel,
                    self._options.company_codes,
                    self._mapping,
                )

    def requeue(self, label: str, sha256: str | None = None) -> str:
        """Put an export set aside in the error folder back into the inbox (`SetAside`)."""
        return self._inbox.requeue(label, sha256)

    def check(self) -> list[CheckResult]:
        inbox = self._options.inbox
        return [
            self._transport.check(inbox.folder, writable=True),
        ]

    def close(self) -> None:
        self._transport.close()
