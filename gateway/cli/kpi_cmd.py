"""`claimbridge kpi`: the numbers a credit manager steers by (docs/kpis.md), as tables or JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import click
from sqlalchemy.orm import Session

from gateway.cli.main import CliState, as_of_date, as_of_option, pass_state
from gateway.cli.table import render_table
from gateway.kpi import reports
from gateway.kpi.ageing import aged_balance, ageing_from_history, live_ageing
from gateway.kpi.agencies import age_labels, agency_performance
from gateway.kpi.behaviour import debtor_behaviour
from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.dso import dso_report, month_end
from gateway.kpi.forecast import cash_forecast
from gateway.kpi.history import trend
from gateway.kpi.promise_book import promise_outcomes
from gateway.kpi.refresh import refresh_after_extraction
from gateway.pipeline.context import RunContext

__all__ = ["kpi"]

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _read(state: CliState, query: Callable[[Session], Any]) -> Any:
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            return query(session)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        store.dispose()


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _dims(text: str) -> list[str]:
    return [d.strip() for d in text.split(",") if d.strip()]


@click.group()
def kpi() -> None:
    """Ageing, DSO and CEI, agency performance, payment behaviour, promises, cash forecast."""


@kpi.command("ageing")
@as_of_option
@click.option("--by", default="company_code,currency", show_default=True, help="Groups.")
@click.option("--buckets", help="Bucket edges in days past due (default: the configuration's).")
@click.option("--history", is_flag=True, help="Read the snapshot kept for that (past) day.")
@click.option("--live", is_flag=True, help="Read the items themselves.")
@click.option("--limit", type=int, help="Only the groups with the most overdue.")
@json_option
@pass_state
def ageing_command(
    state: CliState,
    as_of: object,
    by: str,
    buckets: str | None,
    history: bool,
    live: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """Aged balance by days past the net due date (--history for a past day)."""
    day = as_of_date(as_of)

    def query(session: Session) -> dict[str, Any]:
        if history:
            return reports.ageing_json(ageing_from_history(session, day, _dims(by)))
        configured = state.config().model.kpi.buckets
        edges = AgeingBuckets.parse(buckets) if buckets else configured
        if live:
            return reports.ageing_json(live_ageing(session, day, edges, _dims(by), limit=limit))
        found = aged_balance(session, day, edges, configured, _dims(by), limit=limit)
        return reports.ageing_json(found)

    data = _read(state, query)
    if as_json:
        _echo_json(data)
        return
    click.echo(f"aged balance on {data['as_of']} ({data['origin']})")
    if data["problem"]:
        click.echo(data["problem"])
        return
    dims = [d for d in data["by"] if d != "currency"]
    headers = [*dims, "currency", *data["buckets"], "total", "overdue %"]
    total_key = {dims[0]: "TOTAL"} if dims else {}
    rows = [
        [
            *(g["key"].get(d) or "(none)" for d in dims),
            g["currency"],
            *g["buckets"],
            g["total"],
            g["overdue_share"] or "",
        ]
        for g in [*data["groups"], *({**t, "key": total_key} for t in data["totals"])]
    ]
    click.echo(render_table(headers, rows) if rows else "no open items")


@kpi.command("trend")
@click.option(
    "--from", "first", type=click.DateTime(formats=["%Y-%m-%d"]), help="Default: 90 days ago."
)
@click.option("--to", "last", type=click.DateTime(formats=["%Y-%m-%d"]), help="Default: today.")
@click.option("--by", default="company_code,currency", show_default=True)
@json_option
@pass_state
def trend_command(state: CliState, first: Any, last: Any, by: str, as_json: bool) -> None:
    """Receivables on each day a snapshot was taken: total, overdue and overdue share."""
    end = as_of_date(last)
    start = first.date() if first else end - timedelta(days=90)
    data = _read(state, lambda s: reports.trend_json(trend(s, start, end, _dims(by)), _dims(by)))
    if as_json:
        _echo_json(data)
        return
    dims = [d for d in data["by"] if d != "currency"]
    rows = [
        [
            p["day"],
            *(g["key"].get(d, "") for d in dims),
            g["currency"],
            g["total"],
            g["overdue"],
            g["overdue_share"] or "",
        ]
        for p in data["points"]
        for g in p["groups"]
    ]
    headers = ["day", *dims, "currency", "total", "overdue", "overdue %"]
    click.echo(render_table(headers, rows) if rows else "no snapshot in that period")


@kpi.command("dso")
@click.option(
    "--period-end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="A month's last day (default: last month's).",
)
@click.option("--months", default=3, show_default=True, type=click.IntRange(1, 12))
@click.option("--company-code")
@click.option("--currency")
@json_option
@pass_state
def dso_command(
    state: CliState,
    period_end: Any,
    months: int,
    company_code: str | None,
    currency: str | None,
    as_json: bool,
) -> None:
    """DSO (standard, count-back), best possible DSO, average days delinquent and CEI."""
    today = date.today()  # noqa: DTZ011 - the machine's business date, as everywhere in the CLI
    end = period_end.date() if period_end else month_end(today.replace(day=1) - timedelta(days=1))
    data = _read(
        state, lambda s: reports.dso_json(dso_report(s, end, months, company_code, currency))
    )
    if as_json:
        _echo_json(data)
        return
    click.echo(f"period {data['period'][0]} to {data['period'][1]} ({months} months)")
    if data["problem"]:
        click.echo(data["problem"])
    for line in data["lines"]:
        click.echo(
            f"\n{line['company_code']} {line['currency']}: receivables {line['receivables']}, "
            f"current {line['current_receivables']}, credit sales {line['credit_sales']}"
        )
        for name, figure in line["figures"].items():
            shown = (
                f"{figure['value']} {figure['unit']}"
                if figure["value"]
                else (f"not computed: {figure['reason']}")
            )
            click.echo(f"  {name.replace('_', ' '):<24} {shown}")


@kpi.command("agencies")
@as_of_option
@click.option("--by-month", is_flag=True, help="One line per handover month.")
@click.option("--agency")
@json_option
@pass_state
def agencies_command(
    state: CliState, as_of: object, by_month: bool, agency: str | None, as_json: bool
) -> None:
    """Agency performance: recovery rate, days to first payment and to close, commission."""
    day = as_of_date(as_of)
    data = _read(
        state, lambda s: reports.agencies_json(agency_performance(s, day, by_month, agency))
    )
    if as_json:
        _echo_json(data)
        return
    headers = [
        "agency",
        "month",
        "cur",
        "cases",
        "handed over",
        "collected",
        "recovery %",
        "days to 1st pay",
        "days to close",
        "commission %",
        "uncollectible",
        *(f"open {label}" for label in age_labels()),
    ]
    rows = [
        [
            a["agency"],
            a["handover_month"] or "all",
            a["currency"],
            a["cases"],
            a["handed_over"],
            a["collected_principal"],
            a["recovery_rate"],
            a["average_days_to_first_payment"],
            a["average_days_to_close"],
            a["commission_share"],
            a["uncollectible_cases"],
            *(f"{o['cases']} / {o['outstanding']}" for o in a["open_by_age"]),
        ]
        for a in data["agencies"]
    ]
    click.echo(render_table(headers, rows) if rows else "no case was handed over yet")


@kpi.command("debtor")
@click.argument("debtor")
@as_of_option
@json_option
@pass_state
def debtor_command(state: CliState, debtor: str, as_of: object, as_json: bool) -> None:
    """Payment behaviour and risk score of DEBTOR (SOURCE:NUMBER), each point explained."""
    source, sep, number = debtor.partition(":")
    if not sep or not number:
        click.echo(f"error: {debtor!r}: write the debtor as SOURCE:NUMBER, e.g. erp:C1", err=True)
        sys.exit(2)
    if source not in state.config().sources:
        click.echo(f"error: no source {source!r}", err=True)
        sys.exit(2)
    grace = state.config().model.kpi.promise_grace_days
    day = as_of_date(as_of)
    data = _read(
        state, lambda s: reports.behaviour_json(debtor_behaviour(s, source, number, day, grace))
    )
    if as_json:
        _echo_json(data)
        return
    click.echo(f"debtor {source}:{number} on {data['as_of']}")
    click.echo(
        f"  paid items (12 months) {data['paid_items']}, weighted days late "
        f"{data['weighted_days_late'] or '-'}, payment index {data['payment_index'] or '-'}"
    )
    click.echo(f"  promises kept {data['promises_kept']}, broken {data['promises_broken']}")
    click.echo(f"  risk score {data['risk_score']} ({data['risk_band']}):")
    rows = [[ln["points"], ln["fact"], ln["value"], ln["band"]] for ln in data["scorecard"]]
    click.echo(render_table(["points", "fact", "value", "band"], rows, max_width=70))


@kpi.command("forecast")
@as_of_option
@json_option
@pass_state
def forecast_command(state: CliState, as_of: object, as_json: bool) -> None:
    """Collections expected per week for the next 13 weeks."""
    grace = state.config().model.kpi.promise_grace_days
    day = as_of_date(as_of)
    data = _read(state, lambda s: reports.forecast_json(cash_forecast(s, day, grace)))
    if as_json:
        _echo_json(data)
        return
    currencies = sorted({c for w in data["weeks"] for c in w["expected"]})
    rows = [
        [w["week"], w["from"], w["to"], cur, e["promises"], e["open_items"], e["total"]]
        for w in data["weeks"]
        for cur, e in sorted(w["expected"].items())
    ]
    headers = ["week", "from", "to", "cur", "promises", "open items", "total"]
    click.echo(render_table(headers, rows) if currencies else "nothing expected")
    for reason, amounts in data["not_forecast"].items():
        click.echo(f"not forecast, {reason}: " + ", ".join(f"{v} {c}" for c, v in amounts.items()))
    for note in data["notes"]:
        click.echo(f"note: {note}")


@kpi.command("promises")
@as_of_option
@click.option("--agency")
@click.option("--status", type=click.Choice(["kept", "broken", "pending"]))
@json_option
@pass_state
def promises_command(
    state: CliState, as_of: object, agency: str | None, status: str | None, as_json: bool
) -> None:
    """Promises to pay reported by agencies, and whether each was kept."""
    grace = state.config().model.kpi.promise_grace_days
    day = as_of_date(as_of)
    data = _read(
        state, lambda s: reports.promises_json(promise_outcomes(s, day, grace, agency=agency))
    )
    if status:
        data["promises"] = [p for p in data["promises"] if p["status"] == status]
    if as_json:
        _echo_json(data)
        return
    rows = [
        [
            p["case_reference"],
            p["agency"],
            p["debtor_number"],
            p["due_on"],
            p["amount"],
            p["paid"],
            p["currency"],
            p["status"],
        ]
        for p in data["promises"]
    ]
    headers = ["case", "agency", "debtor", "due", "promised", "paid", "cur", "status"]
    click.echo(render_table(headers, rows) if rows else "no promises")


@kpi.command("refresh")
@as_of_option
@pass_state
def refresh_command(state: CliState, as_of: object) -> None:
    """Read the credit sales feeds and recompute every debtor's score now (each extract step
    does it too)."""
    store = state.store()
    try:
        done = refresh_after_extraction(RunContext(state.config(), store, as_of_date(as_of)))
    finally:
        store.dispose()
    for result in done.sales:
        detail = result.error or f"{result.months} months, {result.quarantined} quarantined"
        click.echo(f"sales {result.feed} {result.label}: {result.status}, {detail}")
    click.echo(f"scores of {done.scored_debtors} debtors refreshed")
    if any(r.status == "failed" for r in done.sales):
        sys.exit(1)
