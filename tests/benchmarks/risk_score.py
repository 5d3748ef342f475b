"""Risk score benchmark: does the points scorecard rank the debtors who later default above
those who do not? Measured on generated data with a known planted effect, as an AUC.

Each generated debtor is, unknown to the score, *fragile* or not (a quarter are). Fragility
shapes its past twelve months the way it does in real ledgers: how late it paid, how much of
its balance is old, how many promises to an agency it broke, whether a case came back
uncollectible. The outcome is then drawn from fragility alone: a fragile debtor defaults in the
next six months with probability 50 %, another with 5 %. The debtors are written to a real
database as items, cases and agency events; claimbridge computes every score
(gateway.kpi.behaviour.refresh_scores) from that database only, and the AUC (the probability
that a defaulter scores above a non-defaulter, ties counting half) is computed on a holdout half
of the debtors. The scorecard is fixed in advance (docs/kpis.md), so nothing is fitted on the
other half: it is there to show that the figure does not depend on the draw. Beside it: each
fact's own AUC, and the ceiling (knowing fragility itself).

    python -m tests.benchmarks.risk_score                   # 4,000 debtors
    python -m tests.benchmarks.risk_score --debtors 400 --json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from gateway.kpi.behaviour import refresh_scores
from gateway.storage.database import create_store
from gateway.storage.migrations import upgrade
from gateway.storage.models import (
    CaseEventRow,
    CaseRow,
    DebtorScoreRow,
    OpenItemRow,
)

AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 6, tzinfo=UTC)


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mann-Whitney AUC: P(score of a positive > score of a negative), ties counting half."""
    ranked = sorted(zip(scores, outcomes, strict=True), key=lambda p: p[0])
    rank_sum, positives, i = 0.0, 0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + 1 + j) / 2  # average rank of the tie group (1-based)
        for k in range(i, j):
            if ranked[k][1]:
                rank_sum += mid
                positives += 1
        i = j
    negatives = len(ranked) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("the AUC needs both outcomes")
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def generate(
    debtors: int, seed: int
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, bool], dict[str, bool]]:
    """Rows for every table, each debtor's outcome (defaulted?) and its hidden fragility."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    outcome: dict[str, bool] = {}
    hidden: dict[str, bool] = {}
    doc = 0

    def item(number: str, due: date, amount: int, cleared: date | None) -> None:
        nonlocal doc
        doc += 1
        items.append(
            {
                "source": "erp", "company_code": "1000", "document_number": f"{doc:010d}",
                "fiscal_year": due.year, "line_item": "001", "debtor_number": number,
                "document_date": due - timedelta(days=30), "posting_date": due - timedelta(days=30),
                "net_due_date": due, "currency": "EUR", "amount_minor": amount,
                "open_amount_minor": 0 if cleared else amount, "is_open": cleared is None,
                "cleared_on": cleared, "first_seen_transfer_id": 1, "last_seen_transfer_id": 1,
                "last_seen_line": doc, "updated_at": NOW,
            }
        )  # fmt: skip

    for d in range(debtors):
        number = f"{100000 + d}"
        fragile = hidden[number] = rng.random() < 0.25
        outcome[number] = rng.random() < (0.5 if fragile else 0.05)
        # paid invoices of the last 12 months: how late
        for _ in range(rng.randrange(0, 12)):
            due = AS_OF - timedelta(days=rng.randrange(30, 360))
            late = int(rng.gauss(30, 25) if fragile else rng.gauss(3, 10))
            paid = min(due + timedelta(days=late), AS_OF)
            item(number, due, rng.randrange(10_000, 500_000), paid)
        # open invoices: fragile debtors carry more old ones
        for _ in range(rng.randrange(1, 6)):
            old = rng.random() < (0.45 if fragile else 0.12)
            due = AS_OF - timedelta(days=rng.randrange(91, 300) if old else rng.randrange(-30, 90))
            item(number, due, rng.randrange(10_000, 500_000), None)
        # cases at agencies, their promises and what came of them
        if rng.random() < (0.5 if fragile else 0.15):
            case_id = len(cases) + 1
            lost = rng.random() < (0.25 if fragile else 0.05)
            submitted = NOW - timedelta(days=rng.randrange(60, 300))
            handed = rng.randrange(50_000, 500_000)
            cases.append(
                {
                    "id": case_id, "reference": f"CB-{case_id:07d}", "agency": "acme",
                    "source": "erp", "debtor_number": number, "currency": "EUR",
                    "state": "closed_uncollectible" if lost else "in_progress",
                    "state_since": submitted + timedelta(days=50), "policy": "standard",
                    "handed_over_minor": handed, "written_off_minor": handed if lost else 0,
                    "created_at": submitted, "submitted_at": submitted, "updated_at": NOW,
                }
            )  # fmt: skip
            for p in range(rng.randrange(1, 4)):
                made = submitted + timedelta(days=10 + 20 * p)
                due_on = (made + timedelta(days=14)).date()
                amount = rng.randrange(5_000, 50_000)
                events.append(
                    {"case_id": case_id, "origin": "agency", "external_id": f"q{case_id}-{p}",
                     "kind": "promise", "occurred_at": made, "received_at": NOW,
                     "amount_minor": amount, "principal_minor": 0, "due_on": due_on}
                )  # fmt: skip
                if rng.random() < (0.4 if fragile else 0.85):
                    events.append(
                        {"case_id": case_id, "origin": "agency", "external_id": f"p{case_id}-{p}",
                         "kind": "payment", "occurred_at": made + timedelta(days=7),
                         "received_at": NOW, "amount_minor": amount, "principal_minor": amount,
                         "due_on": None}
                    )  # fmt: skip
    return {"items": items, "cases": cases, "events": events}, outcome, hidden


def run(debtors: int, seed: int) -> dict[str, Any]:
    rows, outcome, hidden = generate(debtors, seed)
    with tempfile.TemporaryDirectory() as folder:
        store = create_store(f"sqlite:///{Path(folder) / 'risk.db'}")
        upgrade(store.engine)
        with store.engine.begin() as connection:
            for table, key in (
                (OpenItemRow, "items"),
                (CaseRow, "cases"),
                (CaseEventRow, "events"),
            ):
                for start in range(0, len(rows[key]), 5_000):
                    connection.execute(insert(table), rows[key][start : start + 5_000])
        with store.unit_of_work() as session:
            refresh_scores(session, AS_OF)
        with store.unit_of_work(read_only=True) as session:
            stored = {
                r.debtor_number: (r.risk_score, [line[3] for line in json.loads(r.points)])
                for r in session.scalars(select(DebtorScoreRow))
            }
        store.dispose()
    numbers = sorted(outcome)
    split = random.Random(seed + 1)
    holdout = {n for n in numbers if split.random() < 0.5}

    def figure(names: list[str], pick: Any) -> float:
        return auc([pick(n) for n in names], [outcome[n] for n in names])

    held = [n for n in numbers if n in holdout]
    other = [n for n in numbers if n not in holdout]
    facts = ["days late", "old balance", "broken promises", "uncollectible cases"]
    return {
        "debtors": debtors,
        "defaulted": sum(outcome.values()),
        "auc_holdout": round(figure(held, lambda n: stored[n][0]), 3),
        "auc_other_half": round(figure(other, lambda n: stored[n][0]), 3),
        "auc_ceiling_holdout": round(figure(held, lambda n: float(hidden[n])), 3),
        "auc_per_fact_holdout": {
            fact: round(figure(held, lambda n, i=i: stored[n][1][i]), 3)
            for i, fact in enumerate(facts)
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.debtors, args.seed)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['debtors']} debtors, {result['defaulted']} defaulted in the next 6 months")
    print(f"risk score AUC on the holdout half      {result['auc_holdout']:.3f}")
    print(f"risk score AUC on the other half        {result['auc_other_half']:.3f}")
    print(f"ceiling (knowing the planted fragility) {result['auc_ceiling_holdout']:.3f}")
    for fact, value in result["auc_per_fact_holdout"].items():
        print(f"  {fact:<36}  {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
