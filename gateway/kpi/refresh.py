"""What the KPIs do after each extraction step: read the credit sales feeds, and recompute the
debtors' payment behaviour and risk scores (which policies then select on) and their aged
balances (the debtors' ageing page)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.kpi.behaviour import refresh_scores
from gateway.kpi.sales import SalesLoadResult, load_sales
from gateway.pipeline.context import RunContext

__all__ = ["KpiRefresh", "refresh_after_extraction"]


@dataclass(slots=True)
class KpiRefresh:
    sales: list[SalesLoadResult] = field(default_factory=list)
    scored_debtors: int = 0


def refresh_after_extraction(ctx: RunContext, target: str | None = None) -> KpiRefresh:
    """Load the sales feeds (all, or the one named `target`), then refresh every score in one
    transaction. A source named as `target` refreshes the scores only."""
    done = KpiRefresh()
    for name in ctx.config.sales:
        if target is None or target == name:
            done.sales.extend(load_sales(ctx, name))
    kpi = ctx.config.model.kpi
    with ctx.store.unit_of_work() as session:
        done.scored_debtors = refresh_scores(
            session, ctx.as_of, kpi.promise_grace_days, kpi.buckets
        )
    return done
