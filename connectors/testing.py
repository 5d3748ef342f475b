"""The conformance kit: tests every connector of a role must pass.

A connector's test module subclasses the class for its role and provides the fixtures it asks
for; pytest then runs the shared tests against that connector:

    class TestCsvSource(SourceConformance):
        @pytest.fixture
        def source(self, tmp_path): ...          # a working source with records waiting
        @pytest.fixture
        def expected_records(self): return 3

The kit checks what the gateway relies on (the protocols of connectors/base.py), not what each
connector does beyond them; each connector keeps its own tests for that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.base import (
    AgencyChannel,
    CheckResult,
    Delivery,
    Outcome,
    RecordStream,
    Snapshot,
    Source,
    WriteBack,
    WriteBackResult,
)
from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.handover import AgencyNotice, HandoverBatch, HandoverCase, NoticeKind
from gateway.domain.items import Debtor, ItemKey, OpenItem
from gateway.domain.money import Money

__all__ = [
    "AgencyChannelConformance",
    "SourceConformance",
    "WriteBackConformance",
    "sample_actions",
    "sample_batch",
]

AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _options_are_strict(cls: Any) -> None:
    options = cls.Options
    assert issubclass(options, BaseModel), "a connector's Options is a Pydantic model"
    assert options.model_config.get("extra") == "forbid", "unknown option keys must be refused"


def sample_batch(reference: str = "CB-B000001") -> HandoverBatch:
    """A small batch of two cases in two currencies."""
    debtor = Debtor("100231", "Müller Maschinenbau GmbH", country="DE", city="Stuttgart")

    def item(doc: str, amount: str, currency: str) -> OpenItem:
        money = Money.of(amount, currency)
        return OpenItem(
            key=ItemKey("erp", "1000", doc, 2026, "001"),
            debtor_number=debtor.number,
            document_date=date(2026, 7, 1),
            posting_date=date(2026, 7, 1),
            net_due_date=date(2026, 8, 1),
            amount=money,
            open_amount=money,
            dunning_level=3,
        )

    cases = [
        HandoverCase(
            "CB-0000001",
            "acme",
            debtor,
            [item("1800000001", "1250.00", "EUR"), item("1800000002", "980.40", "EUR")],
            Money.zero("EUR"),
            Money.zero("EUR"),
        ),
        HandoverCase(
            "CB-0000002",
            "acme",
            debtor,
            [item("1800000003", "3400.00", "GBP")],
            Money.zero("GBP"),
            Money.zero("GBP"),
        ),
    ]
    return HandoverBatch(reference, "acme", NOW, AS_OF, cases)


def sample_actions() -> list[WriteBackAction]:
    """One action of each kind, on two items."""
    k1 = ItemKey("erp", "1000", "1800000001", 2026, "001")
    k2 = ItemKey("erp", "1000", "1800000002", 2026, "001")
    base = {
        "case_reference": "CB-0000001",
        "agency": "acme",
        "occurred_at": NOW,
        "currency": "EUR",
        "debtor_number": "100231",
    }
    return [
        WriteBackAction("a1", ActionKind.SET_DUNNING_BLOCK, k1, dunning_block="I", **base),  # type: ignore[arg-type]
        WriteBackAction("a2", ActionKind.ADD_NOTE, k1, text="Handed over", **base),  # type: ignore[arg-type]
        WriteBackAction("a3", ActionKind.RECORD_STATUS, k2, status="in_progress", **base),  # type: ignore[arg-type]
        WriteBackAction("a4", ActionKind.POST_PAYMENT, k2, amount=10_000, interest=150, **base),  # type: ignore[arg-type]
        WriteBackAction("a5", ActionKind.CLEAR_DUNNING_BLOCK, k1, dunning_block="I", **base),  # type: ignore[arg-type]
    ]


class SourceConformance:
    """Fixtures to provide: `source` (with records waiting), `expected_records` (how many the
    waiting snapshots hold in all), `repeatable` (True if a settled snapshot is offered again,
    as an API source does; False for files)."""

    @pytest.fixture
    def repeatable(self) -> bool:
        return False

    def test_options_are_a_strict_model(self, source: Source) -> None:
        _options_are_strict(type(source))

    def test_snapshots_stream_positioned_records(
        self, source: Source, expected_records: int
    ) -> None:
        count = 0
        for snapshot in source.snapshots(AS_OF):
            assert isinstance(snapshot, Snapshot)
            assert snapshot.label and snapshot.channel
            stream = snapshot.open()
            assert isinstance(stream, RecordStream)
            positions = set()
            for record in stream.records:
                if stream.columns is not None:
                    assert isinstance(record.values, Sequence)
                    if not record.problem:
                        assert len(record.values) == len(stream.columns)
                else:
                    assert isinstance(record.values, Mapping)
                assert record.position not in positions, "positions identify records"
                positions.add(record.position)
                count += 1
            snapshot.settle(Outcome.PROCESSED)
        assert count == expected_records

    def test_a_processed_snapshot_is_not_offered_again_unless_repeatable(
        self, source: Source, repeatable: bool
    ) -> None:
        first = []
        for snapshot in source.snapshots(AS_OF):
            first.append(snapshot.label)
            snapshot.settle(Outcome.PROCESSED)
        assert first, "records were waiting"
        again = [s.label for s in source.snapshots(AS_OF)]
        assert bool(again) is repeatable

    def test_check_reports_results(self, source: Source) -> None:
        results = source.check()
        assert results and all(isinstance(r, CheckResult) for r in results)
        assert all(r.ok for r in results), [r for r in results if not r.ok]


class WriteBackConformance:
    """Fixtures to provide: `writeback` (working), and `applied(writeback)`: a function that
    returns the action ids the ERP side now holds, in the order applied."""

    def test_options_are_a_strict_model(self, writeback: WriteBack) -> None:
        _options_are_strict(type(writeback))

    def test_apply_applies_every_action_in_order(self, writeback: WriteBack, applied: Any) -> None:
        actions = sample_actions()
        result = writeback.apply(actions)
        assert isinstance(result, WriteBackResult)
        assert result.failed == {}
        assert applied(writeback) == [a.action_id for a in actions]
        if result.delivery is not None:
            assert isinstance(result.delivery, Delivery)
            assert result.delivery.records == len(actions)

    def test_check_reports_results(self, writeback: WriteBack) -> None:
        results = writeback.check()
        assert results and all(r.ok for r in results)


class AgencyChannelConformance:
    """Fixtures to provide: `channel` (working), `received(channel)`: the case references the
    agency side now holds (each once), and `send_update(channel, lines)`: makes the agency
    report events (canonical dicts) so that `fetch_updates` finds them."""

    def test_options_are_a_strict_model(self, channel: AgencyChannel) -> None:
        _options_are_strict(type(channel))

    def test_a_batch_delivered_twice_is_received_once(
        self, channel: AgencyChannel, received: Any
    ) -> None:
        batch = sample_batch()
        first = channel.submit(batch)
        second = channel.submit(batch)
        assert first.records == second.records == batch.item_count
        assert first.location == second.location, "the same batch keeps its name"
        assert sorted(received(channel)) == ["CB-0000001", "CB-0000002"]

    def test_notices_are_delivered(self, channel: AgencyChannel) -> None:
        notices = [
            AgencyNotice("n1", NoticeKind.RECALL, "CB-0000001", "acme", NOW),
            AgencyNotice(
                "n2",
                NoticeKind.DIRECT_PAYMENT,
                "CB-0000002",
                "acme",
                NOW,
                amount=Money.of("100.00", "GBP"),
            ),
        ]
        delivery = channel.send_notices(notices)
        assert delivery.records == 2

    def test_updates_come_back_once(self, channel: AgencyChannel, send_update: Any) -> None:
        send_update(channel, [{"event_id": "E1", "case_reference": "CB-0000001", "status": "ACK"}])
        snapshots = list(channel.fetch_updates())
        assert len(snapshots) == 1
        records = list(snapshots[0].open().records)
        assert len(records) == 1
        snapshots[0].settle(Outcome.PROCESSED)
        assert list(channel.fetch_updates()) == []

    def test_check_reports_results(self, channel: AgencyChannel) -> None:
        results = channel.check()
        assert results and all(r.ok for r in results)
