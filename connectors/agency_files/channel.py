"""The `files` agency channel: handover files and notices out, status files in.

Handover files are CSV (one line per item, with a `.manifest.json` holding the control
totals), JSON (cases with nested items and a `control` block) or XML (written from the
mapping's template, checked against its schema before it is published; see
connectors.xml_files). Notices are CSV or XML, as their mapping says. Status files from the agency
are picked up from its folder; when the agency sends a manifest beside a file, the hash, the
record count and the amount totals are checked before anything of the file is applied.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.agency_files.manifest import MANIFEST_SUFFIX, manifest_bytes, parse_manifest
from connectors.base import (
    CheckResult,
    ConfigurationError,
    ConnectorContext,
    ControlTotals,
    Delivery,
    DeliveryBatch,
    Outcome,
    RecordStream,
)
from connectors.csv_sftp import CsvDialect, CsvDialectOptions, write_csv
from connectors.csv_sftp.formats import read_records
from connectors.csv_sftp.writer import cell_text
from connectors.files import (
    InboundFile,
    Inbox,
    InboxOptions,
    LocalCopy,
    LocalTransportOptions,
    TransportOptions,
    open_transport,
)
from connectors.files.delivery import already_published, sweep_note, sweep_partials
from connectors.xml_files import publish_xml
from gateway.domain.handover import AgencyNotice, HandoverBatch
from mappings import CompiledMapping, RecordError
from mappings.canonical import case_record, item_record, notice_record
from mappings.xml_template import Record

__all__ = ["FileAgencyChannel", "FileAgencyOptions"]


class FileAgencyOptions(BaseModel):
    """Options of the `files` agency channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: TransportOptions = Field(default_factory=LocalTransportOptions)
    outbox: str = Field(description="folder claimbridge puts handover and notice files into")
    inbox: InboxOptions = Field(description="where the agency drops its status files")
    format: Literal["csv", "json", "xml"] | None = Field(
        default=None, description="handover file format (default: the handover mapping's)"
    )
    handover_filename: str = "handover_{batch}.{ext}"
    notices_filename: str = Field(
        default="notices_{timestamp}_{batch}.{ext}",
        description="{batch} (the delivery batch, required: a batch sent again keeps its "
        "name), {timestamp} (when the batch was made, UTC) and {ext} (csv or xml) are "
        "filled in",
    )
    manifest: bool = Field(default=True, description="write a manifest beside CSV files")
    require_manifest: bool = Field(
        default=False, description="take a status file only once its manifest is there"
    )
    csv: CsvDialectOptions = Field(default_factory=CsvDialectOptions)

    @field_validator("notices_filename")
    @classmethod
    def _names_the_batch(cls, value: str) -> str:
        if "{batch}" not in value:
            raise ValueError(
                "must contain {batch}: notices sent again (after an interruption) must keep "
                "their file name, so that the agency reads them once"
            )
        return value


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _StatusFile:
    """An agency status file as a snapshot."""

    def __init__(
        self,
        file: InboundFile,
        copy: LocalCopy,
        dialect: CsvDialect,
        channel: str,
        control: ControlTotals | None,
        manifest: str | None,
        mapping: CompiledMapping | None,
    ) -> None:
        self._file, self._copy, self._dialect, self._mapping = file, copy, dialect, mapping
        self._channel, self._control, self._manifest = channel, control, manifest

    label = property(lambda self: self._file.name)
    channel = property(lambda self: self._channel)
    sha256 = property(lambda self: self._copy.sha256)
    size = property(lambda self: self._copy.size)
    company_codes = property(lambda self: None)

    def open(self) -> RecordStream:
        return read_records(
            self._copy.path, self._mapping, self._dialect, self.label, self._control
        )

    def settle(self, outcome: Outcome, reason: str = "") -> None:
        self._file.settle(outcome, reason)
        if self._manifest and outcome is not Outcome.RETRY:
            inbox = self._file.inbox
            target = (
                inbox.options.error_folder
                if outcome is Outcome.REJECTED
                else inbox.options.archive_folder
            )
            inbox.transport.move(inbox.options.folder, self._manifest, target)


class FileAgencyChannel:
    """The `files` agency channel."""

    Options = FileAgencyOptions

    def __init__(self, options: FileAgencyOptions, context: ConnectorContext) -> None:
        self.name = context.name
        self._options = options
        self._transport = open_transport(options.transport, context.base_dir)
        self._inbox = Inbox(self._transport, options.inbox)
        self._handover = self._mapping(context, "handover")
        self._notices = self._mapping(context, "notices")
        events = context.mappings.get("agency_events")
        self._events = events
        self._events_dialect = CsvDialect.resolve(events.file if events else None, options.csv)
        file = self._handover.file
        self._format = options.format or (file.format if file else "csv")
        if self._format == "xml" and self._handover.xml is None:
            raise ConfigurationError(
                f"agency {self.name}: format xml needs an XML handover mapping "
                f"({self._handover.name!r} is not; e.g. preset:handover-xml)"
            )
        self._handover_dialect = CsvDialect.resolve(file, options.csv)
        clash = set(self._handover.columns_of("case")) & set(self._handover.columns_of("item"))
        if clash and self._format == "csv":
            raise ConfigurationError(
                f"agency {self.name}: handover mapping {self._handover.name!r} writes "
                f"{sorted(clash)} in both its case and item sections; a CSV line cannot hold both"
            )

    @staticmethod
    def _mapping(context: ConnectorContext, role: str) -> CompiledMapping:
        mapping = context.mappings.get(role)
        if mapping is None:
            raise ConfigurationError(f"agency {context.name}: no {role} mapping configured")
        return mapping

    # --- out ---------------------------------------------------------------------------------

    def submit(self, batch: HandoverBatch) -> Delivery:
        name = self._options.handover_filename.format(batch=batch.reference, ext=self._format)
        try:
            if self._format == "json":
                return self._submit_json(batch, name)
            if self._format == "xml":
                return self._submit_xml(batch, name)
            return self._submit_csv(batch, name)
        except RecordError as exc:
            raise ConfigurationError(
                f"handover mapping {self._handover.name!r} cannot write batch "
                f"{batch.reference}: {exc}"
            ) from None

    def _submit_csv(self, batch: HandoverBatch, name: str) -> Delivery:
        mapping = self._handover
        columns = mapping.columns_of("case") + mapping.columns_of("item")
        rows: list[list[Any]] = []
        for case in batch.cases:
            head = list(mapping.write("case", case_record(batch, case)).values())
            for item in case.items:
                tail = mapping.write("item", item_record(item, batch.as_of)).values()
                rows.append(head + list(tail))
        totals = {c: m.amount for c, m in batch.totals().items()}
        return self._publish_csv(name, columns, rows, totals, cases=len(batch.cases))

    def _submit_json(self, batch: HandoverBatch, name: str) -> Delivery:
        mapping = self._handover
        cases = []
        for case in batch.cases:
            body = mapping.write("case", case_record(batch, case))
            body["items"] = [
                mapping.write("item", item_record(item, batch.as_of)) for item in case.items
            ]
            cases.append(body)
        document = {
            "batch": {
                "reference": batch.reference,
                "agency": batch.agency,
                "created_at": batch.created_at,
                "as_of": batch.as_of,
            },
            "cases": cases,
            "control": {
                "case_count": len(batch.cases),
                "item_count": batch.item_count,
                "totals": {c: m.amount for c, m in sorted(batch.totals().items())},
            },
        }
        data = json.dumps(document, default=_json_value, indent=2, ensure_ascii=False)
        notes = self._sweep()
        with self._transport.publish(self._options.outbox, name) as (writer, upload):
            writer.write(data.encode("utf-8"))
        return Delivery(
            self._transport.channel,
            upload.location,
            batch.item_count,
            upload.bytes,
            upload.sha256,
            notes,
        )

    def _submit_xml(self, batch: HandoverBatch, name: str) -> Delivery:
        mapping = self._handover
        counts: dict[str, tuple[int, int]] = {}
        for case in batch.cases:
            in_cases, in_items = counts.get(case.currency, (0, 0))
            counts[case.currency] = (in_cases + 1, in_items + len(case.items))
        cases = (
            Record(
                mapping.write("case", case_record(batch, case)),
                {
                    "item": [
                        Record(mapping.write("item", item_record(item, batch.as_of)))
                        for item in case.items
                    ]
                },
                case.reference,
            )
            for case in batch.cases
        )
        totals = [
            Record(
                {
                    "currency": currency,
                    "total": money.amount,
                    "case_count": counts[currency][0],
                    "item_count": counts[currency][1],
                },
                label=currency,
            )
            for currency, money in sorted(batch.totals().items())
        ]
        file = Record(
            {
                "batch_reference": batch.reference,
                "agency": batch.agency,
                "created_at": batch.created_at,
                "as_of": batch.as_of,
                "case_count": len(batch.cases),
                "item_count": batch.item_count,
            },
            {"case": cases, "total": totals},
        )
        totals_ = {c: m.amount for c, m in batch.totals().items()}
        return self._publish_xml(
            mapping, name, file, batch.item_count, totals_, cases=len(batch.cases)
        )

    def _publish_xml(
        self,
        mapping: CompiledMapping,
        name: str,
        file: Record,
        records: int,
        totals: dict[str, Decimal],
        batch: DeliveryBatch | None = None,
        **extra: Any,
    ) -> Delivery:
        if mapping.xml is None:
            raise ConfigurationError(f"mapping {mapping.name!r} does not write XML")
        outbox = self._options.outbox
        notes = self._sweep()
        there = already_published(self._transport, outbox, name, batch)
        if there is not None:
            notes += (f"{name} was already written by an earlier attempt: not written again",)
            with self._transport.fetch(outbox, name) as copy:
                location, size, digest = (
                    self._transport.location(outbox, name),
                    copy.size,
                    copy.sha256,
                )
        else:
            upload, _ = publish_xml(self._transport, outbox, name, mapping.xml, file)
            location, size, digest = upload.location, upload.bytes, upload.sha256
        if self._options.manifest:
            body = manifest_bytes(name, digest, records, totals, _now(), **extra)
            with self._transport.publish(outbox, name + MANIFEST_SUFFIX) as (writer, _):
                writer.write(body)
        return Delivery(self._transport.channel, location, records, size, digest, notes)

    def send_notices(
        self, notices: Sequence[AgencyNotice], batch: DeliveryBatch | None = None
    ) -> Delivery:
        """One notices file per batch, named after it: sent again, the same batch keeps its
        name, and a file still there is not written again; each line carries its notice id
        for the agency to skip one it has seen (docs/agency-files.md)."""
        if batch is None:
            batch = DeliveryBatch(uuid.uuid4().hex[:12], datetime.now(UTC))
        mapping = self._notices
        ext = "xml" if mapping.xml is not None else "csv"
        name = self._options.notices_filename.format(
            timestamp=batch.timestamp, batch=batch.key, ext=ext
        )
        try:
            rows = [list(mapping.write("fields", notice_record(n)).values()) for n in notices]
        except RecordError as exc:
            raise ConfigurationError(f"notices mapping {mapping.name!r}: {exc}") from None
        totals: dict[str, Decimal] = {}
        for notice in notices:
            if notice.amount is not None:
                currency = notice.amount.currency
                totals[currency] = totals.get(currency, Decimal(0)) + notice.amount.amount
        if mapping.xml is not None:
            columns = mapping.columns_of("fields")
            file = Record(
                {"agency": self.name, "created_at": datetime.now(UTC), "notice_count": len(rows)},
                {
                    "notice": [
                        Record(dict(zip(columns, row, strict=True)), label=n.notice_id)
                        for row, n in zip(rows, notices, strict=True)
                    ],
                    "total": [
                        Record({"currency": c, "total": t, "notice_count": len(rows)}, label=c)
                        for c, t in sorted(totals.items())
                    ],
                },
            )
            return self._publish_xml(mapping, name, file, len(rows), totals, batch)
        return self._publish_csv(name, mapping.columns_of("fields"), rows, totals, batch)

    def _sweep(self) -> tuple[str, ...]:
        """Remove our stale partial files from the outbox folder (docs/agency-files.md)."""
        options = self._options
        templates = (options.handover_filename, options.notices_filename)
        return sweep_note(
            sweep_partials(
                self._transport,
                options.outbox,
                templates + tuple(t + MANIFEST_SUFFIX for t in templates),
                options.transport.stale_partials_after,
            )
        )

    def _publish_csv(
        self,
        name: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        totals: dict[str, Decimal],
        batch: DeliveryBatch | None = None,
        **extra: Any,
    ) -> Delivery:
        outbox = self._options.outbox
        notes = self._sweep()
        there = already_published(self._transport, outbox, name, batch)
        if there is not None:
            notes += (f"{name} was already written by an earlier attempt: not written again",)
            location, size, digest = self._transport.location(outbox, name), there.size, None
        else:
            with self._transport.publish(outbox, name) as (writer, upload):
                write_csv(writer, self._handover_dialect, columns, rows, name)
            location, size, digest = upload.location, upload.bytes, upload.sha256
        manifest = name + MANIFEST_SUFFIX
        if self._options.manifest and (
            digest is not None or self._transport.stat(outbox, manifest) is None
        ):
            if digest is None:
                with self._transport.fetch(outbox, name) as copy:
                    digest = copy.sha256
            body = manifest_bytes(name, digest, len(rows), totals, _now(), **extra)
            with self._transport.publish(outbox, manifest) as (writer, _):
                writer.write(body)
        return Delivery(self._transport.channel, location, len(rows), size, digest, notes)

    # --- in ----------------------------------------------------------------------------------

    def fetch_updates(self) -> Iterator[_StatusFile]:
        folder = self._options.inbox.folder
        files = list(self._inbox.pending())
        if not files:
            return
        present = {e.name for e in self._transport.list(folder)}
        for file in files:
            manifest = file.name + MANIFEST_SUFFIX
            has_manifest = manifest in present
            if self._options.require_manifest and not has_manifest:
                continue  # the agency publishes the manifest last: the file is not complete yet
            with self._transport.fetch(folder, file.name) as copy:
                control = None
                if has_manifest:
                    with self._transport.fetch(folder, manifest) as manifest_copy:
                        raw = manifest_copy.path.read_bytes()
                    control = parse_manifest(raw, file.name, copy.sha256)
                yield _StatusFile(
                    file,
                    copy,
                    self._events_dialect,
                    self._transport.channel,
                    control,
                    manifest if has_manifest else None,
                    self._events,
                )

    def requeue(self, label: str, sha256: str | None = None) -> str:
        """Put a status file set aside in the error folder back into the inbox, with its
        manifest if it had one (`SetAside`)."""
        name = self._inbox.requeue(label, sha256)
        with contextlib.suppress(FileNotFoundError):  # it came without a manifest
            self._inbox.requeue(label + MANIFEST_SUFFIX)
        return name

    def check(self) -> list[CheckResult]:
        return [
            self._transport.check(self._options.outbox, writable=True),
            self._transport.check(self._options.inbox.folder, writable=True),
        ]

    def close(self) -> None:
        self._transport.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal | datetime) or hasattr(value, "isoformat"):
        return cell_text(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
