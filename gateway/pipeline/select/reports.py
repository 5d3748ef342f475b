"""Dry runs and explanations as documents (Pydantic): what the API answers and what
`claimbridge select --dry-run --json` / `claimbridge explain --json` print. Amounts are decimal
strings in their currency (never floats)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from gateway.domain.money import minor_to_decimal
from gateway.pipeline.select.dry_run import DryRun
from gateway.pipeline.select.explain import ItemExplanation
from gateway.pipeline.select.plan import PlannedCase
from gateway.rules.criteria import Verdict

__all__ = [
    "CaseReport",
    "CriterionReport",
    "DryRunReport",
    "ExplanationReport",
    "SinceLastRun",
    "VerdictReport",
    "dry_run_report",
    "explanation_report",
]


class _Report(BaseModel):
    model_config = ConfigDict(frozen=True)


class CriterionReport(_Report):
    criterion: str
    depth: int  # 0: a criterion of the policy; 1 and more: a part of an all / any / not
    failing: int  # candidates that fail it
    only: int | None  # of those, the ones it alone keeps out (top-level criteria)


class CaseReport(_Report):
    source: str
    debtor_number: str
    debtor_name: str
    country: str
    debtor_type: str
    segment: str
    currency: str
    items: int
    joined: int  # items that joined as the debtor's other overdue items
    total: Decimal
    oldest_due: date
    agency: str
    routing_rule: int | None  # 1-based position in the policy's routing; None: default
    approvals_required: int  # 0: approved automatically
    interest: Decimal | None  # None: not computed (only the listed cases are)
    fees: Decimal | None


class ChangeReport(_Report):
    key: str
    before: Any
    after: Any


class SinceLastRun(_Report):
    as_of: date
    ran_at: datetime
    version: str
    policy_changed: bool
    changes: list[ChangeReport]
    then: dict[str, Any]  # the last run's figures
    now: dict[str, Any]  # this dry run's figures


class DryRunReport(_Report):
    policy: str
    version: str
    version_sha256: str
    version_known: bool  # false: this definition has never made cases
    as_of: date
    approval: str
    candidates: int
    passing: int
    criteria: list[CriterionReport]
    case_count: int
    item_count: int
    totals: dict[str, Decimal]
    agencies: dict[str, int]
    below_case_total: int
    held_back: list[CaseReport]
    cases: list[CaseReport]  # the largest, with their claims
    warnings: list[str]
    since_last_run: SinceLastRun | None


class VerdictReport(_Report):
    criterion: str
    passed: bool
    value: str
    threshold: str
    parts: list[VerdictReport]


class ExplanationReport(_Report):
    item: str
    policy: str
    version: str
    as_of: date
    status: str
    selected: bool
    criteria: list[VerdictReport]
    case: CaseReport | None
    interest: Decimal | None
    fees: Decimal | None
    claim_notes: list[str]


def _amount(minor: int, currency: str) -> Decimal:
    return minor_to_decimal(minor, currency)


def case_report(case: PlannedCase) -> CaseReport:
    group, claim = case.group, case.claim
    return CaseReport(
        source=group.source,
        debtor_number=group.debtor_number,
        debtor_name=group.debtor_name,
        country=group.country,
        debtor_type=group.debtor_type,
        segment=group.segment,
        currency=group.currency,
        items=group.items,
        joined=group.joined,
        total=_amount(group.total_minor, group.currency),
        oldest_due=group.oldest_due,
        agency=case.agency,
        routing_rule=None if case.rule is None else case.rule + 1,
        approvals_required=case.approvals_required,
        interest=_amount(claim.interest_minor, group.currency) if claim else None,
        fees=_amount(claim.fees_minor, group.currency) if claim else None,
    )


def _figures(figures: dict[str, Any]) -> dict[str, Any]:
    """Figures with amounts per currency as decimals."""
    shown = dict(figures)
    totals = figures.get("totals", {})
    shown["totals"] = {c: str(_amount(int(m), c)) for c, m in totals.items()}
    return shown


def dry_run_report(run: DryRun) -> DryRunReport:
    plan = run.plan
    since = None
    if run.last_run is not None:
        last = run.last_run
        since = SinceLastRun(
            as_of=last.as_of,
            ran_at=last.ran_at,
            version=last.version,
            policy_changed=last.version != plan.version.short,
            changes=[ChangeReport(key=c.key, before=c.before, after=c.after) for c in run.changes],
            then={
                "candidates": last.candidates,
                "selected_items": last.selected_items,
                "cases": last.cases,
                **_figures(last.figures),
            },
            now={
                "candidates": plan.candidates,
                "selected_items": plan.items,
                "cases": len(plan.cases),
                **_figures(run.figures),
            },
        )
    return DryRunReport(
        policy=plan.policy,
        version=plan.version.short,
        version_sha256=plan.version.sha256,
        version_known=run.version_known,
        as_of=plan.as_of,
        approval=plan.approval,
        candidates=plan.candidates,
        passing=plan.passing,
        criteria=[
            CriterionReport(criterion=c.label, depth=c.depth, failing=c.failing, only=c.only)
            for c in plan.counts
        ],
        case_count=len(plan.cases),
        item_count=plan.items,
        totals={c: _amount(m, c) for c, m in plan.totals().items()},
        agencies=plan.by_agency(),
        below_case_total=len(plan.below_case_total),
        held_back=[case_report(c) for c in plan.held_back],
        cases=[case_report(c) for c in run.listed],
        warnings=plan.warnings,
        since_last_run=since,
    )


def _verdict(verdict: Verdict) -> VerdictReport:
    return VerdictReport(
        criterion=verdict.label,
        passed=verdict.passed,
        value=verdict.value,
        threshold=verdict.threshold,
        parts=[_verdict(c) for c in verdict.children],
    )


def explanation_report(found: ItemExplanation) -> ExplanationReport:
    claim, currency = found.claim, found.facts.currency if found.facts else ""
    return ExplanationReport(
        item=found.key,
        policy=found.policy,
        version=found.version,
        as_of=found.as_of,
        status=found.status,
        selected=found.selected,
        criteria=[_verdict(v) for v in found.verdicts],
        case=case_report(found.case) if found.case else None,
        interest=_amount(claim.interest_minor, currency) if claim else None,
        fees=_amount(claim.flat_fee_minor + claim.reminder_fees_minor, currency) if claim else None,
        claim_notes=list(claim.notes) if claim else [],
    )
