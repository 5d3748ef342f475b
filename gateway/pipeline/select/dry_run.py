"""A dry run: what a policy would do now, nothing written. The cases it would make (largest
first, with their claims), what each criterion keeps out, and what changed since the policy's
last real run: its definition, and the figures then and now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gateway.pipeline.context import RunContext
from gateway.pipeline.select.plan import (
    PlannedCase,
    SelectionPlan,
    claim_planned,
    plan_selection,
)
from gateway.pipeline.select.selection import plan_figures
from gateway.storage.repositories.policies import PolicyRepository

__all__ = ["DefinitionChange", "DryRun", "LastRun", "definition_changes", "dry_run"]


@dataclass(frozen=True, slots=True)
class DefinitionChange:
    """One key of the policy's definition that differs from the version of the last run."""

    key: str
    before: Any  # None: the key was not there
    after: Any  # None: the key is gone


@dataclass(frozen=True, slots=True)
class LastRun:
    as_of: date
    ran_at: datetime
    version: str  # short hash
    candidates: int
    selected_items: int
    cases: int
    figures: dict[str, Any]


@dataclass(slots=True)
class DryRun:
    plan: SelectionPlan
    version_known: bool  # this version of the policy already ran
    listed: list[PlannedCase]  # the largest cases, with their claims
    last_run: LastRun | None = None
    changes: list[DefinitionChange] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, Any]:
        return plan_figures(self.plan)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            _flatten(value[key], f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for n, entry in enumerate(value):
            _flatten(entry, f"{prefix}[{n}]", out)
    else:
        out[prefix] = value


def definition_changes(before: str, after: str) -> list[DefinitionChange]:
    """The keys that differ between two stored definitions (JSON), in key order."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    _flatten(json.loads(before), "", old)
    _flatten(json.loads(after), "", new)
    return [
        DefinitionChange(key, old.get(key), new.get(key))
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def dry_run(ctx: RunContext, policy_name: str, *, list_cases: int = 20) -> DryRun:
    """What `policy_name` would select on the run's date; the `list_cases` largest cases are
    listed with their claims.

    Raises:
        KeyError: no such policy.
    """
    policy = ctx.config.policy(policy_name)
    with ctx.store.unit_of_work(read_only=True) as session:
        plan = plan_selection(session, policy, ctx.as_of)
        listed = plan.cases[: max(list_cases, 0)]  # the plan has the largest first
        claim_planned(session, policy, plan, ctx.config.rates, listed)
        versions = PolicyRepository(session)
        known = versions.find_version(policy_name, policy.version.sha256) is not None
        result = DryRun(plan, known, listed)
        last = versions.last_run(policy_name)
        if last is not None:
            version = versions.get_version(last.policy_version_id)
            result.last_run = LastRun(
                last.as_of,
                last.ran_at,
                version.sha256[:12] if version else "",
                last.candidates,
                last.selected_items,
                last.cases,
                dict(last.figures),
            )
            if version is not None and version.sha256 != policy.version.sha256:
                result.changes = definition_changes(version.definition, policy.version.definition)
    return result
