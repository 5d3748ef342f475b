"""The figures pages (docs/kpis.md): a dashboard (receivables over time, today's aged balance,
DSO and CEI), the aged balance by company code, segment, agency or debtor, agency performance
and the 13-week cash forecast. Charts are SVG drawn here (gateway.web.charts); every figure is
also in a table."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from gateway.domain.users import READERS
from gateway.i18n import LocaleFormats
from gateway.kpi.ageing import aged_balance, overdue_share
from gateway.kpi.agencies import age_labels, agency_performance
from gateway.kpi.dso import dso_report, month_end
from gateway.kpi.forecast import cash_forecast
from gateway.kpi.history import trend
from gateway.web.auth import ConfigDep, Reader, StoreDep
from gateway.web.charts import Bar, Series, bar_chart, line_chart
from gateway.web.nav import N_, NavEntry
from gateway.web.render import gettext, language_of, render

__all__ = ["FIGURE_LABELS", "NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/kpi", N_("Figures"), READERS, order=20)]

FIGURE_LABELS = {
    "dso": N_("DSO"),
    "count_back_dso": N_("Count-back DSO"),
    "best_possible_dso": N_("Best possible DSO"),
    "average_days_delinquent": N_("Average days delinquent"),
    "cei": N_("CEI"),
}
GROUPINGS = {
    "company_code": N_("Company code"),
    "segment": N_("Segment"),
    "agency": N_("Agency"),
    "debtor": N_("Debtor"),
}
# The forecast's reasons for leaving an amount out (gateway.kpi.forecast), for the catalogs.
NOT_FORECAST_REASONS = (
    N_("at an agency (expected only through the agency's promises)"),
    N_("disputed"),
    N_("more than 30 days past the expected day"),
    N_("after the 13th week"),
)
BUCKET_CSS = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"]


def _today() -> date:
    return date.today()  # noqa: DTZ011 - the business date is the server's calendar date


def _ageing_bars(groups: Any, labels: list[str], formats: LocaleFormats) -> list[Bar]:
    """One bar per bucket, over the groups' totals of one currency."""
    if not groups:
        return []
    currency = groups[0].currency
    sums = [sum(g.buckets[i] for g in groups) for i in range(len(labels))]
    return [
        Bar(label, [(BUCKET_CSS[min(i, 7)], amount, formats.money(amount, currency))])
        for i, (label, amount) in enumerate(zip(labels, sums, strict=True))
    ]


@router.get("/ui/kpi")
def dashboard(
    request: Request,
    user: Reader,
    store: StoreDep,
    config: ConfigDep,
    currency: str | None = None,
) -> HTMLResponse:
    _ = gettext(request)
    formats = LocaleFormats(language_of(request))
    today = _today()
    buckets = config.model.kpi.buckets
    period_end = month_end(today.replace(day=1) - timedelta(days=1))
    with store.unit_of_work(read_only=True) as session:
        ageing = aged_balance(session, today, buckets, buckets, ("currency",))
        points = trend(session, today - timedelta(days=90), today, ("currency",))
        dso = dso_report(session, period_end, 3)
    currencies = [t.currency for t in ageing.currency_totals()]
    chosen = currency if currency in currencies else (currencies[0] if currencies else None)
    mine = [g for g in ageing.groups if g.currency == chosen]
    labels = [_("current") if n == 0 else label for n, label in enumerate(buckets.labels)]
    ageing_chart = (
        bar_chart(_("Aged balance today"), _ageing_bars(mine, labels, formats)) if mine else None
    )
    totals, overdue = [], []
    for p in points:
        found = [g for g in p.groups if g.currency == chosen]
        if found:
            day = formats.date(p.day)
            total = sum(g.total for g in found)
            late = sum(g.overdue for g in found)
            totals.append((day, total, formats.money(total, chosen or "EUR")))
            overdue.append((day, late, formats.money(late, chosen or "EUR")))
    trend_chart = (
        line_chart(
            _("Receivables over the last 90 days"),
            [
                Series("line-total", _("Receivables"), totals),
                Series("line-overdue", _("Overdue"), overdue),
            ],
        )
        if totals
        else None
    )
    return render(
        request,
        "kpi.html",
        {
            "currencies": currencies,
            "currency": chosen,
            "ageing": ageing,
            "labels": labels,
            "share": {t.currency: overdue_share(t) for t in ageing.currency_totals()},
            "ageing_chart": ageing_chart,
            "trend_chart": trend_chart,
            "dso": dso,
            "figure_labels": FIGURE_LABELS,
        },
    )


@router.get("/ui/kpi/ageing")
def ageing_page(
    request: Request,
    user: Reader,
    store: StoreDep,
    config: ConfigDep,
    by: str = "company_code",
) -> HTMLResponse:
    _ = gettext(request)
    by = by if by in GROUPINGS else "company_code"
    today = _today()
    buckets = config.model.kpi.buckets
    limit = 100 if by == "debtor" else None
    with store.unit_of_work(read_only=True) as session:
        ageing = aged_balance(session, today, buckets, buckets, (by, "currency"), limit=limit)
    labels = [_("current") if n == 0 else label for n, label in enumerate(buckets.labels)]
    return render(
        request,
        "kpi_ageing.html",
        {
            "ageing": ageing,
            "by": by,
            "groupings": GROUPINGS,
            "labels": labels,
            "share": overdue_share,
            "limit": limit,
        },
    )


@router.get("/ui/kpi/agencies")
def agencies_page(
    request: Request, user: Reader, store: StoreDep, by_month: bool = False
) -> HTMLResponse:
    _ = gettext(request)
    with store.unit_of_work(read_only=True) as session:
        lines = agency_performance(session, _today(), by_month)
    bars = [
        Bar(
            f"{a.agency} {a.currency}" + (f" {a.cohort:%Y-%m}" if a.cohort else ""),
            [("b1", int((a.recovery_rate or 0) * 10), f"{a.recovery_rate or 0} %")],
        )
        for a in lines
    ]
    chart = (
        bar_chart(_("Recovery rate (collected principal ÷ handed over)"), bars) if bars else None
    )
    return render(
        request,
        "kpi_agencies.html",
        {"lines": lines, "chart": chart, "by_month": by_month, "ages": age_labels()},
    )


@router.get("/ui/kpi/forecast")
def forecast_page(
    request: Request,
    user: Reader,
    store: StoreDep,
    config: ConfigDep,
    currency: str | None = None,
) -> HTMLResponse:
    _ = gettext(request)
    formats = LocaleFormats(language_of(request))
    with store.unit_of_work(read_only=True) as session:
        forecast = cash_forecast(session, _today(), config.model.kpi.promise_grace_days)
    currencies = forecast.currencies
    chosen = currency if currency in currencies else (currencies[0] if currencies else None)
    chart = None
    if chosen:
        bars = [
            Bar(
                str(w.number),
                [
                    ("b0", w.items.get(chosen, 0), formats.money(w.items.get(chosen, 0), chosen)),
                    (
                        "b2",
                        w.promises.get(chosen, 0),
                        formats.money(w.promises.get(chosen, 0), chosen),
                    ),
                ],
            )
            for w in forecast.weeks
        ]
        chart = bar_chart(
            _("Collections expected per week"),
            bars,
            [("b0", _("Open items")), ("b2", _("Agency promises"))],
        )
    return render(
        request,
        "kpi_forecast.html",
        {"forecast": forecast, "currencies": currencies, "currency": chosen, "chart": chart},
    )
