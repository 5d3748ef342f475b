"""Every page of the console. A new page is a module here with a `router` (its routes, under
/ui) and, if it has a menu entry, `NAV`; its templates are in gateway/web/templates/ and its
words in the catalogs (docs/architecture.md, "The web console", says how)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter

from gateway.web.nav import NavEntry
from gateway.web.pages import (
    alerts_page,
    case_page,
    debtor_risk,
    debtor_sheet,
    dry_run,
    jobs_page,
    kpi_dashboard,
    notification_settings,
    outbox_page,
    signin,
    transfer_log,
    work_list,
)

__all__ = ["PAGES", "Page"]


@dataclass(frozen=True)
class Page:
    router: APIRouter
    nav: list[NavEntry] = field(default_factory=list)


PAGES: list[Page] = [
    Page(signin.router),
    Page(work_list.router, work_list.NAV),
    Page(case_page.router),
    Page(debtor_sheet.router),
    Page(kpi_dashboard.router, kpi_dashboard.NAV),
    Page(dry_run.router, dry_run.NAV),
    Page(notification_settings.router, notification_settings.NAV),
    Page(transfer_log.router, transfer_log.NAV),
    Page(outbox_page.router, outbox_page.NAV),
    Page(jobs_page.router, jobs_page.NAV),
    Page(alerts_page.router, alerts_page.NAV),
]

# Modules that add panels to the debtor sheet when imported.
PANEL_MODULES = (debtor_risk,)
