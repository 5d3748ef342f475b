"""DSO, count-back DSO, best possible DSO, average days delinquent and CEI from the history and
a credit sales feed read from CSV exports. Expected figures are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.kpi.dso import dso_report
from gateway.kpi.sales import load_sales
from gateway.storage.database import Store
from gateway.storage.models import (
    CreditSalesRow,
    KpiSnapshotRow,
    KpiSnapshotTotalRow,
    QuarantinedRecordRow,
    TransferRow,
)
from tests.conftest import Workspace

SALES_FEED = """
sales:
  ledger:
    connector: csv
    mapping: preset:sales-csv
    options:
      inbox: {folder: erp/sales, pattern: "sales_*.csv", settle_seconds: 0}
"""


def add_sales_feed(workspace: Workspace, lines: list[str], name: str = "sales_1.csv") -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    if "\nsales:" not in text:
        workspace.config_path.write_text(text + SALES_FEED, encoding="utf-8")
    folder = workspace.path("erp", "sales")
    folder.mkdir(parents=True, exist_ok=True)
    body = "period,company_code,currency,amount\n" + "".join(f"{line}\n" for line in lines)
    (folder / name).write_text(body, encoding="utf-8")


def keep_snapshot(store: Store, day: date, total: int, current: int, code: str = "1000") -> None:
    """A snapshot of `day` with `current` not yet due and the rest 1-30 days overdue."""
    with store.unit_of_work() as session:
        row = KpiSnapshotRow(
            source="erp",
            transfer_id=int(day.strftime("%Y%m%d")),
            taken_on=day,
            taken_at=datetime(day.year, day.month, day.day, 20, tzinfo=UTC),
            bucket_edges="30,60,90,180",
            company_codes=code,
        )
        session.add(row)
        session.flush()
        for bucket, amount in ((0, current), (1, total - current)):
            session.add(
                KpiSnapshotTotalRow(
                    snapshot_id=row.id,
                    company_code=code,
                    currency="EUR",
                    segment="",
                    agency="",
                    bucket=bucket,
                    items=1,
                    open_minor=amount,
                )
            )


def figures(report, code: str = "1000") -> dict[str, object]:  # type: ignore[no-untyped-def]
    (line,) = [ln for ln in report.lines if ln.company_code == code]
    return {f.name: (f.value if f.value is not None else f.reason) for f in line.figures}


def test_every_figure_from_the_sales_feed_and_the_history(
    workspace: Workspace, store: Store
) -> None:
    add_sales_feed(
        workspace,
        ["2026-09,1000,EUR,70000.00", "2026-10,1000,EUR,80000.00", "2026-11,1000,EUR,100000.00"],
    )
    (loaded,) = load_sales(workspace.context(store), "ledger")
    assert (loaded.status, loaded.months, loaded.quarantined) == ("ok", 3, 0)
    keep_snapshot(store, date(2026, 8, 31), 230_000_00, 200_000_00)
    keep_snapshot(store, date(2026, 11, 29), 212_000_00, 150_000_00)
    with store.unit_of_work(read_only=True) as session:
        report = dso_report(session, date(2026, 11, 30), months=3)
    # Period Sep (30) + Oct (31) + Nov (30) = 91 days; sales 250,000.
    assert figures(report) == {
        # 212,000 / 250,000 x 91 = 77.168
        "dso": Decimal("77.2"),
        # Nov: 212,000 - 100,000 = 112,000 (30 d); Oct: 112,000 - 80,000 = 32,000 (61 d);
        # Sep: 32,000 / 70,000 x 30 = 13.714 -> 74.714
        "count_back_dso": Decimal("74.7"),
        # 150,000 / 250,000 x 91 = 54.6
        "best_possible_dso": Decimal("54.6"),
        # 62,000 / 250,000 x 91 = 22.568
        "average_days_delinquent": Decimal("22.6"),
        # (230,000 + 250,000 - 212,000) / (230,000 + 250,000 - 150,000) = 268 / 330 = 81.21 %
        "cei": Decimal("81.2"),
    }
    assert report.lines[0].snapshot_on == date(2026, 11, 29)


def test_what_cannot_be_computed_says_why(workspace: Workspace, store: Store) -> None:
    keep_snapshot(store, date(2026, 11, 30), 1000_00, 500_00)
    with store.unit_of_work(read_only=True) as session:
        without_feed = figures(dso_report(session, date(2026, 11, 30), months=1))
    assert without_feed["dso"] == (
        "no credit sales feed is configured (`sales:` in the configuration)"
    )
    add_sales_feed(workspace, ["2026-11,1000,EUR,3000.00"])
    load_sales(workspace.context(store), "ledger")
    with store.unit_of_work(read_only=True) as session:
        short = figures(dso_report(session, date(2026, 11, 30), months=2))
        one = figures(dso_report(session, date(2026, 11, 30), months=1))
        stale = dso_report(session, date(2026, 12, 31), months=1)
        with pytest.raises(ValueError, match="2026-11-20 is not one"):
            dso_report(session, date(2026, 11, 20))
    assert short["dso"] == "no credit sales for 2026-10 (1000, EUR)"
    # count-back needs only the months it walks through: 1,000 of 3,000 in 30 days = 10.0
    assert short["count_back_dso"] == Decimal("10.0")
    assert one["dso"] == Decimal("10.0") and one["cei"] == (
        "no snapshot was taken on or before 2026-10-31"
    )
    assert "more than 7 days before" in figures(stale)["dso"]  # type: ignore[operator]


def test_a_bad_sales_line_is_quarantined_and_a_month_sent_again_replaces_it(
    workspace: Workspace, store: Store
) -> None:
    add_sales_feed(
        workspace,
        [
            "2026-10,1000,EUR,80000.00",
            "2026-13,1000,EUR,1.00",
            "2026-11,1000,EURO,1.00",
            "2026-10,1000,EUR,5.00",
        ],
    )
    (first,) = load_sales(workspace.context(store), "ledger")
    assert (first.status, first.months, first.quarantined) == ("partial", 1, 3)
    add_sales_feed(workspace, ["2026-10-31,1000,EUR,81000.00"], name="sales_2.csv")
    (second,) = load_sales(workspace.context(store), "ledger")
    assert second.status == "ok"
    with store.unit_of_work(read_only=True) as session:
        reasons = {q.position: q.reason for q in session.scalars(select(QuarantinedRecordRow))}
        (row,) = session.scalars(select(CreditSalesRow))
        kinds = {t.kind for t in session.scalars(select(TransferRow))}
    assert "not a month" in reasons["3"] and "unknown currency" in reasons["4"]
    assert "the same month is on line 2" in reasons["5"]
    assert (row.period, row.amount_minor) == (date(2026, 10, 1), 81_000_00)
    assert kinds == {"credit_sales"}
