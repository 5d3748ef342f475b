"""The figures pages and the debtor sheet's risk panel, in-process: what they show is what
gateway.kpi computes (held to worked examples elsewhere), with charts drawn as SVG and the
words in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api import create_app
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.users import Role
from gateway.kpi.behaviour import debtor_behaviour
from gateway.pipeline import run_cycle
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, utcnow
from tests.conftest import Workspace
from tests.integration.console_client import Browser
from tests.integration.console_setup import add_person


@pytest.fixture
def console(workspace: Workspace, store: Store) -> Iterator[tuple[TestClient, str]]:
    # Today's date: the pages count days to the server's calendar date.
    today = date.today()  # noqa: DTZ011
    run_cycle(workspace.context(store, today))
    with store.unit_of_work() as session:
        case = session.scalars(select(CaseRow).order_by(CaseRow.id)).first()
        assert case is not None and case.submitted_at is not None
        updater = CaseUpdater(session, {}, utcnow())
        when = case.submitted_at + timedelta(minutes=5)
        for n, due in enumerate((today - timedelta(days=10), today + timedelta(days=20))):
            promise = CaseEvent(
                EventKind.PROMISE, EventOrigin.AGENCY, f"p{n}", when, 100_00, due_on=due
            )
            updater.apply(case, promise)
        debtor = (case.source, case.debtor_number)
    add_person(store, "alice", Role.ACCOUNTING)
    with TestClient(create_app(workspace.config(), store)) as client:
        browser = Browser(client)
        assert browser.sign_in("alice").status_code == 303
        yield client, f"/ui/debtors/{debtor[0]}/{debtor[1]}"


def test_the_figures_pages_draw_their_charts(console: tuple[TestClient, str]) -> None:
    client, _ = console
    dashboard = client.get("/ui/kpi")
    assert dashboard.status_code == 200
    html = dashboard.text
    assert '<a href="/ui/kpi" aria-current="page">Figures</a>' in html
    # today's aged balance (from the extraction's kept totals) and its chart, per currency
    assert html.count('<svg viewBox="0 0 720 240" role="img"') == 2
    assert "<title>Aged balance today</title>" in html
    assert "<title>Receivables over the last 90 days</title>" in html
    # no sales feed in the sample: the DSO section says why instead of a number
    assert "no credit sales feed is configured" in html
    ageing = client.get("/ui/kpi/ageing", params={"by": "debtor"}).text
    assert len(re.findall(r'<a href="/ui/debtors/erp/[^"]+">', ageing)) > 3
    agencies = client.get("/ui/kpi/agencies").text
    assert "<title>Recovery rate (collected principal ÷ handed over)</title>" in agencies
    assert re.search(r"<td>acme</td>\s*<td>EUR</td>", agencies)
    forecast = client.get("/ui/kpi/forecast").text
    assert forecast.count("<tr><td>") == 13 and "Collections expected per week" in forecast
    assert "style=" not in html + ageing + agencies + forecast  # the CSP forbids it


def test_the_debtor_sheet_shows_the_risk_score_and_the_promises(
    console: tuple[TestClient, str], store: Store
) -> None:
    client, sheet = console
    html = client.get(sheet).text
    _, _, source, number = sheet.split("/")[1:]
    with store.unit_of_work(read_only=True) as session:
        expected = debtor_behaviour(session, source, number, date.today())  # noqa: DTZ011
    shown = re.search(r"data-risk-score>(\d+)<", html)
    assert shown is not None and int(shown.group(1)) == expected.risk.score
    assert "weighted days late (items paid in the last 12 months)" in html
    # one promise due ten days ago, nothing paid: broken; one due in 20 days: pending
    assert re.findall(r'<span class="promise (\w+)">', html) == ["broken", "pending"]


def test_the_figures_in_french(console: tuple[TestClient, str]) -> None:
    client, sheet = console
    client.cookies.set("cb_language", "fr")
    page = client.get("/ui/kpi", headers={"Accept-Language": "fr"}).text
    assert "<h1>Indicateurs</h1>" in page and "Balance âgée aujourd&#39;hui" in page
    assert "Score de risque" in client.get(sheet, headers={"Accept-Language": "fr"}).text
