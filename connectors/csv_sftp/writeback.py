"""ERP write-back as CSV files: one line per action, for the ERP to import."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.base import (
    CheckResult,
    ConfigurationError,
    ConnectorContext,
    Delivery,
    DeliveryBatch,
    WriteBackResult,
)
from connectors.csv_sftp.dialect import CsvDialect, CsvDialectOptions
from connectors.csv_sftp.writer import write_csv
from connectors.files import LocalTransportOptions, TransportOptions, open_transport
from connectors.files.delivery import already_published, sweep_note, sweep_partials
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
        default="writeback_{timestamp}_{batch}.csv",
        description="file name; {batch} (the delivery batch, required: a batch sent again "
        "keeps its name), {timestamp} (when the batch was made, UTC, to the microsecond) and "
        "{source} are filled in",
    )
    csv: CsvDialectOptions = Field(default_factory=CsvDialectOptions)

    @field_validator("filename")
    @classmethod
    def _names_the_batch(cls, value: str) -> str:
        if "{batch}" not in value:
            raise ValueError(
                "must contain {batch}: a delivery sent again (after an interruption) must "
                "keep its name, so that the ERP imports it once"
            )
        return value


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

    def apply(
        self, actions: Sequence[WriteBackAction], batch: DeliveryBatch | None = None
    ) -> WriteBackResult:
        """Write one file for the batch. Sent again, the same batch has the same file name:
        if the file is still there it is not written again; the ERP's import skips a file
        name, and an `action_id`, it has seen before (see docs/integrator.md)."""
        if batch is None:
            batch = DeliveryBatch(uuid.uuid4().hex[:12], datetime.now(UTC))
        options = self._options
        name = options.filename.format(timestamp=batch.timestamp, batch=batch.key, source=self.name)
        notes = sweep_note(
            sweep_partials(
                self._transport,
                options.folder,
                (options.filename,),
                options.transport.stale_partials_after,
            )
        )
        there = already_published(self._transport, options.folder, name, batch)
        if there is not None:
            location = self._transport.location(options.folder, name)
            notes += (f"{name} was already written by an earlier attempt: not written again",)
            return WriteBackResult(
                Delivery(self._transport.channel, location, len(actions), there.size, None, notes)
            )
        columns = self._mapping.columns_of("fields")
        rows: list[list[object]] = []
        failed: dict[str, tuple[str, bool]] = {}
        stopped: set[object] = set()
        for action in actions:
            # A record the mapping cannot write is skipped (and dead, with its reason), not
            # the whole delivery: the other actions go, except later ones on the same item,
            # which wait (an item's actions keep their order).
            if action.item in stopped:
                failed[action.action_id] = (
                    "not applied: an earlier action on this item could not be written",
                    True,
                )
                continue
            try:
                rows.append(list(self._mapping.write("fields", action_record(action)).values()))
            except RecordError as exc:
                stopped.add(action.item)
                failed[action.action_id] = (
                    f"write-back mapping {self._mapping.name!r} cannot write action "
                    f"{action.action_id}: {exc}",
                    False,
                )
        if not rows:
            return WriteBackResult(None, failed)
        with self._transport.publish(self._options.folder, name) as (writer, upload):
            write_csv(writer, self._dialect, columns, rows, name)
        return WriteBackResult(
            Delivery(
                self._transport.channel,
                upload.location,
                len(rows),
                upload.bytes,
                upload.sha256,
                notes,
            ),
            failed,
        )

    def check(self) -> list[CheckResult]:
        return [self._transport.check(self._options.folder, writable=True)]

    def close(self) -> None:
        self._transport.close()
