"""What a policy would do today: the cases it would make, where each would go, who must
approve it, what it would claim, and what each criterion keeps out. A real selection carries
out a plan; a dry run shows it.

Per-agency limits are per selection run: cases are taken largest first, and a case that would
take an agency past its number of cases or its amount (per currency) is held back (its items
stay candidates for the next run); a smaller case after it may still fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from gateway.pipeline.selection_queries import (
    CriterionCount,
    Group,
    GroupKey,
    SelectedItem,
    count_exclusions,
    find_groups,
    selected_items,
)
from gateway.rules.amounts import minor_bound
from gateway.rules.facts import CaseFacts
from gateway.rules.fields import Op
from gateway.rules.interest import CaseClaim, ClaimItem, claim_case
from gateway.rules.policy import CompiledPolicy, PolicyVersion
from gateway.rules.rates import RateTable

__all__ = ["PlannedCase", "SelectionPlan", "claim_planned", "plan_selection"]


@dataclass(slots=True)
class PlannedCase:
    group: Group
    agency: str
    rule: int | None  # the routing rule that chose the agency; None: the default agency
    approvals_required: int  # 0: approved automatically
    claim: CaseClaim | None = None
    items: list[SelectedItem] = field(default_factory=list)


@dataclass(slots=True)
class SelectionPlan:
    policy: str
    version: PolicyVersion
    as_of: date
    approval: str
    candidates: int = 0
    passing: int = 0  # candidates that meet every criterion
    counts: list[CriterionCount] = field(default_factory=list)
    cases: list[PlannedCase] = field(default_factory=list)
    below_case_total: list[Group] = field(default_factory=list)
    held_back: list[PlannedCase] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(c.group.items for c in self.cases)

    def totals(self) -> dict[str, int]:
        """The open amount of the cases, per currency (minor units)."""
        totals: dict[str, int] = {}
        for case in self.cases:
            currency = case.group.currency
            totals[currency] = totals.get(currency, 0) + case.group.total_minor
        return dict(sorted(totals.items()))

    def by_agency(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for case in self.cases:
            found[case.agency] = found.get(case.agency, 0) + 1
        return dict(sorted(found.items()))


def _approvals(policy: CompiledPolicy) -> Callable[[Group], int]:
    """How many people must approve a case of `policy` (0: approved automatically)."""
    approval = policy.config.approval
    above = approval.second_approval_above
    if approval.mode == "automatic":
        return lambda group: 0
    if above is None:
        return lambda group: 1
    bounds = _per_currency(lambda currency: minor_bound(above, currency, Op.AT_MOST))
    return lambda g: 2 if (b := bounds(g.currency)) is not None and g.total_minor > b else 1


def _per_currency(bound: Callable[[str], int | None]) -> Callable[[str], int | None]:
    """`bound` computed once per currency (a plan has many groups, few currencies)."""
    known: dict[str, int | None] = {}

    def cached(currency: str) -> int | None:
        if currency not in known:
            known[currency] = bound(currency)
        return known[currency]

    return cached


def _case_facts(group: Group, as_of: date) -> CaseFacts:
    return CaseFacts(
        debtor_number=group.debtor_number,
        currency=group.currency,
        case_total_minor=group.total_minor,
        item_count=group.items,
        max_days_overdue=(as_of - group.oldest_due).days,
        country=group.country,
        debtor_type=group.debtor_type,
        segment=group.segment,
    )


def _limit(
    policy: CompiledPolicy, cases: list[PlannedCase]
) -> tuple[list[PlannedCase], list[PlannedCase]]:
    """(cases kept, cases held back by the agencies' limits)."""
    kept: list[PlannedCase] = []
    held: list[PlannedCase] = []
    counts: dict[str, int] = {}
    amounts: dict[tuple[str, str], int] = {}
    for case in cases:  # largest first
        limit = policy.config.limits.get(case.agency)
        if limit is None:
            kept.append(case)
            continue
        currency, total = case.group.currency, case.group.total_minor
        count = counts.get(case.agency, 0)
        spent = amounts.get((case.agency, currency), 0)
        ceiling = (
            minor_bound(limit.max_amount, currency, Op.AT_MOST)
            if limit.max_amount is not None
            else None
        )
        if (limit.max_cases is not None and count >= limit.max_cases) or (
            ceiling is not None and spent + total > ceiling
        ):
            held.append(case)
            continue
        counts[case.agency] = count + 1
        amounts[(case.agency, currency)] = spent + total
        kept.append(case)
    return kept, held


def plan_selection(
    session: Session, policy: CompiledPolicy, as_of: date, *, with_counts: bool = True
) -> SelectionPlan:
    """The cases `policy` would make on `as_of` (largest first), without their claims."""
    plan = SelectionPlan(policy.name, policy.version, as_of, policy.config.approval.mode)
    if with_counts:
        plan.candidates, plan.passing, plan.counts = count_exclusions(session, policy, as_of)
    minimum = _per_currency(
        lambda currency: minor_bound(policy.config.grouping.min_case_total, currency, Op.AT_LEAST)
    )
    approvals = _approvals(policy)
    default = policy.config.agency
    planned: list[PlannedCase] = []
    for group in find_groups(session, policy, as_of):
        bound = minimum(group.currency)
        if bound is None or group.total_minor < bound:
            plan.below_case_total.append(group)
            continue
        agency, route = (
            policy.route(_case_facts(group, as_of), as_of) if policy.routes else (default, None)
        )
        planned.append(PlannedCase(group, agency, route.rule if route else None, approvals(group)))
    plan.cases, plan.held_back = _limit(policy, planned)
    return plan


def claim_planned(
    session: Session,
    policy: CompiledPolicy,
    plan: SelectionPlan,
    rates: RateTable,
    cases: Iterable[PlannedCase] | None = None,
) -> None:
    """Read the items of `cases` (default: every case of the plan) and compute their claims;
    a rate the table lacks becomes one of the plan's warnings."""
    chosen = list(plan.cases if cases is None else cases)
    by_key: dict[GroupKey, PlannedCase] = {c.group.key: c for c in chosen}
    for item in selected_items(session, policy, plan.as_of, set(by_key)):
        by_key[item.group].items.append(item)
    missing: set[str] = set()
    for case in chosen:
        group = case.group
        case.claim = claim_case(
            [_claim_item(group, i) for i in case.items],
            group.currency,
            group.debtor_type,
            plan.as_of,
            policy.config.claims,
            rates,
        )
        missing.update(str(m) for m in case.claim.missing)
    if missing:
        plan.warnings.append(
            "no interest claimed for the days of a delay in a half-year without a reference "
            f"rate ({', '.join(sorted(missing))}; the other half-years are claimed): add the "
            "rate with `claimbridge rates add SERIES HALF-YEAR RATE` (docs/policies.md)"
        )


def _claim_item(group: Group, item: SelectedItem) -> ClaimItem:
    return ClaimItem(
        key=f"{group.source}:{item.company_code}/{item.document_number}/"
        f"{item.fiscal_year}/{item.line_item}",
        invoice=(item.company_code, item.document_number, item.fiscal_year),
        company_code=item.company_code,
        currency=group.currency,
        open_amount_minor=item.open_amount_minor,
        net_due_date=item.net_due_date,
        last_dunning_date=item.last_dunning_date,
        dunning_level=item.dunning_level,
    )
