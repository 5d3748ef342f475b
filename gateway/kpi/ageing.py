"""The aged balance: open items by days past their net due date, cut into buckets, per
company code, currency, debtor, segment or source (currency always: amounts in different
currencies are never added up).

Live (from the items as last extracted, on any day and with any buckets) or from the history
(`gateway.kpi.history`, with the buckets each snapshot was cut at). Credits (negative open
amounts) count in the bucket of their own due date, so each total is the net balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.formulas import rounded
from gateway.kpi.history import Totals, bucket_expression, totals_on
from gateway.storage.models import DebtorRow, OpenItemRow

__all__ = ["LIVE_DIMENSIONS", "Ageing", "ageing_from_history", "live_ageing", "overdue_share"]

LIVE_DIMENSIONS = ("source", "company_code", "currency", "debtor", "segment")


@dataclass(slots=True)
class Ageing:
    """An aged balance: the buckets, and one row of totals per group."""

    as_of: date
    buckets: AgeingBuckets
    by: tuple[str, ...]
    groups: list[Totals] = field(default_factory=list)
    origin: str = "live"  # live | history
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
    bucket = bucket_expression(item.net_due_date, buckets, as_of).label("bucket")
    query = select(
        *keys, item.currency, bucket, func.count(), func.sum(item.open_amount_minor)
    ).where(item.is_open.is_(True))
    if needs_debtor:
        query = query.outerjoin(
            DebtorRow,
            (DebtorRow.source == item.source) & (DebtorRow.number == item.debtor_number),
        )
    for name, value in (where or {}).items():
        query = query.where(columns[name] == value)
    query = query.group_by(*keys, item.currency, bucket)
    groups: dict[tuple[str, ...], Totals] = {}
    for row in session.execute(query):
        *key, currency, number, count, amount = row
        totals = groups.get((*key, currency))
        if totals is None:
            totals = groups[(*key, currency)] = Totals(tuple(key), currency, [0] * buckets.count)
        totals.buckets[number] += int(amount or 0)
        totals.items += int(count)
    ordered = sorted(groups.values(), key=lambda g: (g.currency, g.key))
    if limit is not None:
        ordered = sorted(ordered, key=lambda g: (-g.overdue, g.currency, g.key))[:limit]
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
