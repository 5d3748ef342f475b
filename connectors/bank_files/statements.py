"""Bank statement files (camt.053 statements, camt.054 notifications) picked up from a folder,
local or over SFTP, each one a snapshot of payments in the format its mapping reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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

__all__ = ["BankStatementFiles", "BankStatementOptions", "StatementFile"]


class BankStatementOptions(BaseModel):
    """Where a bank's statement files arrive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: TransportOptions = Field(default_factory=LocalTransportOptions)
    inbox: InboxOptions
    csv: CsvDialectOptions = Field(
        default_factory=CsvDialectOptions, description="for a CSV layout of payments"
    )


class StatementFile:
    """One statement file, streamed from its local copy."""

    def __init__(
        self,
        file: InboundFile,
        copy: LocalCopy,
        mapping: CompiledMapping,
        dialect: CsvDialect,
        channel: str,
    ) -> None:
        self._file, self._copy, self._mapping = file, copy, mapping
        self._dialect, self._channel = dialect, channel

    label = property(lambda self: self._file.name)
    channel = property(lambda self: self._channel)
    sha256 = property(lambda self: self._copy.sha256)
    size = property(lambda self: self._copy.size)

    @property
    def company_codes(self) -> Sequence[str] | None:
        return None

    def open(self) -> RecordStream:
        return read_records(self._copy.path, self._mapping, self._dialect, self.label)

    def settle(self, outcome: Outcome, reason: str = "") -> None:
        self._file.settle(outcome, reason)


class BankStatementFiles:
    """A bank's statement files: every settled file in the inbox, oldest name first."""

    Options = BankStatementOptions

    def __init__(self, options: BankStatementOptions, context: ConnectorContext) -> None:
        self.name = context.name
        self._options = options
        self._mapping = context.mappings["bank_payments"]
        self._dialect = CsvDialect.resolve(self._mapping.file, options.csv)
        self._transport: FileTransport = open_transport(options.transport, context.base_dir)
        self._inbox = Inbox(self._transport, options.inbox)

    def statements(self) -> Iterator[StatementFile]:
        folder = self._options.inbox.folder
        for file in self._inbox.pending():
            with self._transport.fetch(folder, file.name) as copy:
                yield StatementFile(
                    file, copy, self._mapping, self._dialect, self._transport.channel
                )

    def requeue(self, label: str, sha256: str | None = None) -> str:
        """Put a statement file set aside in the error folder back (`SetAside`)."""
        return self._inbox.requeue(label, sha256)

    def check(self) -> list[CheckResult]:
        return [self._transport.check(self._options.inbox.folder, writable=True)]

    def close(self) -> None:
        self._transport.close()
