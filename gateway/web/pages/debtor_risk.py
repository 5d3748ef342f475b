"""The debtor sheet's payment-behaviour panel: the risk score with every scorecard line (each
point traced to its fact), weighted days late, the payment index, and the agency promises to
pay with how each turned out (gateway.kpi)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from gateway.kpi.behaviour import Behaviour, debtor_behaviour
from gateway.kpi.promise_book import CasePromise, promise_outcomes
from gateway.web.nav import N_
from gateway.web.pages.debtor_sheet import DEBTOR_PANELS, DebtorPanel

__all__ = ["SCORECARD_WORDS", "RiskPanel", "risk_panel"]

# The scorecard's facts, bands, risk bands and promise outcomes (gateway.kpi.scorecard and
# gateway.kpi.promises say them in English), marked here for the catalogs: the panel shows
# them in the reader's language.
SCORECARD_WORDS = (
    N_("weighted days late (items paid in the last 12 months)"),
    N_("share of the open balance more than 90 days past due"),
    N_("promises to pay broken in the last 12 months"),
    N_("cases an agency returned uncollectible"),
    N_("no payment history"),
    N_("≤ 0 days"),
    N_("> 0 to 10 days"),
    N_("> 10 to 30 days"),
    N_("> 30 to 60 days"),
    N_("> 60 days"),
    N_("none"),
    N_("under a quarter"),
    N_("a quarter to under half"),
    N_("half or more"),
    N_("3 or more"),
    N_("1 or more"),
    N_("low"),
    N_("medium"),
    N_("high"),
    N_("very high"),
    N_("kept"),
    N_("broken"),
    N_("pending"),
)

# The panel receives (session, source, number) only: it judges promises with the default grace
# days of the configuration (kpi.promise_grace_days), as the stored scores do by default.
GRACE_DAYS = 3


@dataclass(frozen=True)
class RiskPanel:
    behaviour: Behaviour
    promises: list[CasePromise]


def risk_panel(session: Session, source: str, number: str) -> RiskPanel:
    today = date.today()  # noqa: DTZ011 - the business date is the server's calendar date
    return RiskPanel(
        debtor_behaviour(session, source, number, today, GRACE_DAYS),
        promise_outcomes(session, today, GRACE_DAYS, debtor=(source, number)),
    )


DEBTOR_PANELS.append(DebtorPanel("debtor_risk.html", risk_panel))
