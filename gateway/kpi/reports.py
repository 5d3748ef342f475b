"""The KPIs as JSON, the same for the API and `claimbridge kpi ... --json`: amounts are decimal
strings in major units beside their currency, ratios and days are decimal strings, a figure that
cannot be computed is null with its reason."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from gateway.domain.money import minor_to_decimal
from gateway.kpi.ageing import Ageing, overdue_share
from gateway.kpi.agencies import AgencyLine, age_labels
from gateway.kpi.behaviour import Behaviour
from gateway.kpi.dso import DsoReport
from gateway.kpi.forecast import CashForecast
from gateway.kpi.formulas import Figure
from gateway.kpi.history import HistoryTotals, Totals
from gateway.kpi.promise_book import CasePromise

__all__ = [
    "ageing_json",
    "agencies_json",
    "behaviour_json",
    "dso_json",
    "forecast_json",
    "money",
    "promises_json",
    "trend_json",
]


def money(minor: int, currency: str) -> str:
    return str(minor_to_decimal(minor, currency))


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _totals(group: Totals, by: Sequence[str]) -> dict[str, Any]:
    cur = group.currency
    return {
        "key": dict(zip(by, group.key, strict=False)),
        "currency": cur,
        "items": group.items,
        "buckets": [money(a, cur) for a in group.buckets],
        "total": money(group.total, cur),
        "current": money(group.current, cur),
        "overdue": money(group.overdue, cur),
        "overdue_share": _number(overdue_share(group)),
    }


def ageing_json(ageing: Ageing) -> dict[str, Any]:
    by = [d for d in ageing.by if d != "currency"]
    return {
        "as_of": ageing.as_of.isoformat(),
        "origin": ageing.origin,
        "buckets": ageing.buckets.labels,
        "by": list(ageing.by),
        "groups": [_totals(g, by) for g in ageing.groups],
        "totals": [_totals(t, []) for t in ageing.currency_totals()],
        "problem": ageing.problem or None,
    }


def trend_json(points: Sequence[HistoryTotals], by: Sequence[str]) -> dict[str, Any]:
    dims = [d for d in by if d != "currency"]
    return {
        "by": [*dims, "currency"],
        "points": [
            {
                "day": p.day.isoformat(),
                "buckets": p.edges.labels if p.edges else None,
                "sources": {r.source: r.taken_on.isoformat() for r in p.snapshots},
                "groups": [_totals(g, dims) for g in p.groups],
                "problem": p.problem or None,
            }
            for p in points
        ],
    }


def _figure(figure: Figure) -> dict[str, Any]:
    return {
        "value": _number(figure.value),
        "unit": figure.unit,
        "formula": figure.formula,
        "reason": figure.reason or None,
    }


def dso_json(report: DsoReport) -> dict[str, Any]:
    def amount(minor: int | None, cur: str) -> str | None:
        return None if minor is None else money(minor, cur)

    return {
        "period_end": report.period_end.isoformat(),
        "months": report.months,
        "period": [report.period[0].isoformat(), report.period[1].isoformat()],
        "problem": report.problem or None,
        "lines": [
            {
                "company_code": line.company_code,
                "currency": line.currency,
                "receivables": amount(line.receivables, line.currency),
                "current_receivables": amount(line.current, line.currency),
                "opening_receivables": amount(line.opening, line.currency),
                "credit_sales": amount(line.sales, line.currency),
                "snapshot_on": line.snapshot_on.isoformat() if line.snapshot_on else None,
                "figures": {f.name: _figure(f) for f in line.figures},
            }
            for line in report.lines
        ],
    }


def agencies_json(lines: Sequence[AgencyLine]) -> dict[str, Any]:
    def one(a: AgencyLine) -> dict[str, Any]:
        cur = a.currency
        return {
            "agency": a.agency,
            "currency": cur,
            "handover_month": a.cohort.strftime("%Y-%m") if a.cohort else None,
            "cases": a.cases,
            "handed_over": money(a.handed_over, cur),
            "collected_principal": money(a.collected_principal, cur),
            "collected_interest_and_fees": money(a.collected_other, cur),
            "commission": money(a.commission, cur),
            "paid_directly": money(a.paid_directly, cur),
            "written_off": money(a.written_off, cur),
            "recovery_rate": _number(a.recovery_rate),
            "recovered_rate_with_direct_payments": _number(a.recovered_rate),
            "commission_share": _number(a.commission_share),
            "average_days_to_first_payment": _number(a.average_days_to_first_payment),
            "average_days_to_close": _number(a.average_days_to_close),
            "uncollectible_cases": a.uncollectible_cases,
            "closed_cases": a.closed_cases,
            "open_by_age": [
                {"age_days": label, "cases": n, "outstanding": money(amount, cur)}
                for label, (n, amount) in zip(age_labels(), a.open_by_age or [], strict=False)
            ],
        }

    return {"agencies": [one(a) for a in lines]}


def behaviour_json(b: Behaviour) -> dict[str, Any]:
    return {
        "source": b.source,
        "debtor_number": b.debtor_number,
        "as_of": b.as_of.isoformat(),
        "paid_items": b.paid_items,
        "weighted_days_late": _number(b.weighted_days_late),
        "payment_index": b.payment_index,
        "promises_kept": b.promises_kept,
        "promises_broken": b.promises_broken,
        "uncollectible_cases": b.uncollectible_cases,
        "risk_score": b.risk.score,
        "risk_band": b.risk.band,
        "scorecard": [
            {"fact": ln.fact, "value": ln.value, "band": ln.band, "points": ln.points}
            for ln in b.risk.lines
        ],
    }


def forecast_json(f: CashForecast) -> dict[str, Any]:
    currencies = f.currencies
    return {
        "as_of": f.as_of.isoformat(),
        "portfolio_delay_days": f.portfolio_delay_days,
        "weeks": [
            {
                "week": w.number,
                "from": w.start.isoformat(),
                "to": w.end.isoformat(),
                "expected": {
                    c: {
                        "promises": money(w.promises.get(c, 0), c),
                        "open_items": money(w.items.get(c, 0), c),
                        "total": money(w.total(c), c),
                    }
                    for c in currencies
                },
            }
            for w in f.weeks
        ],
        "not_forecast": {
            reason: {c: money(v, c) for c, v in sorted(by_currency.items())}
            for reason, by_currency in f.not_forecast.items()
        },
        "notes": f.notes,
    }


def promises_json(found: Sequence[CasePromise]) -> dict[str, Any]:
    return {
        "promises": [
            {
                "case_reference": p.reference,
                "agency": p.agency,
                "source": p.source,
                "debtor_number": p.debtor_number,
                "made_on": p.outcome.promise.made_on.isoformat(),
                "due_on": p.outcome.promise.due_on.isoformat(),
                "amount": money(p.outcome.promise.amount, p.currency),
                "paid": money(p.outcome.paid, p.currency),
                "currency": p.currency,
                "status": p.outcome.status.value,
                "settled_on": p.outcome.settled_on.isoformat() if p.outcome.settled_on else None,
            }
            for p in found
        ]
    }
