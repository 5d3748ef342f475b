"""The foundation's connectors pass the conformance kit (connectors/testing.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from connectors.agency_files import FileAgencyChannel, FileAgencyOptions
from connectors.base import ConnectorContext
from connectors.csv_sftp import CsvSource, CsvSourceOptions, CsvWriteBack, CsvWriteBackOptions
from connectors.testing import AgencyChannelConformance, SourceConformance, WriteBackConformance
from mappings import load_mapping
from tests.integration.helpers import HEADER, item_line


class TestCsvSource(SourceConformance):
    @pytest.fixture
    def source(self, tmp_path: Path) -> CsvSource:
        (tmp_path / "in").mkdir()
        for name, docs in (("open_items_1.csv", ["D1", "D2"]), ("open_items_2.csv", ["D3"])):
            (tmp_path / "in" / name).write_text(HEADER + "".join(item_line(d) + "\n" for d in docs))
        options = CsvSourceOptions.model_validate({"inbox": {"folder": "in", "settle_seconds": 0}})
        context = ConnectorContext(
            "erp", tmp_path, {"open_items": load_mapping("preset:generic-opos")}
        )
        return CsvSource(options, context)

    @pytest.fixture
    def expected_records(self) -> int:
        return 3


class TestCsvWriteBack(WriteBackConformance):
    @pytest.fixture
    def writeback(self, tmp_path: Path) -> CsvWriteBack:
        options = CsvWriteBackOptions(folder="out")
        context = ConnectorContext(
            "erp", tmp_path, {"writeback": load_mapping("preset:writeback-csv")}
        )
        (tmp_path / "out").mkdir()
        return CsvWriteBack(options, context)

    @pytest.fixture
    def applied(self, tmp_path: Path) -> Any:
        def action_ids(_: CsvWriteBack) -> list[str]:
            ids: list[str] = []
            for path in sorted((tmp_path / "out").glob("*.csv")):
                ids += [row["action_id"] for row in csv.DictReader(io.StringIO(path.read_text()))]
            return ids

        return action_ids


class TestFileAgencyChannel(AgencyChannelConformance):
    @pytest.fixture
    def channel(self, tmp_path: Path) -> FileAgencyChannel:
        for folder in ("to", "from"):
            (tmp_path / folder).mkdir()
        options = FileAgencyOptions.model_validate(
            {
                "outbox": "to",
                "inbox": {"folder": "from", "pattern": "status_*.csv", "settle_seconds": 0},
            }
        )
        mappings = {
            "handover": load_mapping("preset:handover-standard"),
            "agency_events": load_mapping("preset:agency-events-csv"),
            "notices": load_mapping("preset:notices-csv"),
        }
        return FileAgencyChannel(options, ConnectorContext("acme", tmp_path, mappings))

    @pytest.fixture
    def received(self, tmp_path: Path) -> Any:
        def references(_: FileAgencyChannel) -> list[str]:
            found: set[str] = set()
            for path in (tmp_path / "to").glob("handover_*.csv"):
                found |= {
                    row["case_reference"] for row in csv.DictReader(io.StringIO(path.read_text()))
                }
            return list(found)

        return references

    @pytest.fixture
    def send_update(self, tmp_path: Path) -> Any:
        def write(_: FileAgencyChannel, lines: list[dict[str, str]]) -> None:
            text = "event_id,case_reference,occurred_at,status\n" + "".join(
                f"{e['event_id']},{e['case_reference']},2026-11-20T10:00:00Z,{e['status']}\n"
                for e in lines
            )
            (tmp_path / "from" / "status_1.csv").write_text(text)

        return write
