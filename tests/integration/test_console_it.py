"""The console's IT pages in-process: the transfer log (filters, keyset pages, rejected records,
retry), the outbox (counts, dead letters, retry), the jobs (runs, run now) and the alerts, each
admitted by the API's role matrix (IT and integrator) and each action refused without its CSRF
token."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api import create_app
from gateway.domain.users import Role
from gateway.ops.alerts.monitor import AlertMonitor
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import JobRunRow, OutboxMessageRow, TransferRow
from tests.conftest import Workspace
from tests.integration.console_client import Browser
from tests.integration.console_setup import add_person

IT_PAGES = ("/ui/transfers", "/ui/outbox", "/ui/jobs", "/ui/alerts")


def failed_write_back(workspace: Workspace, store: Store) -> None:
    """Cases handed over; the write-back folder is blocked, so the write-back transfer fails
    and (one attempt allowed) its actions become dead letters."""
    with workspace.config_path.open("a", encoding="utf-8") as config:
        config.write("\ndelivery:\n  max_attempts: 1\n")
    context = workspace.context(store)
    run_cycle(context, (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    folder = workspace.path("erp", "writeback")
    folder.rmdir()
    folder.write_text("in the way", encoding="utf-8")
    run_cycle(workspace.context(store), (Step.WRITEBACK,))
    folder.unlink()
    folder.mkdir()


@pytest.fixture
def console(workspace: Workspace, store: Store) -> Iterator[TestClient]:
    failed_write_back(workspace, store)
    add_person(store, "ivan", Role.IT)
    add_person(store, "alice", Role.ACCOUNTING)
    add_person(store, "ingrid", Role.INTEGRATOR)
    with TestClient(create_app(workspace.config(), store)) as client:
        yield client
        runner = getattr(client.app.state, "job_runner", None)  # type: ignore[attr-defined]
        if runner is not None:
            runner.join(120)


def signed_in(console: TestClient, name: str) -> Browser:
    browser = Browser(console)
    assert browser.sign_in(name).status_code == 303
    return browser


def transfer_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/ui/transfers/(\d+)">', page)]


def failed_transfer(store: Store, kind: str) -> int:
    with store.unit_of_work(read_only=True) as session:
        found = session.scalar(
            select(TransferRow.id).where(TransferRow.kind == kind, TransferRow.status == "failed")
        )
    assert found is not None
    return found


def dead_letters(store: Store) -> int:
    with store.unit_of_work(read_only=True) as session:
        query = select(func.count()).where(OutboxMessageRow.status == "dead")
        return int(session.scalar(query) or 0)


def test_the_it_pages_follow_the_role_matrix(console: TestClient, store: Store) -> None:
    for page in IT_PAGES:
        assert console.get(page, follow_redirects=False).status_code == 303  # sign in first
    alice = signed_in(console, "alice")
    cases = alice.get("/ui/cases").text
    for page in IT_PAGES:
        assert f'href="{page}"' not in cases  # not in accounting's menu
        assert alice.get(page).status_code == 403
    transfer = failed_transfer(store, "writeback")
    assert alice.get(f"/ui/transfers/{transfer}").status_code == 403
    assert alice.post(f"/ui/transfers/{transfer}/retry", {}).status_code == 403
    assert alice.post("/ui/outbox/retry", {"destination": "erp", "all": "1"}).status_code == 403
    assert alice.post("/ui/jobs/daily-cycle/run", {}).status_code == 403
    assert dead_letters(store) == 33
    for name in ("ivan", "ingrid"):
        operator = signed_in(console, name)
        menu = operator.get("/ui/transfers").text
        for page in IT_PAGES:
            assert f'href="{page}"' in menu
            answer = operator.get(page)
            assert answer.status_code == 200 and " style=" not in answer.text


def test_the_transfer_log_filters_by_kind_state_partner_and_day(
    console: TestClient, store: Store
) -> None:
    ivan = signed_in(console, "ivan")
    with store.unit_of_work(read_only=True) as session:
        every = list(session.scalars(select(TransferRow).order_by(TransferRow.id.desc())))
    everything = ivan.get("/ui/transfers").text
    assert transfer_ids(everything) == [t.id for t in every]
    failed = ivan.get("/ui/transfers", params={"status": "failed"}).text
    assert transfer_ids(failed) == [t.id for t in every if t.status == "failed"] != []
    kind = ivan.get("/ui/transfers", params={"kind": "open_items", "partner": "erp"}).text
    assert transfer_ids(kind) == [t.id for t in every if t.kind == "open_items"] != []
    assert transfer_ids(ivan.get("/ui/transfers", params={"partner": "nobody"}).text) == []
    day = every[0].started_at.date().isoformat()
    that_day = ivan.get("/ui/transfers", params={"since": day, "until": day}).text
    assert transfer_ids(that_day) == [t.id for t in every]
    before = ivan.get("/ui/transfers", params={"until": "2000-01-01"}).text
    assert transfer_ids(before) == [] and "No transfer matches these filters." in before
    wrong = ivan.get("/ui/transfers", params={"since": "yesterday"}).text
    assert "From: a date as YYYY-MM-DD" in wrong


def test_the_transfer_log_pages_by_keyset(
    console: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.web.pages import transfer_log

    monkeypatch.setattr(transfer_log, "PAGE_SIZE", 2)
    ivan = signed_in(console, "ivan")
    with store.unit_of_work(read_only=True) as session:
        every = list(session.scalars(select(TransferRow.id).order_by(TransferRow.id.desc())))
    seen: list[int] = []
    page = ivan.get("/ui/transfers").text
    while True:
        seen += transfer_ids(page)
        older = re.search(r'<a href="([^"]+)" rel="next">', page)
        if not older:
            break
        page = ivan.get(older.group(1).replace("&amp;", "&")).text
    assert seen == every and len(every) > 2


def test_a_transfer_shows_the_records_it_rejected(console: TestClient, store: Store) -> None:
    ivan = signed_in(console, "ivan")
    with store.unit_of_work(read_only=True) as session:
        extract = session.scalars(select(TransferRow).where(TransferRow.kind == "open_items")).one()
    page = ivan.get(f"/ui/transfers/{extract.id}").text
    rows = re.findall(r"<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", page)
    assert len(rows) == extract.rejected > 0
    reasons = " ".join(r[2] for r in rows)
    assert "unknown currency" in reasons and "duplicate key" in reasons
    assert "Retry this transfer" not in page  # it did not fail
    assert ivan.get("/ui/transfers/999999").status_code == 404


def test_retrying_a_failed_transfer_from_its_page(console: TestClient, store: Store) -> None:
    ivan = signed_in(console, "ivan")
    transfer = failed_transfer(store, "writeback")
    page = ivan.get(f"/ui/transfers/{transfer}").text
    assert "Retry this transfer" in page
    forged = console.post(
        f"/ui/transfers/{transfer}/retry", data={"csrf_token": "x" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403 and dead_letters(store) == 33
    answer = ivan.post(f"/ui/transfers/{transfer}/retry", {})
    assert answer.status_code == 200
    assert "Put back in the queue: the next run moves it again." in answer.text
    assert "33 dead and 0 waiting write-back actions for erp are due now" in answer.text
    assert dead_letters(store) == 0
    with store.unit_of_work(read_only=True) as session:
        summary = session.scalar(select(TransferRow.summary).where(TransferRow.id == transfer))
    assert summary is not None and "[retry" in summary
    # a transfer that did not fail is not retried
    with store.unit_of_work(read_only=True) as session:
        ok = session.scalar(select(TransferRow.id).where(TransferRow.status != "failed"))
    refused = ivan.post(f"/ui/transfers/{ok}/retry", {})
    assert refused.status_code == 409 and "This transfer cannot be retried." in refused.text


def test_the_outbox_lists_dead_letters_and_retries_the_ticked_ones(
    console: TestClient, store: Store
) -> None:
    ivan = signed_in(console, "ivan")
    page = ivan.get("/ui/outbox").text
    counts = re.search(r'<table id="outbox-counts">.*?</table>', page, re.S)
    assert counts is not None and "ERP action" in counts.group(0)
    assert re.search(r'<td class="num attention">33</td>', counts.group(0))
    ids = re.findall(r'name="message" value="(\d+)"', page)
    assert len(ids) == 33
    with store.unit_of_work(read_only=True) as session:
        error = session.scalars(select(OutboxMessageRow.last_error)).first()
    assert error and html.escape(error[:60]) in page  # why it died
    forged = console.post("/ui/outbox/retry", data={"message": ids[:2], "csrf_token": "x" * 64})
    assert forged.status_code == 403 and dead_letters(store) == 33
    nothing = ivan.post("/ui/outbox/retry", {})
    assert "Tick the dead letters to retry first." in nothing.text
    answer = ivan.post("/ui/outbox/retry", {"message": ids[:2]})
    assert "2 dead letters put back in the queue" in answer.text
    assert dead_letters(store) == 31
    waiting = ivan.get("/ui/outbox", params={"list": "pending"}).text
    assert re.findall(r'<td class="num">(\d+)</td>\s*<td>ERP action', waiting) == ids[:2]
    everything = ivan.post(
        "/ui/outbox/retry?list=dead&destination=erp", {"destination": "erp", "all": "1"}
    )
    assert "31 dead letters put back in the queue" in everything.text
    assert dead_letters(store) == 0


def test_the_jobs_page_runs_a_job_now_and_lists_its_runs(console: TestClient, store: Store) -> None:
    ivan = signed_in(console, "ivan")
    page = ivan.get("/ui/jobs").text
    assert '<a href="/ui/jobs/daily-cycle">daily-cycle</a>' in page and "never run" in page
    forged = console.post("/ui/jobs/daily-cycle/run", data={"csrf_token": "x" * 64})
    assert forged.status_code == 403
    answer = ivan.post("/ui/jobs/daily-cycle/run", {})
    assert answer.status_code == 200 and "daily-cycle started (run" in answer.text
    console.app.state.job_runner.join(120)  # type: ignore[attr-defined]
    with store.unit_of_work(read_only=True) as session:
        run = session.scalars(select(JobRunRow).where(JobRunRow.job == "daily-cycle")).one()
    assert run.trigger == "manual" and run.status in ("ok", "failed")
    runs = ivan.get("/ui/jobs/daily-cycle").text
    assert f'<td class="num">{run.id}</td>' in runs and "manual" in runs
    assert ivan.get("/ui/jobs/no-such-job").status_code == 404
    assert ivan.post("/ui/jobs/no-such-job/run", {}).status_code == 404


def test_the_alerts_page_shows_what_fires_and_where_to_act(
    console: TestClient, store: Store, workspace: Workspace
) -> None:
    ivan = signed_in(console, "ivan")
    assert "No condition has fired yet." in ivan.get("/ui/alerts").text
    AlertMonitor(workspace.config(), store).check()
    page = ivan.get("/ui/alerts").text
    assert "Transfer failed" in page and "Dead letters" in page
    assert 'href="/ui/outbox?list=dead&amp;destination=erp"' in page
    assert (
        "/ui/transfers?partner=erp&amp;direction=outbound&amp;kind=writeback&amp;status=failed"
        in (page)
    )


def test_the_address_of_an_action_opened_again_shows_its_page_without_acting(
    console: TestClient, store: Store
) -> None:
    ivan = signed_in(console, "ivan")
    transfer = failed_transfer(store, "writeback")
    again = {
        f"/ui/transfers/{transfer}/retry": f"/ui/transfers/{transfer}",
        "/ui/outbox/retry?list=dead&destination=erp": "/ui/outbox?list=dead&destination=erp",
        "/ui/jobs/daily-cycle/run": "/ui/jobs",
    }
    for address, page in again.items():
        answer = ivan.client.get(address, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, page)
    assert dead_letters(store) == 33
    with store.unit_of_work(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(JobRunRow)) == 0
