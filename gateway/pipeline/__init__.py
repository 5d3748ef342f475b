"""Orchestration: extract, select, hand over, apply agency updates, write back, notify."""

from gateway.pipeline.context import RunContext
from gateway.pipeline.cycle import STEPS, RunSummary, Step, run_cycle
from gateway.pipeline.summary import summary_json, summary_lines, summary_totals

__all__ = [
    "STEPS",
    "RunContext",
    "RunSummary",
    "Step",
    "run_cycle",
    "summary_json",
    "summary_lines",
    "summary_totals",
]
