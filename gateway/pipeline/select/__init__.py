"""Select: a policy's plan (what qualifies, grouped into cases, routed, claimed) carried out,
dry-run or explained item by item."""

from gateway.pipeline.select.dry_run import DryRun, dry_run
from gateway.pipeline.select.explain import ItemExplanation, explain_item, explain_items
from gateway.pipeline.select.plan import PlannedCase, SelectionPlan, plan_selection
from gateway.pipeline.select.selection import SelectionResult, select_cases

__all__ = [
    "DryRun",
    "ItemExplanation",
    "PlannedCase",
    "SelectionPlan",
    "SelectionResult",
    "dry_run",
    "explain_item",
    "explain_items",
    "plan_selection",
    "select_cases",
]
