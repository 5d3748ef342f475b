"""Why an item is or is not handed over: criterion by criterion with its value and threshold,
and for an item that would go, the case it would join, the agency, the approvals and what it
would claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.items import ItemKey
from gateway.domain.money import Money
from gateway.pipeline.select.item_facts import load_facts
from gateway.pipeline.select.plan import PlannedCase, claim_planned, plan_selection
from gateway.rules.criteria import Verdict
from gateway.rules.facts import ItemFacts
from gateway.rules.interest import ItemClaim
from gateway.rules.policy import CompiledPolicy
from gateway.rules.rates import RateTable
from gateway.storage.models import CaseItemRow, CaseRow
from gateway.storage.repositories.items import ItemRepository

__all__ = ["ItemExplanation", "explain_item", "explain_items", "parse_item_key"]

_KEY = re.compile(r"^([a-z0-9][a-z0-9_-]*):([^/]+)/([^/]+)/(\d{4})/([^/]+)$")


def parse_item_key(text: str) -> ItemKey:
    """`SOURCE:COMPANY/DOCUMENT/YEAR/LINE`, as claimbridge prints item keys.

    Raises:
        ValueError: not of that form.
    """
    match = _KEY.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not an item key: write SOURCE:COMPANY/DOCUMENT/YEAR/LINE, "
            "e.g. erp:1000/1800001000/2026/001"
        )
    source, company, document, year, line = match.groups()
    return ItemKey(source, company, document, int(year), line)


@dataclass(slots=True)
class ItemExplanation:
    key: str
    policy: str
    version: str
    as_of: date
    status: str  # what happens to the item, in one sentence
    selected: bool = False  # meets every criterion
    facts: ItemFacts | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    case: PlannedCase | None = None  # the case the item would be in
    claim: ItemClaim | None = None


def explain_items(
    session: Session, policy: CompiledPolicy, as_of: date, item_ids: Sequence[int]
) -> list[tuple[ItemFacts, list[Verdict]]]:
    """For each item, the verdict of every top-level criterion (bulk: no case is planned)."""
    facts = load_facts(
        session, item_ids, as_of, overdue_totals="debtor_overdue_total" in policy.fields()
    )
    return [(f, policy.explain(f, as_of)) for f in facts]


def explain_item(
    session: Session, policy: CompiledPolicy, as_of: date, key: ItemKey, rates: RateTable
) -> ItemExplanation:
    """Why the item `key` is or is not selected by `policy` on `as_of`."""
    found = ItemExplanation(str(key), policy.name, policy.version.short, as_of, "")
    row = ItemRepository(session).find(key)
    if row is None:
        found.status = "no such item: the store has never seen it in an extraction"
        return found
    (facts,) = load_facts(session, [row.id], as_of)
    found.facts = facts
    found.verdicts = policy.explain(facts, as_of)
    found.selected = all(v.passed for v in found.verdicts)
    in_case = session.execute(
        select(CaseRow.reference, CaseRow.state)
        .join(CaseItemRow, CaseItemRow.case_id == CaseRow.id)
        .where(CaseItemRow.item_id == row.id)
    ).first()
    sources = policy.config.sources
    if in_case is not None:
        found.status = f"already in case {in_case[0]} ({in_case[1]}): it is not selected again"
    elif not row.is_open:
        found.status = f"cleared on {row.cleared_on}: no longer open in the ERP"
    elif sources is not None and row.source not in sources:
        found.status = f"source {row.source} is not one of the policy's ({', '.join(sources)})"
    else:
        _plan(session, policy, as_of, found, rates)
    return found


def _plan(
    session: Session, policy: CompiledPolicy, as_of: date, found: ItemExplanation, rates: RateTable
) -> None:
    facts = found.facts
    if facts is None:
        return
    # The whole run's plan: the item's case depends on its debtor's other items, the minimum
    # case total, the routing and the agencies' limits over every case.
    plan = plan_selection(session, policy, as_of, with_counts=False)
    key = (facts.source, facts.debtor_number, facts.currency)
    case = next((c for c in plan.cases if c.group.key == key), None)
    held = next((c for c in plan.held_back if c.group.key == key), None)
    below = next((g for g in plan.below_case_total if g.key == key), None)
    if case is not None:
        claim_planned(session, policy, plan, rates, [case])
        if not any(i.item_id == facts.item_id for i in case.items):
            found.status = "not selected"
            return
        found.case = case
        claims = case.claim.items if case.claim else ()
        found.claim = next((c for c in claims if c.key == facts.key), None)
        how = "selected" if found.selected else "joins as another overdue item of its debtor"
        found.status = (
            f"{how}: a case of {case.group.items} items, "
            f"{_money(case.group.total_minor, case.group.currency)}, to {case.agency}"
        )
    elif held is not None:
        found.case = held
        found.status = (
            f"would go to {held.agency}, but its case is held back by that agency's limit"
        )
    elif below is not None:
        found.status = (
            f"its debtor's items in {below.currency} come to "
            f"{_money(below.total_minor, below.currency)}: below the minimum case total"
        )
    else:
        found.status = "not selected"


def _money(minor: int, currency: str) -> str:
    return str(Money(minor, currency))
