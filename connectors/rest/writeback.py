"""ERP write-back through an API: each action becomes the requests its mapping lays out.

Actions are applied in the order given. When an action fails, the later actions on the same
item in this delivery are not attempted (they are reported failed and retriable), so that an
item never receives its actions out of order. When the server itself fails (unreachable,
refusing our credentials, overloaded), the delivery stops: what was applied is reported as
applied, the rest as failed with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.base import (
    AuthenticationFailed,
    CheckResult,
    ConfigurationError,
    ConnectorContext,
    ConnectorError,
    Delivery,
    DeliveryBatch,
    RemoteRejected,
    RetriableError,
    WriteBackResult,
)
from connectors.rest.client import RestClient
from connectors.rest.options import RestWriteBackOptions
from connectors.rest.paths import MISSING, ResponsePath
from gateway.domain.actions import WriteBackAction
from gateway.domain.items import ItemKey
from mappings import CompiledMapping, CompiledRequest, MappingKind, RecordError, TemplateError
from mappings.canonical import action_record
from mappings.targets import KINDS

__all__ = ["RestWriteBack"]

_WRITEBACK_FIELDS = frozenset(KINDS[MappingKind.WRITEBACK].sections["fields"])  # type: ignore[index]


def _empty(value: Any) -> bool:
    return value is MISSING or value is None or value == "" or value == [] or value == {}


class RestWriteBack:
    """The `rest` write-back (see docs/rest.md)."""

    Options = RestWriteBackOptions

    def __init__(self, options: RestWriteBackOptions, context: ConnectorContext) -> None:
        self.name = context.name
        self.options = options
        mapping = context.mappings.get("writeback")
        if mapping is None or mapping.requests is None:
            raise ConfigurationError(
                f"source {context.name}: the rest write-back needs a writeback mapping with a "
                "'requests' section (e.g. preset:tryton-writeback)"
            )
        self._mapping: CompiledMapping = mapping
        self._requests: Mapping[str, tuple[CompiledRequest, ...]] = mapping.requests
        self._check_requests()
        self._base_dir = context.base_dir
        self._client: RestClient | None = None

    def _check_requests(self) -> None:
        problems: list[str] = []
        fields = set(self._mapping.columns_of("fields"))
        for kind, requests in self._requests.items():
            known = {*self.options.variables, *_WRITEBACK_FIELDS, *fields}
            for request in requests:
                layout = request.layout
                if self.options.style == "json_rpc" and layout.call is None:
                    problems.append(f"{request.where}: style json_rpc needs a `call`")
                if self.options.style == "json" and layout.call is not None:
                    problems.append(f"{request.where}: `call` needs style json_rpc")
                unknown = sorted(request.names - known)
                if unknown:
                    problems.append(
                        f"{request.where}: unknown placeholder(s) "
                        f"{', '.join('{' + u + '}' for u in unknown)} (not a canonical field, "
                        f"a mapping field, a variable or an earlier capture of {kind})"
                    )
                known |= request.captures
        if problems:
            raise ConfigurationError(
                f"source {self.name}: write-back mapping {self._mapping.name!r} does not fit "
                "the connector:\n  " + "\n  ".join(problems)
            )

    def client(self) -> RestClient:
        if self._client is None:
            self._client = RestClient(self.options, self.name, self._base_dir)
        return self._client

    def apply(
        self, actions: Sequence[WriteBackAction], batch: DeliveryBatch | None = None
    ) -> WriteBackResult:
        """Apply `actions` in order (see the module docstring). Each request stands alone:
        the batch's identity is not needed, an action applied before is found by its id (the
        mapping's `applied_if` requests).

        Raises:
            ConnectorError: the server failed before any action could be applied.
        """
        failed: dict[str, tuple[str, bool]] = {}
        stopped: dict[ItemKey, str] = {}
        cache: dict[bytes, Any] = {}
        applied = 0
        for index, action in enumerate(actions):
            if action.item in stopped:
                reason = (
                    f"not applied: an earlier action on this item failed ({stopped[action.item]})"
                )
                failed[action.action_id] = (reason, True)
                continue
            try:
                self._apply(action, cache)
            except (AuthenticationFailed, RetriableError) as exc:
                # the server, not this action: stop here
                if applied == 0 and not failed:
                    raise
                for rest in actions[index:]:
                    if rest.action_id not in failed:
                        failed[rest.action_id] = (f"not applied: {exc}", exc.retriable)
                break
            except ConnectorError as exc:
                failed[action.action_id] = (str(exc), exc.retriable)
                stopped[action.item] = str(exc)
                continue
            applied += 1
        delivery = Delivery("rest", self.options.base_url, applied)
        return WriteBackResult(delivery, failed)

    def _apply(self, action: WriteBackAction, cache: dict[bytes, Any]) -> None:
        record = action_record(action)
        try:
            mapped = self._mapping.write("fields", record)
        except RecordError as exc:
            raise ConfigurationError(
                f"write-back mapping {self._mapping.name!r} cannot lay out action "
                f"{action.action_id}: {exc}"
            ) from None
        values: dict[str, Any] = {**self.options.variables, **record, **mapped}
        client = self.client()
        absent: set[str] = set()  # optional captures that found nothing
        skip = False  # the previous request found this one made by an earlier delivery
        for request in self._requests[action.kind.value]:
            layout = request.layout
            if skip or request.names & absent:
                absent |= request.captures
                skip = False
                continue
            try:
                call = client.prepare(request, values)
            except TemplateError as exc:
                raise ConfigurationError(str(exc)) from None
            key = client.codec.dumps([call.method, call.url, call.query, call.rpc, call.payload])
            if layout.cache and key in cache:
                payload = cache[key]
            else:
                try:
                    payload = client.send(call).payload
                except ConnectorError as exc:
                    raise type(exc)(f"{request.where}: {exc}") from None
                if layout.cache:
                    cache[key] = payload
            if layout.applied_if and not _empty(ResponsePath(layout.applied_if).find(payload)):
                return  # applied by an earlier delivery
            if layout.skip_next_if:
                skip = not _empty(ResponsePath(layout.skip_next_if).find(payload))
            for name, path in layout.capture.items():
                found = ResponsePath(path).find(payload)
                if _empty(found):
                    if layout.optional:
                        absent.add(name)
                        continue
                    raise RemoteRejected(
                        f"{request.where}: found nothing at {path or '(the answer)'} for "
                        f"{{{name}}} (action {action.action_id}, item {action.item})"
                    )
                values[name] = found

    def check(self) -> list[CheckResult]:
        """Log in (session, OAuth); fixed credentials are checked at the first delivery."""
        try:
            self.client().credentials.headers()
        except ConnectorError as exc:
            return [CheckResult(f"credentials at {self.options.base_url}", False, str(exc))]
        return [CheckResult(f"credentials at {self.options.base_url}", True)]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
