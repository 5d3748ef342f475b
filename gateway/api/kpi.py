"""The KPIs for accounting (docs/kpis.md): aged balance and its history, DSO and CEI, agency
performance, a debtor's payment behaviour and risk score, promises to pay and the cash
forecast. Read-only; any user role may read them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from gateway.api.deps import ConfigDep, ReadSession
from gateway.api.security import AccountingUser
from gateway.kpi import reports
from gateway.kpi.ageing import aged_balance, ageing_from_history, live_ageing
from gateway.kpi.agencies import agency_performance
from gateway.kpi.behaviour import debtor_behaviour
from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.dso import dso_report, month_end
from gateway.kpi.forecast import cash_forecast
from gateway.kpi.history import trend
from gateway.kpi.promise_book import promise_outcomes
from gateway.kpi.promises import PromiseStatus

__all__ = ["router"]

router = APIRouter(prefix="/v1/kpi", tags=["kpi"])

AsOf = Annotated[date | None, Query(description="business date (YYYY-MM-DD); default: today")]
By = Annotated[
    str,
    Query(
        description="comma-separated groups: source, company_code, currency, debtor, segment "
        "(live) or company_code, currency, segment, agency (history)"
    ),
]


def _today(as_of: date | None) -> date:
    return as_of or date.today()  # noqa: DTZ011 - the server's business date, as the CLI's


def _dims(by: str) -> list[str]:
    return [d.strip() for d in by.split(",") if d.strip()]


def _refused(exc: ValueError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


@router.get("/ageing", summary="Aged balance (live, or from the history on a past day)")
def ageing(
    session: ReadSession,
    config: ConfigDep,
    user: AccountingUser,
    as_of: AsOf = None,
    by: By = "company_code,currency",
    buckets: Annotated[
        str | None, Query(description="edges in days past due, e.g. 30,60,90,180")
    ] = None,
    history: Annotated[
        bool, Query(description="read the snapshot kept for that day (a past day)")
    ] = False,
    live: Annotated[bool, Query(description="read the items themselves")] = False,
    company_code: str | None = None,
    currency: str | None = None,
    segment: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> dict[str, Any]:
    where = {
        k: v
        for k, v in (("company_code", company_code), ("currency", currency), ("segment", segment))
        if v
    }
    try:
        if history:
            found = ageing_from_history(session, _today(as_of), _dims(by), where)
        else:
            configured = config.model.kpi.buckets
            edges = AgeingBuckets.parse(buckets) if buckets else configured
            day, dims = _today(as_of), _dims(by)
            found = (
                live_ageing(session, day, edges, dims, where, limit)
                if live
                else aged_balance(session, day, edges, configured, dims, where, limit)
            )
    except ValueError as exc:
        raise _refused(exc) from None
    return reports.ageing_json(found)


@router.get("/trend", summary="The receivables on each day a snapshot was taken")
def receivables_trend(
    session: ReadSession,
    user: AccountingUser,
    first: Annotated[date | None, Query(alias="from", description="default: 90 days ago")] = None,
    last: Annotated[date | None, Query(alias="to", description="default: today")] = None,
    by: By = "company_code,currency",
) -> dict[str, Any]:
    end = _today(last)
    try:
        points = trend(session, first or end - timedelta(days=90), end, _dims(by))
    except ValueError as exc:
        raise _refused(exc) from None
    return reports.trend_json(points, _dims(by))


@router.get("/dso", summary="DSO, count-back DSO, best possible DSO, days delinquent, CEI")
def dso(
    session: ReadSession,
    user: AccountingUser,
    period_end: Annotated[
        date | None, Query(description="a month's last day; default: the last month's")
    ] = None,
    months: Annotated[int, Query(ge=1, le=12)] = 3,
    company_code: str | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    end = period_end or month_end(date.today().replace(day=1) - timedelta(days=1))  # noqa: DTZ011
    try:
        report = dso_report(session, end, months, company_code, currency)
    except ValueError as exc:
        raise _refused(exc) from None
    return reports.dso_json(report)


@router.get("/agencies", summary="Agency performance: recovery rate, days, commission, age")
def agencies(
    session: ReadSession,
    user: AccountingUser,
    as_of: AsOf = None,
    by_month: Annotated[bool, Query(description="one line per handover month")] = False,
    agency: str | None = None,
) -> dict[str, Any]:
    lines = agency_performance(session, _today(as_of), by_month, agency)
    return reports.agencies_json(lines)


@router.get("/debtors/{source}/{number}", summary="A debtor's payment behaviour and risk score")
def debtor(
    session: ReadSession,
    config: ConfigDep,
    user: AccountingUser,
    source: str,
    number: str,
    as_of: AsOf = None,
) -> dict[str, Any]:
    if source not in config.sources:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no source {source!r} (sources: {', '.join(config.sources)})",
        )
    grace = config.model.kpi.promise_grace_days
    return reports.behaviour_json(debtor_behaviour(session, source, number, _today(as_of), grace))


@router.get("/forecast", summary="Collections expected per week for 13 weeks")
def forecast(
    session: ReadSession, config: ConfigDep, user: AccountingUser, as_of: AsOf = None
) -> dict[str, Any]:
    grace = config.model.kpi.promise_grace_days
    return reports.forecast_json(cash_forecast(session, _today(as_of), grace))


@router.get("/promises", summary="Agency promises to pay, kept, broken or pending")
def promises(
    session: ReadSession,
    config: ConfigDep,
    user: AccountingUser,
    as_of: AsOf = None,
    agency: str | None = None,
    state: Annotated[PromiseStatus | None, Query(alias="status")] = None,
) -> dict[str, Any]:
    grace = config.model.kpi.promise_grace_days
    found = promise_outcomes(session, _today(as_of), grace, agency=agency)
    if state is not None:
        found = [p for p in found if p.outcome.status is state]
    return reports.promises_json(found)
