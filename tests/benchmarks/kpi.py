"""KPI benchmark: each KPI page's query over N open items and S snapshots, against its floor.

The floor is the same aggregate written by hand in SQL and run on the bare driver (sqlite3, or
psycopg for PostgreSQL) with the same bound dates; claimbridge's figure is the page's function
(gateway.kpi) on a SQLAlchemy session, as the API and the CLI call it. Both run in turn on the
same database, best of `--repeat`; the ratio is claimbridge ÷ floor (target ≤ 1.5) and each
page must answer under a second. The two answers are compared: a page that disagrees with its
floor stops the run.

    python -m tests.benchmarks.kpi                                   # 1,000,000 items, SQLite
    python -m tests.benchmarks.kpi --database-url postgresql+psycopg://postgres@127.0.0.1/x
    python -m tests.benchmarks.kpi --rows 20000 --snapshots 10 --json --repeat 1

The database is built once (not measured): debtors, items (a tenth of them cleared), cases
with agency events (payments, promises), S snapshots' totals, 24 months of credit sales; the
debtors' scores are computed by claimbridge itself (timed and printed, not a page). A
PostgreSQL URL names a server: the benchmark creates its own database there and drops it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from gateway.domain.cases import AT_AGENCY, CaseState
from gateway.kpi.buckets import AgeingBuckets
from gateway.storage.database import Store, create_store
from gateway.storage.migrations import upgrade
from gateway.storage.models import (
    CaseEventRow,
    CaseItemRow,
    CaseRow,
    CreditSalesRow,
    DebtorRow,
    KpiSnapshotRow,
    KpiSnapshotTotalRow,
    OpenItemRow,
)

AS_OF = date(2026, 11, 20)
BUCKETS = AgeingBuckets()
CUSTOM = AgeingBuckets((15, 45, 120))  # buckets no snapshot was cut at: the items are read
COMPANIES = ("1000", "2000", "3000")
CURRENCIES = ("EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "USD", "GBP", "CHF", "EUR")
SEGMENTS = ("", "VIP", "small", "strategic")
AGENCIES = ("acme", "beta", "gamma")
PAGE_TARGET_SECONDS = 1.0
RATIO_TARGET = 1.5
CHUNK = 10_000


# --- building the database -----------------------------------------------------------------


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def build(store: Store, rows: int, snapshots: int, seed: int = 20261120) -> dict[str, Any]:
    """Fill a migrated, empty database; returns what the pages are asked about."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 20, 6, tzinfo=UTC)
    debtors = max(10, rows // 50)
    cases = max(10, rows // 50)

    def debtor_rows() -> Iterator[dict[str, Any]]:
        for d in range(debtors):
            yield {
                "source": "erp",
                "number": f"{100000 + d}",
                "name": f"Customer {d}",
                "segment": SEGMENTS[d % len(SEGMENTS)],
                "updated_at": now,
            }

    def item_rows() -> Iterator[dict[str, Any]]:
        for n in range(rows):
            due = AS_OF - timedelta(days=rng.randrange(-30, 400))
            amount = rng.randrange(-20_000, 2_000_000)
            cleared = n % 10 == 0 and due < AS_OF
            yield {
                "source": "erp",
                "company_code": COMPANIES[n % 3],
                "document_number": f"{1800000000 + n}",
                "fiscal_year": 2026,
                "line_item": "001",
                "debtor_number": f"{100000 + rng.randrange(debtors)}",
                "document_date": due - timedelta(days=30),
                "posting_date": due - timedelta(days=30),
                "net_due_date": due,
                "currency": CURRENCIES[n % len(CURRENCIES)],
                "amount_minor": abs(amount),
                "open_amount_minor": amount,
                "dunning_level": rng.randrange(4),
                "disputed": n % 97 == 0,
                "payment_promised_until": due + timedelta(days=20) if n % 20 == 0 else None,
                "is_open": not cleared,
                "cleared_on": min(due + timedelta(days=rng.randrange(-10, 60)), AS_OF)
                if cleared
                else None,
                "first_seen_transfer_id": 1,
                "last_seen_transfer_id": 1,
                "last_seen_line": n,
                "updated_at": now,
            }

    states = [s.value for s in AT_AGENCY] + [
        CaseState.CLOSED_PAID.value,
        CaseState.CLOSED_UNCOLLECTIBLE.value,
        CaseState.CLOSED_PARTIALLY_PAID.value,
    ]
    with store.engine.begin() as connection:
        for batch in _chunks(debtor_rows()):
            connection.execute(insert(DebtorRow), batch)
        for batch in _chunks(item_rows()):
            connection.execute(insert(OpenItemRow), batch)
        case_list, case_items, events = [], [], []

        def event(case_id: int, kind: str, at: datetime, amount: int, **more: Any) -> None:
            events.append(
                {
                    "case_id": case_id,
                    "origin": "agency",
                    "external_id": f"{kind}-{case_id}",
                    "kind": kind,
                    "occurred_at": at,
                    "received_at": now,
                    "amount_minor": amount,
                    "principal_minor": amount if kind == "payment" else 0,
                    "due_on": more.get("due_on"),
                }
            )

        for c in range(cases):
            submitted = now - timedelta(days=rng.randrange(1, 400), hours=rng.randrange(24))
            state = states[c % len(states)]
            handed = rng.randrange(10_000, 2_000_000)
            collected = handed * rng.randrange(0, 100) // 100 if c % 5 < 2 else 0
            closed = state.startswith("closed")
            case_list.append(
                {
                    "id": c + 1,
                    "reference": f"CB-{c + 1:07d}",
                    "agency": AGENCIES[c % 3],
                    "source": "erp",
                    "debtor_number": f"{100000 + rng.randrange(debtors)}",
                    "currency": "EUR",
                    "state": state,
                    "state_since": submitted + timedelta(days=rng.randrange(1, 200))
                    if closed
                    else submitted,
                    "policy": "standard",
                    "handed_over_minor": handed,
                    "collected_principal_minor": collected,
                    "collected_interest_minor": collected // 20,
                    "commission_minor": collected // 10,
                    "written_off_minor": handed - collected
                    if state != CaseState.CLOSED_PAID.value and closed
                    else 0,
                    "created_at": submitted,
                    "submitted_at": submitted,
                    "updated_at": now,
                }
            )
            case_items.append(
                {
                    "case_id": c + 1,
                    "item_id": 1 + c * 37 % rows,
                    "position": 0,
                    "handed_over_minor": handed,
                }
            )
            if collected:
                event(c + 1, "payment", submitted + timedelta(days=rng.randrange(1, 90)), collected)
            if c % 5 == 0:
                made = submitted + timedelta(days=5)
                due_on = (made + timedelta(days=rng.randrange(5, 120))).date()
                event(c + 1, "promise", made, handed // 3, due_on=due_on)
        for table, batch_rows in (
            (CaseRow, case_list),
            (CaseItemRow, case_items),
            (CaseEventRow, events),
        ):
            for start in range(0, len(batch_rows), CHUNK):
                connection.execute(insert(table), batch_rows[start : start + CHUNK])
        first_day = AS_OF - timedelta(days=snapshots - 1)
        for k in range(snapshots - 1):  # the last, AS_OF's, is recorded from the items
            day = first_day + timedelta(days=k)
            snapshot_id = connection.execute(
                insert(KpiSnapshotRow).returning(KpiSnapshotRow.id),
                [
                    {
                        "source": "erp",
                        "transfer_id": 10_000 + k,
                        "taken_on": day,
                        "taken_at": datetime.combine(day, datetime.min.time(), UTC),
                        "bucket_edges": BUCKETS.text,
                        "company_codes": ",".join(COMPANIES),
                    }
                ],
            ).scalar_one()
            totals = [
                {
                    "snapshot_id": snapshot_id,
                    "company_code": company,
                    "currency": currency,
                    "segment": segment,
                    "agency": agency,
                    "bucket": bucket,
                    "items": rng.randrange(1, 5000),
                    "open_minor": rng.randrange(0, 10**10),
                }
                for company in COMPANIES
                for currency in ("EUR", "USD", "GBP", "CHF")
                for segment in SEGMENTS
                for agency in ("", *AGENCIES)
                for bucket in range(BUCKETS.count)
            ]
            connection.execute(insert(KpiSnapshotTotalRow), totals)
        sales = []
        month = date(2024, 12, 1)
        for _ in range(24):
            for company in COMPANIES:
                for currency in ("EUR", "USD", "GBP", "CHF"):
                    sales.append(
                        {
                            "source": "ledger",
                            "period": month,
                            "company_code": company,
                            "currency": currency,
                            "amount_minor": rng.randrange(10**9, 10**11),
                            "transfer_id": 1,
                            "updated_at": now,
                        }
                    )
            month = (month + timedelta(days=32)).replace(day=1)
        connection.execute(insert(CreditSalesRow), sales)
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with store.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    period_end = date(2026, 10, 31)
    return {
        "period_end": period_end,
        "history_day": AS_OF - timedelta(days=snapshots // 2),
        "trend_from": first_day,
        "debtor": f"{100000 + debtors // 2}",
    }


# --- the floors: hand-written SQL on the bare driver -----------------------------------------


class Bare:
    """The driver's own connection, with %(name)s parameters on both databases."""

    def __init__(self, store: Store) -> None:
        self.dialect = store.dialect
        self.connection = store.engine.raw_connection()

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        params = {k: self._value(v) for k, v in (params or {}).items()}
        if self.dialect == "sqlite":
            sql = re.sub(r"%\((\w+)\)s", r":\1", sql)
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        found = cursor.fetchall()
        cursor.close()
        self.connection.rollback()
        return [tuple(r) for r in found]

    def _value(self, value: Any) -> Any:
        if self.dialect == "sqlite" and isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        if self.dialect == "sqlite" and isinstance(value, date):
            return value.isoformat()
        return value

    def close(self) -> None:
        self.connection.close()


def _bucket_sums(buckets: AgeingBuckets) -> str:
    column, amount = "i.net_due_date", "i.open_amount_minor"
    parts = [f"sum(CASE WHEN {column} >= %(b0)s THEN {amount} ELSE 0 END)"]
    for i in range(1, buckets.count - 1):
        parts.append(
            f"sum(CASE WHEN {column} < %(b{i - 1})s AND {column} >= %(b{i})s "
            f"THEN {amount} ELSE 0 END)"
        )
    parts.append(f"sum(CASE WHEN {column} < %(b{buckets.count - 2})s THEN {amount} ELSE 0 END)")
    return ", ".join(parts)


def _bounds() -> dict[str, date]:
    return {f"b{i}": b for i, b in enumerate(BUCKETS.due_date_bounds(AS_OF))}


def floor_ageing(bare: Bare, _: dict[str, Any]) -> Any:
    rows = bare.rows(
        "SELECT t.company_code, t.currency, t.bucket, sum(t.open_minor) FROM kpi_snapshot_totals t "
        "WHERE t.snapshot_id = (SELECT s.id FROM kpi_snapshots s WHERE s.source = 'erp' AND "
        "s.taken_on <= %(day)s ORDER BY s.taken_on DESC, s.id DESC LIMIT 1) "
        "GROUP BY t.company_code, t.currency, t.bucket",
        {"day": AS_OF},
    )
    return _bucketed(rows)


def floor_items_ageing(bare: Bare, _: dict[str, Any]) -> Any:
    bounds = {f"b{i}": b for i, b in enumerate(CUSTOM.due_date_bounds(AS_OF))}
    rows = bare.rows(
        f"SELECT i.company_code, i.currency, count(*), {_bucket_sums(CUSTOM)} "  # noqa: S608
        "FROM open_items i WHERE i.is_open = %(yes)s GROUP BY i.company_code, i.currency "
        "ORDER BY i.currency, i.company_code",
        {**bounds, "yes": True},
    )
    return [(r[0], r[1], [int(v) for v in r[3:]]) for r in rows]


def floor_debtors(bare: Bare, _: dict[str, Any]) -> Any:
    rows = bare.rows(
        "SELECT source, debtor_number, currency, items, buckets FROM debtor_ageing "
        "ORDER BY overdue_minor DESC, currency, source, debtor_number LIMIT 50"
    )
    return [(r[1], r[2], json.loads(r[4])) for r in rows]


def floor_items_debtors(bare: Bare, _: dict[str, Any]) -> Any:
    rows = bare.rows(
        f"SELECT i.source, i.debtor_number, i.currency, count(*), {_bucket_sums(BUCKETS)} "  # noqa: S608
        "FROM open_items i WHERE i.is_open = %(yes)s "
        "GROUP BY i.source, i.debtor_number, i.currency "
        "ORDER BY sum(CASE WHEN i.net_due_date < %(b0)s THEN i.open_amount_minor ELSE 0 END) "
        "DESC, i.currency, i.source, i.debtor_number LIMIT 50",
        {**_bounds(), "yes": True},
    )
    return [(r[1], r[2], [int(v) for v in r[4:]]) for r in rows]


def floor_history(bare: Bare, asked: dict[str, Any]) -> Any:
    rows = bare.rows(
        "SELECT t.company_code, t.currency, t.bucket, sum(t.open_minor) FROM kpi_snapshot_totals t "
        "WHERE t.snapshot_id = (SELECT s.id FROM kpi_snapshots s WHERE s.source = 'erp' AND "
        "s.taken_on <= %(day)s ORDER BY s.taken_on DESC, s.id DESC LIMIT 1) "
        "GROUP BY t.company_code, t.currency, t.bucket",
        {"day": asked["history_day"]},
    )
    return _bucketed(rows)


def _bucketed(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    groups: dict[tuple[Any, ...], list[int]] = {}
    for *key, bucket, amount in rows:
        groups.setdefault(tuple(key), [0] * BUCKETS.count)[bucket] += int(amount)
    return sorted((*k, v) for k, v in groups.items())


def floor_trend(bare: Bare, asked: dict[str, Any]) -> Any:
    rows = bare.rows(
        "SELECT s.taken_on, t.company_code, t.currency, t.bucket, sum(t.open_minor) "
        "FROM kpi_snapshot_totals t JOIN kpi_snapshots s ON s.id = t.snapshot_id "
        "WHERE s.taken_on >= %(first)s AND s.taken_on <= %(last)s "
        "GROUP BY s.taken_on, t.company_code, t.currency, t.bucket",
        {"first": asked["trend_from"], "last": AS_OF},
    )
    return [(str(r[0]), *r[1:]) for r in _bucketed(rows)]


def floor_dso(bare: Bare, asked: dict[str, Any]) -> Any:
    end = asked["period_end"]
    found = {}
    for name, day in (("closing", end), ("opening", date(2026, 7, 31))):
        found[name] = bare.rows(
            "SELECT t.company_code, t.currency, sum(t.open_minor), "
            "sum(CASE WHEN t.bucket = 0 THEN t.open_minor ELSE 0 END) FROM kpi_snapshot_totals t "
            "WHERE t.snapshot_id = (SELECT s.id FROM kpi_snapshots s WHERE s.source = 'erp' AND "
            "s.taken_on <= %(day)s ORDER BY s.taken_on DESC, s.id DESC LIMIT 1) "
            "GROUP BY t.company_code, t.currency",
            {"day": day},
        )
    sales = bare.rows(
        "SELECT company_code, currency, period, sum(amount_minor) FROM credit_sales "
        "GROUP BY company_code, currency, period"
    )
    return len(found["closing"]), len(sales)


def floor_agencies(bare: Bare, _: dict[str, Any]) -> Any:
    if bare.dialect == "sqlite":
        days = "CAST(julianday(date({1})) - julianday(date({0})) AS INTEGER)"
    else:
        days = (
            "CAST(CAST(timezone('UTC', {1}) AS DATE) - CAST(timezone('UTC', {0}) AS DATE) "
            "AS INTEGER)"
        )
    terminal = "c.state LIKE 'closed%%' OR c.state IN ('recalled', 'rejected', 'dismissed')"
    rows = bare.rows(
        "SELECT c.agency, c.currency, count(*), sum(c.handed_over_minor), "  # noqa: S608
        "sum(c.collected_principal_minor), sum(c.commission_minor), sum(c.written_off_minor), "
        f"sum(CASE WHEN {terminal} THEN {days.format('c.submitted_at', 'c.state_since')} "
        "ELSE 0 END), "
        f"count(f.first), sum(CASE WHEN f.first IS NOT NULL THEN "
        f"{days.format('c.submitted_at', 'f.first')} ELSE 0 END) "
        "FROM cases c LEFT JOIN (SELECT case_id, min(occurred_at) AS first FROM case_events "
        "WHERE kind = 'payment' GROUP BY case_id) f ON f.case_id = c.id "
        "WHERE c.submitted_at IS NOT NULL GROUP BY c.agency, c.currency ORDER BY c.agency",
    )
    ages = bare.rows(
        "SELECT agency, currency, count(*), sum(handed_over_minor - collected_principal_minor "  # noqa: S608
        "- paid_directly_minor - written_off_minor) FROM cases WHERE state IN "
        f"({', '.join(repr(s.value) for s in AT_AGENCY)}) GROUP BY agency, currency",
    )
    return [(r[0], int(r[2]), int(r[3])) for r in rows], len(ages)


def floor_promises(bare: Bare, _: dict[str, Any]) -> Any:
    promises = bare.rows(
        "SELECT e.id, e.case_id, e.occurred_at, e.due_on, e.amount_minor FROM case_events e "
        "WHERE e.kind = 'promise' AND e.due_on IS NOT NULL"
    )
    payments = bare.rows(
        "SELECT case_id, kind, occurred_at, amount_minor FROM case_events "
        "WHERE kind IN ('payment', 'payment_reversal', 'direct_payment')"
    )
    cases = bare.rows("SELECT id, reference, agency, source, debtor_number, currency FROM cases")
    return len(promises), len(payments), len(cases)


def floor_forecast(bare: Bare, asked: dict[str, Any]) -> Any:
    weeks_end = [AS_OF + timedelta(days=6 - AS_OF.weekday() + 7 * n) for n in range(13)]
    if bare.dialect == "sqlite":
        expected = "date(i.net_due_date, printf('%%+d days', coalesce(s.delay_days, 0)))"
    else:
        expected = "CAST(i.net_due_date + coalesce(s.delay_days, 0) AS DATE)"
    slots = " ".join(f"WHEN {expected} <= %(w{n})s THEN {n}" for n in range(13))
    rows = bare.rows(
        f"SELECT i.currency, CASE WHEN a.item_id IS NOT NULL THEN -3 "  # noqa: S608
        f"WHEN i.disputed = %(yes)s THEN -2 WHEN {expected} < %(stale)s THEN -1 {slots} "
        "ELSE 13 END AS slot, sum(i.open_amount_minor) FROM open_items i "
        "LEFT JOIN debtor_scores s ON s.source = i.source AND s.debtor_number = i.debtor_number "
        "LEFT JOIN (SELECT DISTINCT ci.item_id FROM case_items ci "
        "JOIN cases c ON c.id = ci.case_id "
        f"WHERE c.state IN ({', '.join(repr(s.value) for s in AT_AGENCY)})) a ON a.item_id = i.id "
        "WHERE i.is_open = %(yes)s AND i.open_amount_minor > 0 GROUP BY i.currency, slot",
        {
            "yes": True,
            "stale": AS_OF - timedelta(days=30),
            **{f"w{n}": d for n, d in enumerate(weeks_end)},
        },
    )
    return floor_promises(bare, asked), len(rows)


def floor_debtor(bare: Bare, asked: dict[str, Any]) -> Any:
    if bare.dialect == "sqlite":
        late = "CAST(julianday(cleared_on) - julianday(net_due_date) AS INTEGER)"
    else:
        late = "CAST(cleared_on - net_due_date AS INTEGER)"
    where = "source = 'erp' AND debtor_number = %(d)s"
    params = {
        "d": asked["debtor"],
        "yes": True,
        "no": False,
        "since": AS_OF - timedelta(days=365),
        "as_of": AS_OF,
        "old": AS_OF - timedelta(days=90),
    }
    paid = bare.rows(
        f"SELECT currency, count(*), sum(amount_minor), sum(amount_minor * {late}) "  # noqa: S608
        f"FROM open_items WHERE {where} AND is_open = %(no)s AND cleared_on > %(since)s "
        "AND cleared_on <= %(as_of)s AND amount_minor > 0 GROUP BY currency",
        params,
    )
    balance = bare.rows(
        "SELECT currency, sum(open_amount_minor), sum(CASE WHEN net_due_date < %(old)s "  # noqa: S608
        f"THEN open_amount_minor ELSE 0 END) FROM open_items WHERE {where} AND is_open = %(yes)s "
        "AND open_amount_minor > 0 GROUP BY currency",
        params,
    )
    promised = bare.rows(
        f"SELECT count(*) FROM open_items WHERE {where} AND payment_promised_until IS NOT NULL "  # noqa: S608
        "AND payment_promised_until < %(as_of)s AND is_open = %(yes)s",
        params,
    )
    lost = bare.rows(
        "SELECT count(*) FROM cases WHERE source = 'erp' AND debtor_number = %(d)s AND "
        "state IN ('closed_uncollectible', 'closed_partially_paid') AND written_off_minor > 0",
        params,
    )
    return len(paid), len(balance), promised, lost


# --- claimbridge's pages ---------------------------------------------------------------------


def ours_ageing(store: Store, _: dict[str, Any]) -> Any:
    from gateway.kpi.ageing import aged_balance

    with store.unit_of_work(read_only=True) as session:
        found = aged_balance(session, AS_OF, BUCKETS, BUCKETS, ("company_code", "currency"))
    assert found.origin == "history", found.origin
    return sorted((g.key[0], g.currency, g.buckets) for g in found.groups)


def ours_items_ageing(store: Store, _: dict[str, Any]) -> Any:
    from gateway.kpi.ageing import aged_balance

    with store.unit_of_work(read_only=True) as session:
        found = aged_balance(session, AS_OF, CUSTOM, BUCKETS, ("company_code", "currency"))
    assert found.origin == "live", found.origin
    return [(g.key[0], g.currency, g.buckets) for g in found.groups]


def ours_debtors(store: Store, _: dict[str, Any]) -> Any:
    from gateway.kpi.ageing import aged_balance

    with store.unit_of_work(read_only=True) as session:
        found = aged_balance(session, AS_OF, BUCKETS, BUCKETS, ("debtor",), limit=50)
    assert found.origin == "debtor ageing", found.origin
    return [(g.key[1], g.currency, g.buckets) for g in found.groups]


def ours_items_debtors(store: Store, _: dict[str, Any]) -> Any:
    from gateway.kpi.ageing import live_ageing

    with store.unit_of_work(read_only=True) as session:
        found = live_ageing(session, AS_OF, BUCKETS, ("debtor",), limit=50)
    return [(g.key[1], g.currency, g.buckets) for g in found.groups]


def ours_history(store: Store, asked: dict[str, Any]) -> Any:
    from gateway.kpi.ageing import ageing_from_history

    with store.unit_of_work(read_only=True) as session:
        found = ageing_from_history(session, asked["history_day"])
    return sorted((g.key[0], g.currency, g.buckets) for g in found.groups)


def ours_trend(store: Store, asked: dict[str, Any]) -> Any:
    from gateway.kpi.history import trend

    with store.unit_of_work(read_only=True) as session:
        points = trend(session, asked["trend_from"], AS_OF)
    return sorted(
        (p.day.isoformat(), g.key[0], g.currency, g.buckets) for p in points for g in p.groups
    )


def ours_dso(store: Store, asked: dict[str, Any]) -> Any:
    from gateway.kpi.dso import dso_report

    with store.unit_of_work(read_only=True) as session:
        report = dso_report(session, asked["period_end"], 3)
    return len([ln for ln in report.lines if ln.receivables is not None]), None


def ours_agencies(store: Store, asked: dict[str, Any]) -> Any:
    from gateway.kpi.agencies import agency_performance

    with store.unit_of_work(read_only=True) as session:
        lines = agency_performance(session, AS_OF)
    return [(a.agency, a.cases, a.handed_over) for a in lines], None


def ours_promises(store: Store, _: dict[str, Any]) -> Any:
    from gateway.kpi.promise_book import promise_outcomes

    with store.unit_of_work(read_only=True) as session:
        return len(promise_outcomes(session, AS_OF, 3))


def ours_forecast(store: Store, _: dict[str, Any]) -> Any:
    from gateway.kpi.forecast import cash_forecast

    with store.unit_of_work(read_only=True) as session:
        found = cash_forecast(session, AS_OF)
    return sum(w.total(c) for w in found.weeks for c in found.currencies)


def ours_debtor(store: Store, asked: dict[str, Any]) -> Any:
    from gateway.kpi.behaviour import debtor_behaviour

    with store.unit_of_work(read_only=True) as session:
        return debtor_behaviour(session, "erp", asked["debtor"], AS_OF).risk.score


# page → (claimbridge, floor, whether the two answers must be equal)
PAGES: dict[str, tuple[Callable[..., Any], Callable[..., Any], bool]] = {
    "ageing_by_company": (ours_ageing, floor_ageing, True),
    "ageing_other_buckets_from_items": (ours_items_ageing, floor_items_ageing, True),
    "ageing_top_50_debtors": (ours_debtors, floor_debtors, True),
    "ageing_top_50_debtors_from_items": (ours_items_debtors, floor_items_debtors, True),
    "ageing_on_a_past_day": (ours_history, floor_history, True),
    "receivables_trend": (ours_trend, floor_trend, True),
    "dso_and_cei": (ours_dso, floor_dso, False),
    "agency_performance": (ours_agencies, floor_agencies, False),
    "promises": (ours_promises, floor_promises, False),
    "cash_forecast": (ours_forecast, floor_forecast, False),
    "debtor_sheet": (ours_debtor, floor_debtor, False),
}


def _time(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def measure(store: Store, asked: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    bare = Bare(store)
    figures = []
    try:
        for page, (ours, floor, same) in PAGES.items():
            best_ours, best_floor = float("inf"), float("inf")
            # Once each untimed first: a running gateway has its statements compiled and
            # cached, and the database's pages in memory.
            floor(bare, asked)
            ours(store, asked)
            for _ in range(repeat):
                seconds, floor_answer = _time(lambda f=floor: f(bare, asked))  # type: ignore[misc]
                best_floor = min(best_floor, seconds)
                seconds, answer = _time(lambda o=ours: o(store, asked))  # type: ignore[misc]
                best_ours = min(best_ours, seconds)
            if same and answer != floor_answer:
                raise SystemExit(f"{page}: claimbridge and the hand-written SQL disagree")
            figures.append(
                {
                    "name": f"{page}_{store.dialect}",
                    "seconds": round(best_ours, 4),
                    "floor_seconds": round(best_floor, 4),
                    "ratio": round(best_ours / best_floor, 3) if best_floor else None,
                    "under_a_second": best_ours < PAGE_TARGET_SECONDS,
                }
            )
    finally:
        bare.close()
    return figures


def _postgres_database(url: str) -> tuple[str, Callable[[], None]]:
    name = f"cbbench_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: a SQLite file)")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    args = parser.parse_args(argv)
    drop: Callable[[], None] = lambda: None  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url:
            url, drop = _postgres_database(args.database_url)
        else:
            url = f"sqlite:///{Path(folder) / 'kpi.db'}"
        store = create_store(url)
        try:
            upgrade(store.engine)
            started = time.perf_counter()
            asked = build(store, args.rows, args.snapshots)
            built = time.perf_counter() - started
            from gateway.kpi.behaviour import refresh_scores
            from gateway.kpi.history import record_snapshot

            with store.unit_of_work() as session:
                scoring, scored = _time(lambda: refresh_scores(session, AS_OF, 3, BUCKETS))
            with store.unit_of_work() as session:
                recording, _ = _time(
                    lambda: record_snapshot(
                        session,
                        source="erp",
                        transfer_id=99_999,
                        taken_on=AS_OF,
                        taken_at=datetime.combine(AS_OF, datetime.min.time(), UTC),
                        buckets=BUCKETS,
                        company_codes=COMPANIES,
                    )
                )
            name = f"{args.rows}_items_{args.snapshots}_snapshots_{store.dialect}"
            extra = [
                {"name": f"build_{name}", "seconds": round(built, 2)},
                {"name": f"extraction_keeps_its_totals_{name}", "seconds": round(recording, 3)},
                {
                    "name": f"refresh_scores_and_debtor_ageing_{scored}_debtors_{store.dialect}",
                    "seconds": round(scoring, 3),
                },
            ]
            figures = measure(store, asked, args.repeat)
        finally:
            store.dispose()
            drop()
    for figure in [*extra, *figures]:
        if args.json:
            print(json.dumps(figure))
        elif "ratio" in figure:
            print(
                f"{figure['name']:<40} {figure['seconds']:>8.3f} s   floor "
                f"{figure['floor_seconds']:>8.3f} s   ratio {figure['ratio']:>6.2f}"
                f"{'' if figure['under_a_second'] else '   OVER A SECOND'}"
            )
        else:
            print(f"{figure['name']:<40} {figure['seconds']:>8.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
