"""The dry run page in a real browser, in English and in French: what the policy would select,
what each criterion keeps out, and the figures beside the last run."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Console, Tab


def test_the_dry_run_page_in_english_and_french(tab: Tab, console: Console) -> None:
    page = tab.sign_in("alice")
    page.get_by_role("link", name="Dry run", exact=True).click()
    page.get_by_label("Policy", exact=True).select_option("standard")
    page.get_by_role("button", name="Run the dry run").click()
    criteria = page.locator("#dry-criteria tbody tr")
    expect(criteria).to_have_count(6)
    expect(criteria.nth(1).locator("td").first).to_have_text("dunning level ≥ 3")
    expect(page.locator("#dry-cases")).to_have_text(re.compile(r"^\d+ cases? \(\d+ items\)"))
    expect(page.locator("#dry-figures")).to_contain_text("Cases")
    tab.screenshot("dry-run-01")
    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Simulation", exact=True)).to_be_visible()
    expect(criteria.nth(1).locator("td").first).to_have_text("niveau de relance ≥ 3")
    expect(page.locator("#since-last-run")).to_contain_text("Depuis la dernière exécution")
    tab.screenshot("dry-run-02-fr")
    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("heading", name="Dry run", exact=True)).to_be_visible()
