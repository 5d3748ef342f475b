"""The debtor risk score: a points scorecard, each point traceable to one fact.

No model is fitted: the bands below are written down here and in docs/kpis.md, and a debtor's
score is the sum of the points of the band each of its facts falls in (0 = no sign of risk,
100 = the worst band of every fact). A policy can test it (`risk_score: {at_least: 40}`) and the
debtor sheet shows each line.

| fact | bands → points |
|---|---|
| weighted days late of the items paid in the last 12 months | no paid item: 15 · ≤ 0: 0 · > 0 to 10: 10 · > 10 to 30: 20 · > 30 to 60: 30 · > 60: 40 |
| share of the open balance more than 90 days past due | none: 0 · under a quarter: 10 · a quarter to under half: 20 · half or more: 25 |
| promises to pay broken in the last 12 months | 0: 0 · 1: 10 · 2: 15 · 3 or more: 20 |
| cases an agency returned uncollectible | 0: 0 · 1 or more: 15 |
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from gateway.kpi.formulas import rounded

__all__ = ["BANDS", "DebtorFacts", "RiskScore", "ScoreLine", "risk_band", "score"]


@dataclass(frozen=True, slots=True)
class DebtorFacts:
    """What the scorecard reads of a debtor (gateway.kpi.behaviour gathers it)."""

    paid_items: int
    weighted_days_late: Fraction | None  # None: no item paid in the window
    # Open debit balance and its part more than 90 days past due, in major units: a debtor
    # with items in several currencies has them added without conversion (only the share of
    # the two is used).
    open_balance: Fraction
    overdue_90: Fraction
    broken_promises: int
    uncollectible_cases: int


@dataclass(frozen=True, slots=True)
class ScoreLine:
    fact: str
    value: str
    band: str
    points: int


@dataclass(frozen=True, slots=True)
class RiskScore:
    score: int
    band: str
    lines: tuple[ScoreLine, ...]


BANDS = ((60, "very high"), (40, "high"), (20, "medium"), (0, "low"))


def risk_band(score_: int) -> str:
    return next(name for floor, name in BANDS if score_ >= floor)


# (at most this many days late, band, points); beyond the last: 40 points.
_LATENESS: tuple[tuple[int, str, int], ...] = (
    (0, "≤ 0 days", 0),
    (10, "> 0 to 10 days", 10),
    (30, "> 10 to 30 days", 20),
    (60, "> 30 to 60 days", 30),
)


def _days_late(facts: DebtorFacts) -> ScoreLine:
    fact = "weighted days late (items paid in the last 12 months)"
    wdl = facts.weighted_days_late
    if wdl is None or facts.paid_items == 0:
        return ScoreLine(fact, "no item paid", "no payment history", 15)
    shown = f"{rounded(wdl)} days over {facts.paid_items} paid item(s)"
    for limit, band, points in _LATENESS:
        if wdl <= limit:
            return ScoreLine(fact, shown, band, points)
    return ScoreLine(fact, shown, "> 60 days", 40)


def _old_overdue(facts: DebtorFacts) -> ScoreLine:
    fact = "share of the open balance more than 90 days past due"
    if facts.open_balance <= 0 or facts.overdue_90 <= 0:
        return ScoreLine(fact, "0 %", "none", 0)
    share = facts.overdue_90 / facts.open_balance
    shown = f"{rounded(share * 100)} %"
    if share < Fraction(1, 4):
        return ScoreLine(fact, shown, "under a quarter", 10)
    if share < Fraction(1, 2):
        return ScoreLine(fact, shown, "a quarter to under half", 20)
    return ScoreLine(fact, shown, "half or more", 25)


def _promises(facts: DebtorFacts) -> ScoreLine:
    fact = "promises to pay broken in the last 12 months"
    n = facts.broken_promises
    points = 0 if n == 0 else 10 if n == 1 else 15 if n == 2 else 20
    band = str(n) if n < 3 else "3 or more"
    return ScoreLine(fact, str(n), band, points)


def _uncollectible(facts: DebtorFacts) -> ScoreLine:
    fact = "cases an agency returned uncollectible"
    n = facts.uncollectible_cases
    return ScoreLine(fact, str(n), "0" if n == 0 else "1 or more", 0 if n == 0 else 15)


def score(facts: DebtorFacts) -> RiskScore:
    lines = (_days_late(facts), _old_overdue(facts), _promises(facts), _uncollectible(facts))
    total = sum(line.points for line in lines)
    return RiskScore(total, risk_band(total), lines)
