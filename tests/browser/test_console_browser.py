"""A credit manager's day in a real browser: sign in, the work list, approve, the four-eyes
rule, recall, search, another language; screenshots of the main pages as test artifacts."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import HANDED_OVER, Console, Tab


def test_sign_in_and_out(tab: Tab, console: Console) -> None:
    page = tab.open("/ui/cases")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=/ui/cases$"))
    tab.screenshot("01-sign-in")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The user name or the password is wrong.")
    tab.sign_in("alice")
    expect(page.get_by_role("heading", name="Work list")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    # every visible field has a label a screen reader announces
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
               .filter(e => !e.labels.length && !e.getAttribute('aria-label')).length"""
    )
    assert unlabelled == 0
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    tab.open("/ui/cases")
    expect(page).to_have_url(re.compile(r"/ui/login"))


def test_approve_a_case_from_the_work_list(tab: Tab, console: Console) -> None:
    page = tab.sign_in("alice")
    rows = page.locator("#work-list tbody tr")
    expect(rows).to_have_count(5)  # 7 proposed, 2 of them handed over by the fixture
    tab.screenshot("02-work-list")
    smallest = _smallest_case(tab)
    page.get_by_label(f"Tick {smallest}").check()
    expect(page.locator("[data-selected-count]")).to_have_text("1")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"{smallest}: done; state now: Approved")
    assert console.state(smallest) == "approved"
    # the approved case has left the list of what waits for a decision
    expect(page.get_by_label(f"Tick {smallest}")).to_have_count(0)
    page.locator("details.why").first.locator("summary").click()
    expect(page.locator(".why-detail").first).to_contain_text("dunning level")
    tab.screenshot("03-why-selected")


def test_four_eyes_refusal_and_the_second_approver(
    tab: Tab, second_tab: Tab, console: Console
) -> None:
    page = tab.sign_in("alice")
    page.get_by_label("Sort by").select_option("amount")
    page.get_by_role("button", name="Show").click()
    largest = (
        page.locator("#work-list tbody tr").first.locator("input[name=case]").get_attribute("value")
    )
    assert largest is not None
    page.get_by_label(f"Tick {largest}").check()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{largest}: approval 1 of 2 recorded; another person must approve"
    )
    page.get_by_label(f"Tick {largest}").check()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "you approved it already: the second approval must come from another person"
    )
    assert console.state(largest) == "selected"
    other = second_tab.sign_in("bob")
    other.goto(f"{console.base_url}/ui/cases/{largest}")
    expect(other.get_by_text("1 of 2 given: alice")).to_be_visible()
    other.get_by_role("button", name="Approve", exact=True).click()
    expect(other.get_by_role("status")).to_contain_text("done; state now: Approved")
    assert console.state(largest) == "approved"


def test_recall_a_case_from_the_agency(tab: Tab, console: Console) -> None:
    reference = HANDED_OVER[0]
    assert console.state(reference) == "submitted"
    page = tab.sign_in("alice")
    page.goto(f"{console.base_url}/ui/cases/{reference}")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.locator("ol.timeline > li")).not_to_have_count(0)
    tab.screenshot("04-case")
    recall = page.locator("form", has=page.get_by_role("button", name="Recall from the agency"))
    recall.get_by_label("Reason (optional)").fill("settled with the customer by phone")
    recall.get_by_role("button", name="Recall from the agency").click()
    expect(page.get_by_role("status")).to_contain_text("done; state now: Recalled")
    assert console.state(reference) == "recalled"
    expect(
        page.locator(".event-note", has_text="settled with the customer by phone")
    ).to_be_visible()
    page.get_by_role("link", name=re.compile(".")).filter(has=page.locator("strong")).first.click()
    expect(page.get_by_role("heading", name="Payment behaviour")).to_be_visible()
    tab.screenshot("05-debtor")


def test_search_by_debtor_name_number_and_document(tab: Tab, console: Console) -> None:
    page = tab.sign_in("alice")
    first = page.locator("#work-list tbody tr").first
    name = first.locator("td").nth(2).locator("a").inner_text()
    reference = first.locator("input[name=case]").get_attribute("value")
    page.get_by_label("Search: debtor name or number, document number, case").fill(name[:6].lower())
    page.get_by_role("button", name="Show").click()
    found = page.locator("#work-list tbody input[name=case]")
    values = [found.nth(i).get_attribute("value") for i in range(found.count())]
    assert reference in values
    assert all(
        name[:6].lower() in t.lower()
        for t in page.locator("#work-list tbody td:nth-child(3) a").all_inner_texts()
    )
    page.get_by_label("Search: debtor name or number, document number, case").fill(
        "nobody by this name"
    )
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No case matches these filters.")).to_be_visible()


def test_language_switch(tab: Tab, console: Console) -> None:
    page = tab.sign_in("alice")
    english_amount = page.locator("#work-list tbody tr").first.locator("td.num").first.inner_text()
    page.get_by_label("Language").select_option("de")  # sends the form by itself
    expect(page.get_by_role("heading", name="Arbeitsvorrat")).to_be_visible()
    german_amount = page.locator("#work-list tbody tr").first.locator("td.num").first.inner_text()
    assert english_amount.startswith("€") and german_amount.endswith("€")
    assert "," in german_amount and german_amount != english_amount
    tab.screenshot("06-work-list-de")
    # the choice belongs to the user: a new browser session is in German too
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("Benutzername").fill("alice")
    page.get_by_label("Passwort").fill("correct horse battery staple")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Arbeitsvorrat")).to_be_visible()
    page.get_by_label("Sprache").select_option("fr")
    expect(page.get_by_role("heading", name="Corbeille")).to_be_visible()
    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("heading", name="Work list")).to_be_visible()


def test_it_sees_cases_but_no_decision(tab: Tab, console: Console) -> None:
    page = tab.sign_in("ivan")
    expect(page.get_by_role("heading", name="Work list")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.goto(f"{console.base_url}/ui/cases/{HANDED_OVER[0]}")
    expect(page.get_by_role("button", name="Recall from the agency")).to_have_count(0)


def test_api_docs_work_offline(tab: Tab, console: Console) -> None:
    page = tab.open("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("claimbridge")
    page = tab.open("/redoc")
    expect(page.locator("h1").first).to_contain_text("claimbridge")


def _smallest_case(tab: Tab) -> str:
    page = tab.page
    page.get_by_label("Sort by").select_option("amount")
    page.get_by_role("button", name="Show").click()
    last = page.locator("#work-list tbody tr").last.locator("input[name=case]")
    value = last.get_attribute("value")
    assert value is not None
    return value
