"""Ageing and its history: each extraction keeps its totals, the aged balance of any past day
is read back from them, and the live aged balance is cut at any buckets. Expected amounts are
worked out by hand in the comments (days counted to 20 Nov 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.kpi.ageing import ageing_from_history, live_ageing, overdue_share
from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.history import totals_on, trend
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import KpiSnapshotRow
from tests.conftest import TODAY, Workspace
from tests.integration.helpers import export, item_line

# document, due date, amount → days past due on 20 Nov 2026 and bucket
WORKED = [
    ("A", "2026-11-25", "100.00"),  # -5  current
    ("B", "2026-11-20", "50.00"),  # 0   current
    ("C", "2026-11-19", "10.00"),  # 1   1-30
    ("D", "2026-10-21", "20.00"),  # 30  1-30
    ("E", "2026-10-20", "30.00"),  # 31  31-60
    ("F", "2026-08-22", "40.00"),  # 90  61-90
    ("G", "2026-08-21", "60.00"),  # 91  91-180
    ("H", "2026-05-24", "70.00"),  # 180 91-180
    ("I", "2026-05-23", "80.00"),  # 181 >180
    ("J", "2026-09-01", "-25.00"),  # 80 61-90 (a credit)
]
# current 150.00 · 1-30 30.00 · 31-60 30.00 · 61-90 15.00 · 91-180 130.00 · >180 80.00
EXPECTED = [150_00, 30_00, 30_00, 15_00, 130_00, 80_00]


def extract(workspace: Workspace, store: Store, as_of: date = TODAY) -> None:
    run_cycle(workspace.context(store, as_of), (Step.EXTRACT,))


def clean(workspace: Workspace) -> None:
    for path in workspace.path("erp", "exports").glob("*.csv"):
        path.unlink()


@pytest.fixture
def extracted(workspace: Workspace, store: Store) -> Store:
    clean(workspace)
    lines = [item_line(doc, amount=amount, due=due) for doc, due, amount in WORKED]
    lines.append(item_line("K", amount="5.00", due="2026-11-30", debtor="C2"))
    export(workspace.folder, "open_items_1.csv", lines)
    extract(workspace, store)
    return store


def test_an_extraction_keeps_its_totals_and_the_day_reads_them_back(extracted: Store) -> None:
    with extracted.unit_of_work(read_only=True) as session:
        (snapshot,) = session.scalars(select(KpiSnapshotRow))
        assert (snapshot.taken_on, snapshot.bucket_edges) == (TODAY, "30,60,90,180")
        ageing = ageing_from_history(session, TODAY)
        before = ageing_from_history(session, date(2026, 11, 19))
    (group,) = ageing.groups
    assert group.key == ("1000",) and group.currency == "EUR"
    # K (C2, 5.00, not yet due) adds to current
    assert group.buckets == [155_00, *EXPECTED[1:]]
    assert group.total == 440_00 and group.overdue == 285_00 and group.items == 11
    # 285 / 440 = 64.77 %
    assert overdue_share(group) == Decimal("64.8")
    assert before.groups == [] and "no snapshot was taken on or before 2026-11-19" in before.problem


def test_live_ageing_per_debtor_with_other_buckets(extracted: Store) -> None:
    with extracted.unit_of_work(read_only=True) as session:
        ageing = live_ageing(session, TODAY, AgeingBuckets(), by=("debtor", "currency"))
        coarse = live_ageing(session, TODAY, AgeingBuckets((90,)), by=("currency",))
        top = live_ageing(session, TODAY, AgeingBuckets(), by=("debtor",), limit=1)
    by_debtor = {g.key: g for g in ageing.groups}
    assert by_debtor[("erp", "C1")].buckets == EXPECTED
    assert by_debtor[("erp", "C2")].buckets == [5_00, 0, 0, 0, 0, 0]
    assert ageing.by == ("source", "debtor", "currency")
    # current 155.00 · 1-90: 30 + 30 + 15 = 75.00 · >90: 130 + 80 = 210.00
    assert coarse.groups[0].buckets == [155_00, 75_00, 210_00]
    assert [g.key for g in top.groups] == [("erp", "C1")]  # the largest overdue first


def test_history_of_several_days_and_the_trend(workspace: Workspace, extracted: Store) -> None:
    clean(workspace)
    # Ten days later, C1 paid everything but I (80.00, now 191 days past due) and J.
    export(
        workspace.folder,
        "open_items_2.csv",
        [
            item_line("I", amount="80.00", due="2026-05-23"),
            item_line("J", amount="-25.00", due="2026-09-01"),
        ],
    )
    later = date(2026, 11, 30)
    extract(workspace, extracted, later)
    with extracted.unit_of_work(read_only=True) as session:
        first = totals_on(session, date(2026, 11, 25))
        second = totals_on(session, later)
        points = trend(session, date(2026, 11, 1), date(2026, 12, 31))
        by_segment = totals_on(session, later, by=("segment", "currency"))
        with pytest.raises(ValueError, match="not per debtor"):
            totals_on(session, later, by=("debtor",))
    assert first.groups[0].total == 440_00
    # J: 90 days on 30 Nov -> 61-90 (-25.00); I: 191 days -> >180 (80.00)
    assert second.groups[0].buckets == [0, 0, 0, -25_00, 0, 80_00]
    assert [(p.day, p.groups[0].total) for p in points] == [(TODAY, 440_00), (later, 55_00)]
    assert by_segment.groups[0].key == ("",)
