"""The figures in a real browser: the menu leads to the dashboard, the charts are drawn (SVG
from the server, no script), the sub-pages and the debtor sheet's risk panel work, and nothing
breaks the Content-Security-Policy (the `tab` fixture fails the test on any report)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Console, Tab


def test_figures_dashboard_charts_and_the_risk_panel(tab: Tab, console: Console) -> None:
    page = tab.sign_in("alice")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Figures").click()
    expect(page.get_by_role("heading", name="Figures", exact=True)).to_be_visible()
    charts = page.locator("figure.chart svg[role=img]")
    expect(charts).to_have_count(2)
    # the bars are drawn: a rectangle per non-empty bucket, with its amount as its title
    bars = page.locator("figure.chart rect")
    assert bars.count() >= 2
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 80
    tab.screenshot("20-figures")

    page.get_by_role("link", name="Cash forecast").click()
    expect(page.locator("#forecast tbody tr")).to_have_count(13)
    tab.screenshot("21-cash-forecast")
    page.go_back()
    page.get_by_role("link", name="Aged balance", exact=True).click()
    page.get_by_label("By").select_option("debtor")
    expect(page.locator("#ageing tbody tr").first).to_be_visible()
    page.locator("#ageing tbody tr a").first.click()
    expect(page.get_by_role("heading", name="Risk score")).to_be_visible()
    score = page.locator("[data-risk-score]").inner_text()
    assert 0 <= int(score) <= 100
    expect(page.locator("table.scorecard tbody tr")).to_have_count(4)
    tab.screenshot("22-debtor-risk")
