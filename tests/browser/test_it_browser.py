"""IT's pages in a real browser: a failed write-back transfer retried from the transfer log,
dead letters retried from the outbox (in English and in German), the jobs and alerts pages;
screenshots as test artifacts (and, copied, in docs/images for docs/it.md)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from gateway.ops.alerts.monitor import AlertMonitor
from gateway.pipeline import Step, run_cycle
from gateway.storage.models import OutboxMessageRow, TransferRow
from tests.browser.conftest import Console, Tab


def fail_write_back(console: Console) -> int:
    """The ERP's write-back folder is blocked while the write-back runs: its transfer fails and
    (one attempt allowed) its actions become dead letters. Returns the failed transfer's id."""
    workspace = console.workspace
    with workspace.config_path.open("a", encoding="utf-8") as config:
        config.write("\ndelivery:\n  max_attempts: 1\n")
    folder = workspace.path("erp", "writeback")
    folder.rmdir()
    folder.write_text("in the way", encoding="utf-8")
    run_cycle(workspace.context(console.store), (Step.WRITEBACK,))
    folder.unlink()
    folder.mkdir()
    AlertMonitor(workspace.config(), console.store).check()
    with console.store.unit_of_work(read_only=True) as session:
        found = session.scalar(
            select(TransferRow.id).where(
                TransferRow.kind == "writeback", TransferRow.status == "failed"
            )
        )
    assert found is not None
    return found


def dead_letters(console: Console) -> int:
    with console.store.unit_of_work(read_only=True) as session:
        query = select(func.count()).where(OutboxMessageRow.status == "dead")
        return int(session.scalar(query) or 0)


def test_retry_a_failed_transfer_from_the_transfer_log(tab: Tab, console: Console) -> None:
    failed = fail_write_back(console)
    dead = dead_letters(console)
    assert dead > 0
    page = tab.sign_in("ivan")
    page.get_by_role("link", name="Transfers", exact=True).click()
    expect(page.get_by_role("heading", name="Transfers")).to_be_visible()
    page.get_by_label("State").select_option("failed")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#transfers tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("writeback")
    tab.screenshot("it-01-transfer-log")
    rows.first.get_by_role("link", name="retry").click()
    expect(page.get_by_role("heading", name=re.compile(f"Transfer {failed}"))).to_be_visible()
    tab.screenshot("it-02-transfer")
    page.get_by_role("button", name="Retry this transfer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Put back in the queue: the next run moves it again."
    )
    expect(page.get_by_role("status")).to_contain_text(f"{dead} dead and 0 waiting")
    tab.screenshot("it-03-transfer-retried")
    assert dead_letters(console) == 0


def test_retry_dead_letters_from_the_outbox(tab: Tab, console: Console) -> None:
    fail_write_back(console)
    dead = dead_letters(console)
    page = tab.sign_in("ivan")
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.locator("#alerts-summary")).to_contain_text("conditions fire")
    tab.screenshot("it-04-alerts")
    page.locator("#alerts tr", has_text="Dead letters").get_by_role(
        "link", name="Deal with it"
    ).click()
    expect(page.get_by_role("heading", name="Dead letters · erp")).to_be_visible()
    boxes = page.locator("#outbox-messages input[name=message]")
    expect(boxes).to_have_count(dead)
    tab.screenshot("it-05-outbox")
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    page.get_by_role("button", name="Retry the ticked dead letters").click()
    expect(page.get_by_role("status")).to_have_text(
        "2 dead letters put back in the queue: the next relay delivers them."
    )
    assert dead_letters(console) == dead - 2
    # the same in German: the rest of them at once
    page.get_by_label("Language").select_option("de")
    expect(page.get_by_role("heading", name="Unzustellbare Nachrichten · erp")).to_be_visible()
    page.get_by_role("button", name="Alle unzustellbaren Nachrichten an erp wiederholen").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{dead - 2} unzustellbare Nachrichten wieder eingereiht"
    )
    assert dead_letters(console) == 0
    page.get_by_role("link", name="Übertragungen", exact=True).click()
    expect(page.get_by_role("heading", name="Übertragungen")).to_be_visible()
    tab.screenshot("it-06-transfer-log-de")
    page.get_by_label("Sprache").select_option("en")


def test_the_jobs_page_runs_a_job_now(tab: Tab, console: Console) -> None:
    page = tab.sign_in("ivan")
    page.get_by_role("link", name="Jobs", exact=True).click()
    row = page.locator("#jobs tbody tr", has_text="daily-cycle")
    expect(row).to_contain_text("never run")
    row.get_by_role("button", name="Run daily-cycle now").click()
    expect(page.get_by_role("status")).to_contain_text("daily-cycle started (run")
    page.get_by_role("link", name="daily-cycle").click()
    expect(page.locator("#runs tbody tr").first).to_contain_text("manual")
    tab.screenshot("it-07-job-runs")
