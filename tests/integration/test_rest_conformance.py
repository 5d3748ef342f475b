"""The rest source and write-back pass the conformance kit (connectors/testing.py), against a
real HTTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorContext
from connectors.rest import RestSource, RestSourceOptions, RestWriteBack, RestWriteBackOptions
from connectors.testing import SourceConformance, WriteBackConformance
from mappings import parse_mapping
from tests.integration.local_api import LocalApi, Reply, Seen, serve

WRITEBACK = """
name: conformance
kind: writeback
requests:
  set_dunning_block: [{path: "items/{line_item}/block", body: {id: "{action_id}"}}]
  clear_dunning_block:
    - {method: DELETE, path: "items/{line_item}/block", query: {id: "{action_id}"}}
  add_note: [{path: "items/{line_item}/notes", body: {id: "{action_id}", text: "{text}"}}]
  record_status: [{method: PUT, path: "items/{line_item}/status", body: {id: "{action_id}"}}]
  post_payment: [{path: "payments", body: {id: "{action_id}", amount: "{amount}"}}]
"""


@pytest.fixture
def api() -> Iterator[LocalApi]:
    yield from serve()


class TestRestSource(SourceConformance):
    @pytest.fixture
    def repeatable(self) -> bool:
        return True  # an API is asked again at every run

    @pytest.fixture
    def source(self, api: LocalApi, tmp_path: Path) -> RestSource:
        records = [{"id": n, "document": f"D{n}"} for n in range(1, 8)]

        def page(seen: Seen) -> Reply:
            offset, limit = int(seen.query["offset"]), int(seen.query["limit"])
            return Reply(body={"items": records[offset : offset + limit]})

        api.route("GET", "/open-items", page)
        options = RestSourceOptions.model_validate(
            {
                "base_url": api.url,
                "request": {
                    "path": "open-items",
                    "query": {"offset": "{offset}", "limit": "{limit}"},
                },
                "records": "items",
                "pagination": {"kind": "offset", "size": 3},
            }
        )
        return RestSource(options, ConnectorContext("erp", tmp_path))

    @pytest.fixture
    def expected_records(self) -> int:
        return 7


class TestRestWriteBack(WriteBackConformance):
    @pytest.fixture
    def writeback(self, api: LocalApi, tmp_path: Path) -> RestWriteBack:
        def accept(seen: Seen) -> Reply:
            return Reply(201, {"ok": True})

        for method, path in (
            ("POST", "/items/001/block"),
            ("DELETE", "/items/001/block"),
            ("POST", "/items/001/notes"),
            ("PUT", "/items/001/status"),
            ("POST", "/payments"),
        ):
            api.route(method, path, accept)
        options = RestWriteBackOptions.model_validate({"base_url": api.url})
        mapping = parse_mapping(WRITEBACK, "conformance.yaml")
        return RestWriteBack(options, ConnectorContext("erp", tmp_path, {"writeback": mapping}))

    @pytest.fixture
    def applied(self, api: LocalApi) -> Any:
        def action_ids(_: RestWriteBack) -> list[str]:
            return [s.query["id"] if s.method == "DELETE" else s.json()["id"] for s in api.seen]

        return action_ids
