"""Selection: a policy's plan carried out. Each case is created with its items, its claims
(interest and fees as of the run's date), the version of the policy that made it and how many
people must approve it; the run's figures are kept for the next dry run to compare with.
Everything happens in one transaction: a failure leaves no case and no run behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.money import Money
from gateway.pipeline.case_updates import CaseUpdater
from gateway.pipeline.context import RunContext
from gateway.pipeline.selection_plan import (
    PlannedCase,
    SelectionPlan,
    claim_planned,
    plan_selection,
)
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.policies import PolicyRepository

__all__ = ["SelectionResult", "plan_figures", "select_cases", "top_level_exclusions"]


@dataclass(slots=True)
class SelectionResult:
    policy: str
    agency: str  # the default agency
    candidates: int = 0  # open items not yet in a case
    excluded: dict[str, int] = field(default_factory=dict)  # criterion → items failing it
    selected_items: int = 0  # items put into new cases
    cases: int = 0
    below_case_total: int = 0  # debtors whose items do not reach the minimum case total
    approval: str = "automatic"
    version: str = ""  # the policy version (short hash)
    held_back: int = 0  # cases left for a later run by an agency's limit
    agencies: dict[str, int] = field(default_factory=dict)  # agency → new cases
    warnings: list[str] = field(default_factory=list)


def top_level_exclusions(plan: SelectionPlan) -> dict[str, int]:
    """Top-level criterion → candidates failing it (labels made unique)."""
    found: dict[str, int] = {}
    for count in plan.counts:
        if count.depth:
            continue
        label, n = count.label, 2
        while label in found:
            label, n = f"{count.label} ({n})", n + 1
        found[label] = count.failing
    return found


def plan_figures(plan: SelectionPlan) -> dict[str, object]:
    """The figures of a plan a later dry run compares with (JSON-able)."""
    return {
        "passing": plan.passing,
        "excluded": [[c.label, c.failing] for c in plan.counts if c.depth == 0],
        "totals": plan.totals(),
        "agencies": plan.by_agency(),
        "below_case_total": len(plan.below_case_total),
        "held_back": len(plan.held_back),
    }


def _note(policy: str, version: str, planned: PlannedCase) -> str:
    group, claim = planned.group, planned.claim
    parts = [f"policy {policy} (version {version})"]
    parts.append(
        f"routing rule {planned.rule + 1}" if planned.rule is not None else "default agency"
    )
    if claim is not None:
        parts.append(
            f"claims as of the run: interest {Money(claim.interest_minor, group.currency)}, "
            f"fees {Money(claim.fees_minor, group.currency)}"
        )
        if claim.missing:
            parts.append(
                "no interest claimed for the half-year(s) without a reference rate: "
                + ", ".join(map(str, claim.missing))
            )
    if planned.approvals_required == 2:
        parts.append("needs two approvals")
    return "; ".join(parts)


def select_cases(ctx: RunContext, policy_name: str) -> SelectionResult:
    """Apply one policy: create the cases it selects, and count what each criterion keeps out."""
    policy = ctx.config.policy(policy_name)
    config = policy.config
    result = SelectionResult(
        policy_name, config.agency, approval=config.approval.mode, version=policy.version.short
    )
    now = ctx.now()
    prefix = ctx.config.model.case_reference_prefix
    with ctx.store.unit_of_work() as session:
        plan = plan_selection(session, policy, ctx.as_of)
        claim_planned(session, policy, plan, ctx.config.rates)
        versions = PolicyRepository(session)
        version = versions.version(
            policy_name, policy.version.sha256, policy.version.definition, now
        )
        cases = CaseRepository(session)
        updater = CaseUpdater(session, ctx.writeback_rules, now)
        # Cases are made (and numbered) in the order of their debtors, whatever their size.
        for planned in sorted(plan.cases, key=lambda c: c.group.key):
            group, claim = planned.group, planned.claim
            row = cases.create(
                agency=planned.agency,
                source=group.source,
                debtor_number=group.debtor_number,
                currency=group.currency,
                policy=policy_name,
                items=[(i.item_id, i.open_amount_minor) for i in planned.items],
                reference_prefix=prefix,
                now=now,
                policy_version_id=version.id,
                approvals_required=planned.approvals_required,
                interest_minor=claim.interest_minor if claim else 0,
                fees_minor=claim.fees_minor if claim else 0,
                claims_as_of=ctx.as_of,
                oldest_due_date=group.oldest_due,
            )
            updater.apply(
                row,
                CaseEvent(
                    EventKind.SELECTED,
                    EventOrigin.GATEWAY,
                    "selected",
                    now,
                    note=_note(policy_name, policy.version.short, planned),
                ),
            )
            if planned.approvals_required == 0:
                updater.apply(
                    row,
                    CaseEvent(
                        EventKind.APPROVED,
                        EventOrigin.GATEWAY,
                        "approved",
                        now,
                        note="approved automatically by the policy",
                    ),
                )
        versions.record_run(
            policy=policy_name,
            version_id=version.id,
            as_of=ctx.as_of,
            ran_at=now,
            candidates=plan.candidates,
            selected_items=plan.items,
            cases=len(plan.cases),
            figures=plan_figures(plan),
        )
    result.candidates = plan.candidates
    result.excluded = top_level_exclusions(plan)
    result.selected_items = plan.items
    result.cases = len(plan.cases)
    result.below_case_total = len(plan.below_case_total)
    result.held_back = len(plan.held_back)
    result.agencies = plan.by_agency()
    result.warnings = plan.warnings
    return result
