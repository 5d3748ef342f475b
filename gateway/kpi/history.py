"""The history of the receivables: each snapshot's totals, kept so that every KPI can be shown
for a past day and as a trend.

When an extraction commits, `record_snapshot` sums the source's open items (in the same
transaction) per company code, currency, segment, agency and ageing bucket. The state of the
receivables on a day is, for each source, its latest snapshot taken on or before that day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, insert, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from gateway.domain.cases import AT_AGENCY
from gateway.kpi.buckets import AgeingBuckets
from gateway.storage.models import (
    CaseItemRow,
    CaseRow,
    DebtorRow,
    KpiSnapshotRow,
    KpiSnapshotTotalRow,
    OpenItemRow,
)

__all__ = [
    "DIMENSIONS",
    "HistoryTotals",
    "SnapshotRef",
    "Totals",
    "record_snapshot",
    "snapshots_on",
    "totals_on",
    "trend",
]

DIMENSIONS = ("company_code", "currency", "segment", "agency")
_AT_AGENCY = tuple(sorted(s.value for s in AT_AGENCY))


def bucket_expression(due: Any, buckets: AgeingBuckets, as_of: date) -> ColumnElement[int]:
    """CASE over the net due date giving the bucket number on `as_of` (see AgeingBuckets)."""
    bounds = buckets.due_date_bounds(as_of)
    return case(
        *((due >= bound, literal(i)) for i, bound in enumerate(bounds)),
        else_=literal(len(bounds)),
    )


def item_agencies() -> Subquery:
    """item id → the agency that holds it now (a case at an agency), as a subquery."""
    return (
        select(CaseItemRow.item_id.label("item_id"), func.max(CaseRow.agency).label("agency"))
        .join(CaseRow, CaseRow.id == CaseItemRow.case_id)
        .where(CaseRow.state.in_(_AT_AGENCY))
        .group_by(CaseItemRow.item_id)
        .subquery("item_agency")
    )


def record_snapshot(
    session: Session,
    *,
    source: str,
    transfer_id: int,
    taken_on: date,
    taken_at: datetime,
    buckets: AgeingBuckets,
    company_codes: Sequence[str] = (),
) -> int:
    """Keep the totals of `source`'s open items as they stand after the snapshot; returns
    the snapshot's id. Runs in the extraction's transaction: both commit or neither."""
    snapshot = KpiSnapshotRow(
        source=source,
        transfer_id=transfer_id,
        taken_on=taken_on,
        taken_at=taken_at,
        bucket_edges=buckets.text,
        company_codes=",".join(company_codes),
    )
    session.add(snapshot)
    session.flush()
    item = OpenItemRow
    agency = item_agencies()
    segment = func.coalesce(DebtorRow.segment, "")
    held_by = func.coalesce(agency.c.agency, "")
    bucket = bucket_expression(item.net_due_date, buckets, taken_on)
    query = (
        select(
            literal(snapshot.id, Integer),
            item.company_code,
            item.currency,
            segment,
            held_by,
            bucket,
            func.count(),
            func.sum(item.open_amount_minor),
        )
        .select_from(item)
        .outerjoin(
            DebtorRow,
            (DebtorRow.source == item.source) & (DebtorRow.number == item.debtor_number),
        )
        .outerjoin(agency, agency.c.item_id == item.id)
        .where(item.source == source, item.is_open.is_(True))
        .group_by(item.company_code, item.currency, segment, held_by, bucket)
    )
    columns = ["snapshot_id", "company_code", "currency", "segment", "agency", "bucket"]
    session.execute(
        insert(KpiSnapshotTotalRow).from_select([*columns, "items", "open_minor"], query)
    )
    return snapshot.id


@dataclass(frozen=True, slots=True)
class SnapshotRef:
    id: int
    source: str
    taken_on: date
    edges: AgeingBuckets


def _refs(rows: Iterable[KpiSnapshotRow]) -> list[SnapshotRef]:
    return [
        SnapshotRef(r.id, r.source, r.taken_on, AgeingBuckets.parse(r.bucket_edges)) for r in rows
    ]


def snapshots_on(
    session: Session, day: date, sources: Sequence[str] | None = None
) -> list[SnapshotRef]:
    """For each source, its latest snapshot taken on or before `day`."""
    query = select(KpiSnapshotRow).where(KpiSnapshotRow.taken_on <= day)
    if sources:
        query = query.where(KpiSnapshotRow.source.in_(sources))
    latest: dict[str, KpiSnapshotRow] = {}
    for row in session.scalars(query.order_by(KpiSnapshotRow.taken_on, KpiSnapshotRow.id)):
        latest[row.source] = row
    return _refs(latest.values())


@dataclass(slots=True)
class Totals:
    """Open items of one group, per bucket (index as in AgeingBuckets)."""

    key: tuple[str, ...]
    currency: str
    buckets: list[int]
    items: int = 0

    @property
    def total(self) -> int:
        return sum(self.buckets)

    @property
    def current(self) -> int:
        return self.buckets[0]

    @property
    def overdue(self) -> int:
        return sum(self.buckets[1:])


@dataclass(slots=True)
class HistoryTotals:
    """The receivables on a day from the history: its groups and the snapshots read."""

    day: date
    edges: AgeingBuckets | None
    snapshots: list[SnapshotRef]
    groups: list[Totals] = field(default_factory=list)
    problem: str = ""


def _group_totals(
    session: Session, refs: Sequence[SnapshotRef], by: Sequence[str], where: dict[str, str]
) -> dict[int, dict[tuple[str, ...], Totals]]:
    """Totals per snapshot id, grouped by `by` (currency always last)."""
    t = KpiSnapshotTotalRow
    dims = [getattr(t, d) for d in by if d != "currency"]
    query = select(
        t.snapshot_id, *dims, t.currency, t.bucket, func.sum(t.items), func.sum(t.open_minor)
    ).where(t.snapshot_id.in_([r.id for r in refs]))
    for name, value in where.items():
        query = query.where(getattr(t, name) == value)
    query = query.group_by(t.snapshot_id, *dims, t.currency, t.bucket)
    width = {r.id: r.edges.count for r in refs}
    out: dict[int, dict[tuple[str, ...], Totals]] = defaultdict(dict)
    for row in session.execute(query):
        snapshot_id, *rest = row
        *key, currency, bucket, items, amount = rest
        group_key = (*key, currency)
        groups = out[snapshot_id]
        totals = groups.get(group_key)
        if totals is None:
            totals = groups[group_key] = Totals(tuple(key), currency, [0] * width[snapshot_id])
        totals.buckets[bucket] += int(amount or 0)
        totals.items += int(items or 0)
    return out


def _merge(
    per_snapshot: dict[int, dict[tuple[str, ...], Totals]], refs: Sequence[SnapshotRef]
) -> list[Totals]:
    merged: dict[tuple[str, ...], Totals] = {}
    for ref in refs:
        for key, totals in per_snapshot.get(ref.id, {}).items():
            into = merged.get(key)
            if into is None:
                merged[key] = Totals(
                    totals.key, totals.currency, list(totals.buckets), totals.items
                )
                continue
            into.items += totals.items
            for i, amount in enumerate(totals.buckets):
                into.buckets[i] += amount
    return sorted(merged.values(), key=lambda g: (g.currency, g.key))


def _common_edges(refs: Sequence[SnapshotRef]) -> tuple[AgeingBuckets | None, str]:
    edges = {r.edges for r in refs}
    if len(edges) > 1:
        shown = "; ".join(f"{r.source} on {r.taken_on}: {r.edges.text}" for r in refs)
        return None, (
            "the snapshots of that day were cut at different ageing buckets "
            f"({shown}); show one source at a time"
        )
    return (next(iter(edges)) if edges else None), ""


def totals_on(
    session: Session,
    day: date,
    by: Sequence[str] = ("company_code", "currency"),
    where: dict[str, str] | None = None,
    sources: Sequence[str] | None = None,
) -> HistoryTotals:
    """The receivables on `day` as the history has them, grouped by `by` (of DIMENSIONS)."""
    _check_dimensions(by, where or {})
    refs = snapshots_on(session, day, sources)
    result = HistoryTotals(day, None, refs)
    if not refs:
        result.problem = f"no snapshot was taken on or before {day.isoformat()}"
        return result
    result.edges, result.problem = _common_edges(refs)
    if result.edges is None:
        return result
    result.groups = _merge(_group_totals(session, refs, by, where or {}), refs)
    return result


def trend(
    session: Session,
    first: date,
    last: date,
    by: Sequence[str] = ("company_code", "currency"),
    where: dict[str, str] | None = None,
    sources: Sequence[str] | None = None,
) -> list[HistoryTotals]:
    """The receivables on each day between `first` and `last` that a snapshot was taken."""
    _check_dimensions(by, where or {})
    query = select(KpiSnapshotRow).where(KpiSnapshotRow.taken_on <= last)
    if sources:
        query = query.where(KpiSnapshotRow.source.in_(sources))
    rows = list(session.scalars(query.order_by(KpiSnapshotRow.taken_on, KpiSnapshotRow.id)))
    days = sorted({r.taken_on for r in rows if r.taken_on >= first})
    states: list[tuple[date, list[SnapshotRef]]] = []
    latest: dict[str, KpiSnapshotRow] = {}
    pending = iter(rows)
    row = next(pending, None)
    for day in days:
        while row is not None and row.taken_on <= day:
            latest[row.source] = row
            row = next(pending, None)
        states.append((day, _refs(latest.values())))
    needed = {ref.id: ref for _, refs in states for ref in refs}
    per_snapshot = _group_totals(session, list(needed.values()), by, where or {}) if needed else {}
    out = []
    for day, refs in states:
        point = HistoryTotals(day, None, refs)
        point.edges, point.problem = _common_edges(refs)
        if point.edges is not None:
            point.groups = _merge(per_snapshot, refs)
        out.append(point)
    return out


def _check_dimensions(by: Sequence[str], where: dict[str, str]) -> None:
    unknown = [d for d in (*by, *where) if d not in DIMENSIONS]
    if unknown:
        raise ValueError(
            f"the history is kept per {', '.join(DIMENSIONS)}; not per {', '.join(unknown)}"
        )
