"""Open items from an ERP's API: one run of the configured request, page by page, is one
snapshot (a full picture of its company codes)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urljoin

from connectors.base import (
    CheckResult,
    ConfigurationError,
    ConnectorContext,
    ConnectorError,
    Outcome,
    RawRecord,
    RecordStream,
)
from connectors.rest.client import RestClient
from connectors.rest.options import RestSourceOptions
from connectors.rest.pagination import PAGE_VARIABLES, check_pagination, pages
from connectors.rest.paths import MISSING, ResponsePath, flatten
from mappings import compile_request

__all__ = ["RestSnapshot", "RestSource"]


class RestSnapshot:
    """One run of the source request; its records stream page by page as they are read."""

    def __init__(self, source: RestSource, as_of: date) -> None:
        self._source = source
        self._as_of = as_of
        self._bytes = 0

    @property
    def label(self) -> str:
        return self._source.label

    @property
    def channel(self) -> str:
        return "rest"

    @property
    def sha256(self) -> str | None:
        return None  # an API run is never "the same file again"

    @property
    def size(self) -> int | None:
        return self._bytes

    @property
    def company_codes(self) -> Sequence[str] | None:
        return self._source.options.company_codes

    def open(self) -> RecordStream:
        return RecordStream(None, self._records())

    def settle(self, outcome: Outcome, reason: str = "") -> None:
        """Nothing to archive: the next run asks the API again."""

    def _records(self) -> Iterator[RawRecord]:
        source = self._source
        options = source.options
        identify = ResponsePath(options.record_id) if options.record_id else None
        values = {**options.variables, "as_of": self._as_of}
        number = 0
        for records, size in pages(
            source.client(),
            source.request,
            values,
            options.pagination,
            source.records_path,
            self.label,
        ):
            self._bytes += size
            for record in records:
                number += 1
                yield _raw(record, number, identify, options.flatten)


def _raw(record: Any, number: int, identify: ResponsePath | None, flat: bool) -> RawRecord:
    if not isinstance(record, Mapping):
        problem = f"record {number} is a {type(record).__name__}, not a JSON object"
        return RawRecord(number, {"value": record}, problem)
    position: int | str = number
    if identify is not None:
        found = identify.find(record)
        if found is not MISSING and found is not None and found != "":
            position = str(found)
    return RawRecord(position, flatten(record) if flat else dict(record))


class RestSource:
    """The `rest` source (see connectors/rest/options.py and docs/rest.md)."""

    Options = RestSourceOptions

    def __init__(self, options: RestSourceOptions, context: ConnectorContext) -> None:
        self.name = context.name
        self.options = options
        self._base_dir = context.base_dir
        where = f"source {context.name}: options.request"
        self.request = compile_request(options.request, where)
        check_pagination(options.pagination, self.request, where)
        known = {*options.variables, *PAGE_VARIABLES, "as_of"}
        unknown = sorted(self.request.names - known)
        if unknown:
            raise ConfigurationError(
                f"{where}: unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)} "
                f"(known: as_of, page, offset, limit, cursor and the variables "
                f"{', '.join(options.variables) or '(none)'})"
            )
        self.records_path = ResponsePath(options.records)
        layout = options.request
        if layout.call is not None:
            self.label = f"JSON-RPC {layout.call} at {options.base_url}"
        else:
            target = urljoin(options.base_url, layout.path.lstrip("/"))
            self.label = f"{layout.http_method} {target}"
        self._client: RestClient | None = None

    def client(self) -> RestClient:
        if self._client is None:
            self._client = RestClient(self.options, self.name, self._base_dir)
        return self._client

    def snapshots(self, as_of: date) -> Iterator[RestSnapshot]:
        yield RestSnapshot(self, as_of)

    def check(self) -> list[CheckResult]:
        """Log in and read the first page."""
        today = date.today()  # noqa: DTZ011 - the local business date, as `run` takes it
        try:
            first = next(
                pages(
                    self.client(),
                    self.request,
                    {**self.options.variables, "as_of": today},
                    self.options.pagination,
                    self.records_path,
                    self.label,
                ),
                None,
            )
        except ConnectorError as exc:
            return [CheckResult(f"first page of {self.label}", False, str(exc))]
        count = len(first[0]) if first else 0
        return [CheckResult(f"first page of {self.label}", True, f"{count} record(s)")]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
