"""The aged balance: open items by days past their net due date, cut into buckets, per
company code, currency, debtor, segment or source (currency always: amounts in different
currencies are never added up).

Live (from the items as last extracted, on any day and with any buckets) or from the history
(`gateway.kpi.history`, with the buckets each snapshot was cut at). Credits (negative open
amounts) count in the bucket of their own due date, so each total is the net balance.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.formulas import rounded
from gateway.kpi.history import DIMENSIONS, Totals, totals_on
from gateway.storage.models import DebtorAgeingRow, DebtorRow, KpiSnapshotRow, OpenItemRow

__all__ = [
    "LIVE_DIMENSIONS",
    "Ageing",
    "aged_balance",
    "ageing_from_history",
    "live_ageing",
    "overdue_share",
    "stored_debtor_ageing",
]

LIVE_DIMENSIONS = ("source", "company_code", "currency", "debtor", "segment")


@dataclass(slots=True)
class Ageing:
    """An aged balance: the buckets, and one row of totals per group."""

    as_of: date
    buckets: AgeingBuckets
    by: tuple[str, ...]
    groups: list[Totals] = field(default_factory=list)
    origin: str = "live"  # live (the items) | history (a day's snapshot) | debtor ageing
    problem: str = ""

    def currency_totals(self) -> list[Totals]:
        """One row per currency over all groups."""
        out: dict[str, Totals] = {}
        for g in self.groups:
            t = out.setdefault(g.currency, Totals((), g.currency, [0] * self.buckets.count))
            t.items += g.items
            for i, amount in enumerate(g.buckets):
                t.buckets[i] += amount
        return [out[c] for c in sorted(out)]


def overdue_share(totals: Totals) -> Decimal | None:
    """Overdue ÷ total, in percent to one decimal; None when the total is not positive."""
    if totals.total <= 0:
        return None
    return rounded(Fraction(totals.overdue * 100, totals.total))


def live_ageing(
    session: Session,
    as_of: date,
    buckets: AgeingBuckets,
    by: Sequence[str] = ("company_code", "currency"),
    where: dict[str, str] | None = None,
    limit: int | None = None,
) -> Ageing:
    """The aged balance of the items open now, counted on `as_of`.

    `by` names the groups (LIVE_DIMENSIONS); `where` keeps one value of a dimension; `limit`
    keeps the groups with the largest overdue amounts.
    """
    unknown = [d for d in (*by, *(where or {})) if d not in LIVE_DIMENSIONS]
    if unknown:
        raise ValueError(
            f"ageing is shown per {', '.join(LIVE_DIMENSIONS)}; not per {', '.join(unknown)}"
        )
    item = OpenItemRow
    needs_debtor = "segment" in by or "segment" in (where or {})
    columns = {
        "source": item.source,
        "company_code": item.company_code,
        "currency": item.currency,
        "debtor": item.debtor_number,
        "segment": func.coalesce(DebtorRow.segment, ""),
    }
    keys = [columns[d] for d in by if d != "currency"]
    if "debtor" in by and "source" not in by:
        keys.insert(0, item.source)  # a debtor number means something only within its source
    # One row per group, a sum per bucket: the database does the grouping and, with `limit`,
    # the ordering by overdue amount, so that a page of debtors reads only that page.
    bounds = buckets.due_date_bounds(as_of)
    due, amount = item.net_due_date, item.open_amount_minor
    in_bucket = [due >= bounds[0]]
    in_bucket += [(due < bounds[i - 1]) & (due >= bounds[i]) for i in range(1, len(bounds))]
    in_bucket.append(due < bounds[-1])
    sums = [func.sum(case((test, amount), else_=0)) for test in in_bucket]
    overdue = func.sum(case((due < as_of, amount), else_=0))
    query = select(*keys, item.currency, func.count(), *sums).where(item.is_open.is_(True))
    if needs_debtor:
        query = query.outerjoin(
            DebtorRow,
            (DebtorRow.source == item.source) & (DebtorRow.number == item.debtor_number),
        )
    for name, value in (where or {}).items():
        query = query.where(columns[name] == value)
    query = query.group_by(*keys, item.currency)
    if limit is not None:
        query = query.order_by(overdue.desc(), item.currency, *keys).limit(limit)
    else:
        query = query.order_by(item.currency, *keys)
    ordered = []
    for row in session.execute(query):
        *key, currency, count = row[: len(keys) + 2]
        amounts = [int(v or 0) for v in row[len(keys) + 2 :]]
        ordered.append(Totals(tuple(key), currency, amounts, int(count)))
    by_ = tuple(d for d in by if d != "currency")
    if "debtor" in by and "source" not in by:
        by_ = ("source", *by_)
    return Ageing(as_of, buckets, (*by_, "currency"), ordered)


def ageing_from_history(
    session: Session,
    day: date,
    by: Sequence[str] = ("company_code", "currency"),
    where: dict[str, str] | None = None,
) -> Ageing:
    """The aged balance on a past day, from the snapshots kept (buckets as they were cut)."""
    found = totals_on(session, day, by, where)
    dims = tuple(d for d in by if d != "currency")
    ageing = Ageing(
        day, found.edges or AgeingBuckets(), (*dims, "currency"), found.groups, "history"
    )
    ageing.problem = found.problem
    return ageing


def stored_debtor_ageing(
    session: Session, as_of: date, buckets: AgeingBuckets, limit: int | None = None
) -> Ageing | None:
    """The debtors' aged balance as the last refresh of the scores computed it, when it was
    computed on `as_of` at these buckets (else None: read the items)."""
    row = DebtorAgeingRow
    found = session.execute(
        select(func.min(row.computed_on), func.max(row.computed_on), func.min(row.bucket_edges))
    ).one()
    if found[0] != as_of or found[1] != as_of or found[2] != buckets.text:
        return None
    query = select(row.source, row.debtor_number, row.currency, row.items, row.buckets)
    if limit is not None:
        query = query.order_by(
            row.overdue_minor.desc(), row.currency, row.source, row.debtor_number
        ).limit(limit)
    else:
        query = query.order_by(row.currency, row.source, row.debtor_number)
    groups = [
        Totals((source, number), currency, [int(v) for v in json.loads(amounts)], int(items))
        for source, number, currency, items, amounts in session.execute(query)
    ]
    return Ageing(as_of, buckets, ("source", "debtor", "currency"), groups, "debtor ageing")


def _history_is_current(session: Session, as_of: date) -> bool:
    """Every source's latest snapshot was taken on `as_of` (so its totals are today's)."""
    latest = session.execute(
        select(KpiSnapshotRow.source, func.max(KpiSnapshotRow.taken_on)).group_by(
            KpiSnapshotRow.source
        )
    ).all()
    return bool(latest) and all(day == as_of for _, day in latest)


def aged_balance(
    session: Session,
    as_of: date,
    buckets: AgeingBuckets,
    configured: AgeingBuckets,
    by: Sequence[str] = ("company_code", "currency"),
    where: dict[str, str] | None = None,
    limit: int | None = None,
) -> Ageing:
    """The aged balance the fastest exact way: the totals the day's extraction kept (per
    company code, currency, segment, agency), the debtors' aged balance computed with the
    scores (per debtor), else the items themselves. All three give the same amounts when the
    items have not changed since the day's extraction; `origin` says which was read."""
    dims = [d for d in by if d != "currency"]
    same_cut = buckets == configured and not where
    if same_cut and limit is None and set(dims) <= set(DIMENSIONS):
        kept = (
            ageing_from_history(session, as_of, by) if _history_is_current(session, as_of) else None
        )
        if kept is not None and not kept.problem:
            return kept
    if same_cut and dims and set(dims) <= {"source", "debtor"}:
        stored = stored_debtor_ageing(session, as_of, buckets, limit)
        if stored is not None:
            return stored
    return live_ageing(session, as_of, buckets, by, where, limit)
