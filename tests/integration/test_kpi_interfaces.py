"""`claimbridge kpi ...` and /v1/kpi/...: the same figures as JSON and tables, clear errors,
and the API behind a user token. The figures themselves are held to worked examples in the
other test_kpi_* files; here they are checked against totals read with plain SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api import create_app
from gateway.cli import main
from gateway.domain.money import minor_to_decimal
from gateway.domain.users import Role
from gateway.pipeline import run_cycle
from gateway.storage.database import Store, create_store
from gateway.storage.models import CaseRow, OpenItemRow
from tests.conftest import TODAY, Workspace, set_settle
from tests.integration.api_users import add_user, bearer


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def site(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> tuple[CliRunner, str]:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    cli = CliRunner()
    target = tmp_path / "site"
    assert invoke(cli, "init", str(target), "--as-of", TODAY.isoformat()).exit_code == 0
    set_settle(target / "claimbridge.yaml", 0)
    config = str(target / "claimbridge.yaml")
    ran = invoke(cli, "-c", config, "run", "--as-of", TODAY.isoformat())
    assert ran.exit_code == 0, ran.output
    return cli, config


def open_totals(database_url: str) -> dict[str, str]:
    """Currency → the open items' total, read with plain SQL."""
    store = create_store(database_url)
    with store.unit_of_work(read_only=True) as session:
        rows = session.execute(
            select(OpenItemRow.currency, func.sum(OpenItemRow.open_amount_minor))
            .where(OpenItemRow.is_open.is_(True))
            .group_by(OpenItemRow.currency)
        ).all()
    store.dispose()
    return {currency: str(minor_to_decimal(int(total), currency)) for currency, total in rows}


def test_the_cli_shows_each_kpi(site: tuple[CliRunner, str], database_url: str) -> None:
    cli, config = site
    day = TODAY.isoformat()
    live = json.loads(
        invoke(cli, "-c", config, "kpi", "ageing", "--as-of", day, "--live", "--json").output
    )
    fast = json.loads(invoke(cli, "-c", config, "kpi", "ageing", "--as-of", day, "--json").output)
    kept = json.loads(
        invoke(cli, "-c", config, "kpi", "ageing", "--as-of", day, "--history", "--json").output
    )
    assert live["buckets"] == ["current", "1-30", "31-60", "61-90", "91-180", ">180"]
    assert {t["currency"]: t["total"] for t in live["totals"]} == open_totals(database_url)
    # the snapshot kept by today's extraction holds the same receivables
    assert kept["origin"] == "history" and kept["totals"] == live["totals"]
    # today's page reads the same snapshot; per debtor, the aged balance kept with the scores
    assert fast["origin"] == "history" and fast["groups"] == kept["groups"]
    by_debtor = ["kpi", "ageing", "--as-of", day, "--by", "debtor", "--json"]
    stored = json.loads(invoke(cli, "-c", config, *by_debtor).output)
    read = json.loads(invoke(cli, "-c", config, *by_debtor, "--live").output)
    assert stored["origin"] == "debtor ageing" and read["origin"] == "live"
    assert stored["groups"] == read["groups"] and len(read["groups"]) > 5
    table = invoke(
        cli, "-c", config, "kpi", "ageing", "--as-of", day, "--by", "debtor", "--limit", "2"
    )
    # title, header, rule, the two debtors with the most overdue, and their total
    assert "overdue %" in table.output and len(table.output.splitlines()) == 6

    agencies = json.loads(invoke(cli, "-c", config, "kpi", "agencies", "--json").output)
    # the sample's cases went to acme today, in three currencies; nothing collected yet
    assert {(a["agency"], a["currency"]) for a in agencies["agencies"]} == {
        ("acme", "EUR"),
        ("acme", "GBP"),
        ("acme", "USD"),
    }
    assert {a["recovery_rate"] for a in agencies["agencies"]} == {"0.0"}

    no_feed = invoke(cli, "-c", config, "kpi", "dso", "--period-end", "2026-11-30", "--months", "1")
    assert "taken on 2026-11-20, more than 7 days before; no credit sales feed" in no_feed.output
    month = invoke(cli, "-c", config, "kpi", "dso", "--period-end", "2026-10-31")
    assert "no snapshot was taken on or before 2026-10-31" in month.output
    bad_day = cli.invoke(main, ["-c", config, "kpi", "dso", "--period-end", day])
    assert bad_day.exit_code == 2 and "2026-11-20 is not one (e.g. 2026-11-30)" in bad_day.output

    forecast = json.loads(
        invoke(cli, "-c", config, "kpi", "forecast", "--as-of", day, "--json").output
    )
    assert len(forecast["weeks"]) == 13 and forecast["weeks"][0]["from"] == day
    debtor = invoke(cli, "-c", config, "kpi", "debtor", "erp:nobody", "--as-of", day)
    assert "risk score 15 (low)" in debtor.output and "no payment history" in debtor.output
    wrong = cli.invoke(main, ["-c", config, "kpi", "debtor", "nobody"])
    assert wrong.exit_code == 2 and "write the debtor as SOURCE:NUMBER" in wrong.output
    buckets = cli.invoke(main, ["-c", config, "kpi", "ageing", "--buckets", "60,30"])
    assert buckets.exit_code == 2 and "increasing" in buckets.output
    refreshed = invoke(cli, "-c", config, "kpi", "refresh", "--as-of", day)
    assert "debtors refreshed" in refreshed.output


def test_the_api_shows_each_kpi_to_users_only(workspace: Workspace, store: Store) -> None:
    run_cycle(workspace.context(store))
    token = add_user(store, "alice", Role.ACCOUNTING)
    client = TestClient(create_app(workspace.config(), store))

    def get(path: str, **params: str) -> dict:  # type: ignore[type-arg]
        response = client.get(f"/v1/kpi/{path}", params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    assert client.get("/v1/kpi/ageing").status_code == 401
    ageing = get("ageing", as_of=TODAY.isoformat(), by="segment,currency", buckets="90")
    assert ageing["buckets"] == ["current", "1-90", ">90"] and ageing["by"] == [
        "segment",
        "currency",
    ]
    trend = get("trend", **{"from": "2026-11-01", "to": TODAY.isoformat()})
    assert [p["day"] for p in trend["points"]] == [TODAY.isoformat()]
    with store.unit_of_work(read_only=True) as session:
        handed = session.scalar(
            select(func.count()).select_from(CaseRow).where(CaseRow.submitted_at.is_not(None))
        )
    assert sum(a["cases"] for a in get("agencies")["agencies"]) == handed
    dso = get("dso", period_end="2026-11-30", months="1")
    assert dso["lines"] == [] and "no credit sales feed is configured" in dso["problem"]
    assert get("forecast", as_of=TODAY.isoformat())["weeks"][12]["to"] == "2027-02-14"
    assert get("promises")["promises"] == []
    assert get("debtors/erp/nobody", as_of=TODAY.isoformat())["risk_score"] == 15
    refused = client.get("/v1/kpi/ageing", params={"buckets": "0,x"}, headers=bearer(token))
    assert refused.status_code == 422 and "whole days" in refused.json()["detail"]
    unknown = client.get("/v1/kpi/debtors/crm/1", headers=bearer(token))
    assert unknown.status_code == 404 and "no source 'crm'" in unknown.json()["detail"]
    grouped = client.get("/v1/kpi/ageing", params={"by": "agency"}, headers=bearer(token))
    assert grouped.status_code == 422 and "not per agency" in grouped.json()["detail"]
