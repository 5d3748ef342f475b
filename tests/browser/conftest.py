"""The console in a real browser: Debian's chromium (installed by
scripts/install-system-packages, never downloaded) driven by Playwright, against a real
`claimbridge serve` on a free port and the test's database (SQLite or PostgreSQL).

Screenshots of the main pages go to test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from gateway.domain.events import EventKind
from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.decisions import Decision, decide
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.cases import CaseRepository
from tests.conftest import Workspace
from tests.integration.console_setup import PASSWORD, add_person, proposed_cases
from tests.integration.workers import free_port, wait_for

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HANDED_OVER = ("CB-0000001", "CB-0000002")  # approved and handed over by the fixture


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed: run `sudo bash scripts/install-system-packages`"
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


class Console:
    """A running `claimbridge serve` with cases to decide on."""

    def __init__(self, base_url: str, store: Store, workspace: Workspace) -> None:
        self.base_url = base_url
        self.store = store
        self.workspace = workspace

    def state(self, reference: str) -> str:
        with self.store.unit_of_work(read_only=True) as session:
            case = CaseRepository(session).by_reference(reference)
            assert case is not None
            return case.state


def _hand_over(workspace: Workspace, store: Store, references: tuple[str, ...]) -> None:
    context = workspace.context(store)
    with store.unit_of_work() as session:
        for reference in references:
            case = CaseRepository(session).by_reference(reference)
            assert case is not None
            for n, person in enumerate(("setup-1", "setup-2")[: max(case.approvals_required, 1)]):
                decide(
                    session,
                    case,
                    Decision(EventKind.APPROVED, f"setup:{reference}:{n}", utcnow(), person),
                    dict(context.writeback_rules),
                )
    run_cycle(context, (Step.HANDOVER,))


@pytest.fixture
def console(workspace: Workspace, store: Store, tmp_path: Path) -> Iterator[Console]:
    proposed_cases(workspace, store, second_above="1000.00")
    _hand_over(workspace, store, HANDED_OVER)
    add_person(store, "alice", Role.ACCOUNTING)
    add_person(store, "bob", Role.ACCOUNTING)
    add_person(store, "ivan", Role.IT)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    args = [sys.executable, "-c", "from gateway.cli import main; main()"]
    args += ["-c", str(workspace.config_path), "serve", "--no-scheduler", "--port", str(port)]
    environ = {**os.environ, "CLAIMBRIDGE_DATABASE_URL": workspace.database_url}
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=environ)
    base_url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError((tmp_path / "serve.log").read_text(errors="replace"))
        try:
            return httpx.get(f"{base_url}/livez", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, 60, "claimbridge serve")
        yield Console(base_url, store, workspace)
    finally:
        process.terminate()
        process.wait(30)
        log.close()


class Tab:
    """A browser page with what the console's tests check on every page: no CSP violation, no
    script error."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        # Script errors and CSP violations; a 401 of a wrong password is not a problem, nor
        # ReDoc 3's attempt to show its vendor's logo from a CDN, which the CSP refuses (the
        # page works without it, offline).
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(str(e)))

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type not in ("error", "warning") or text.startswith("Failed to load resource"):
            return
        if "https://cdn.redoc.ly/" in text and "Content Security Policy" in text:
            return
        self.problems.append(text)

    def open(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def sign_in(self, name: str, password: str = PASSWORD) -> Page:
        page = self.open("/ui/cases")
        page.get_by_label("User name").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        return page

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def tab(chromium: Browser, console: Console) -> Iterator[Tab]:
    context = chromium.new_context(viewport={"width": 1366, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    opened = Tab(page, console.base_url)
    try:
        yield opened
    finally:
        context.close()
    assert opened.problems == [], opened.problems


@pytest.fixture
def second_tab(chromium: Browser, console: Console) -> Iterator[Tab]:
    context = chromium.new_context(viewport={"width": 1366, "height": 800}, locale="en-GB")
    opened = Tab(context.new_page(), console.base_url)
    try:
        yield opened
    finally:
        context.close()


def today() -> date:
    return date.today()  # noqa: DTZ011
