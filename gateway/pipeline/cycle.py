"""A full cycle, or one step of it, for every source, policy and agency of the configuration.

    extract   every source's new snapshots into the store
    payments  every bank: incoming payments matched to handed-over items (direct payments)
    select    every policy: open items that qualify become cases
    handover  every agency: approved cases are batched and delivered
    updates   every agency: status and payment files are applied to the cases
    writeback every source: pending ERP actions are delivered
    notices   every agency: pending recalls and direct-payment notices are delivered, then
              the webhooks of the agencies that subscribe to them

A step that fails for one partner is recorded and the others go on; the summary says what
failed. A second run on the same inputs changes nothing.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.pipeline.context import RunContext
from gateway.pipeline.extract.snapshots import SnapshotResult, extract_source
from gateway.pipeline.handover.batches import HandoverResult, hand_over
from gateway.pipeline.payments.bank_statements import StatementResult, receive_statements
from gateway.pipeline.relay.outbox import RelayResult, deliver_notices, deliver_writeback
from gateway.pipeline.relay.webhooks import deliver_webhooks
from gateway.pipeline.returns.files import UpdateFileResult, ingest_updates
from gateway.pipeline.select.selection import SelectionResult, select_cases
from gateway.pipeline.transfers import close_interrupted, transfer_scope

if TYPE_CHECKING:
    from gateway.kpi.refresh import KpiRefresh
    from gateway.notifications.step import NotifyResult

__all__ = ["STEPS", "RunSummary", "Step", "run_cycle"]

log = logging.getLogger(__name__)


class Step(enum.StrEnum):
    EXTRACT = "extract"
    PAYMENTS = "payments"
    SELECT = "select"
    HANDOVER = "handover"
    UPDATES = "updates"
    WRITEBACK = "writeback"
    NOTICES = "notices"
    NOTIFY = "notify"  # e-mails to sales reps and accounting (gateway.notifications)


STEPS: tuple[Step, ...] = tuple(Step)


@dataclass(slots=True)
class RunSummary:
    as_of: str
    extraction: list[SnapshotResult] = field(default_factory=list)
    payments: list[StatementResult] = field(default_factory=list)
    selection: list[SelectionResult] = field(default_factory=list)
    handover: list[HandoverResult] = field(default_factory=list)
    updates: list[UpdateFileResult] = field(default_factory=list)
    writeback: list[RelayResult] = field(default_factory=list)
    notices: list[RelayResult] = field(default_factory=list)
    webhooks: list[RelayResult] = field(default_factory=list)
    kpi: KpiRefresh | None = None
    notifications: NotifyResult | None = None
    errors: list[str] = field(default_factory=list)
    interrupted: int = 0  # transfers of dead processes found `running`, marked interrupted

    @property
    def failed(self) -> bool:
        return bool(
            self.errors
            or any(r.status in ("failed", "held", "rejected") for r in self.extraction)
            or any(r.status == "failed" for r in (self.kpi.sales if self.kpi else ()))
            or any(r.status == "failed" for r in self.payments)
            or any(r.status == "failed" for r in self.handover)
            or any(r.status == "failed" for r in self.updates)
            or any(r.error for r in (*self.writeback, *self.notices, *self.webhooks))
        )

    @property
    def changed_anything(self) -> bool:
        return bool(
            any(r.status != "skipped" for r in self.extraction)
            or any(r.status != "skipped" for r in self.payments)
            or any(r.cases for r in self.selection)
            or self.handover
            or any(r.status != "skipped" for r in self.updates)
            or any(
                r.delivered or r.failed for r in (*self.writeback, *self.notices, *self.webhooks)
            )
        )


def run_cycle(
    ctx: RunContext, steps: tuple[Step, ...] = STEPS, target: str | None = None
) -> RunSummary:
    """Run `steps` in order; `target` limits them to one source, policy or agency."""
    summary = RunSummary(as_of=ctx.as_of.isoformat())
    config = ctx.config
    summary.interrupted = close_interrupted(ctx.store)

    def each(names: list[str]) -> list[str]:
        return [n for n in names if target is None or n == target]

    def guarded(step: Step, name: str, action: object) -> None:
        try:
            with transfer_scope():
                action()  # type: ignore[operator]
        except Exception as exc:
            log.exception("%s %s failed", step.value, name)
            summary.errors.append(f"{step.value} {name}: {type(exc).__name__}: {exc}")

    for step in steps:
        if step is Step.EXTRACT:
            for name in each(list(config.sources)):
                guarded(
                    step, name, lambda n=name: summary.extraction.extend(extract_source(ctx, n))
                )

            def kpis() -> None:
                # Imported here: the KPI package reads the pipeline's context and transfers.
                from gateway.kpi.refresh import refresh_after_extraction

                summary.kpi = refresh_after_extraction(ctx, target)

            guarded(step, "kpi", kpis)
        elif step is Step.PAYMENTS:
            for name in each(list(config.banks)):
                guarded(
                    step, name, lambda n=name: summary.payments.extend(receive_statements(ctx, n))
                )
        elif step is Step.SELECT:
            for name in each(list(config.policies)):
                guarded(step, name, lambda n=name: summary.selection.append(select_cases(ctx, n)))
        elif step is Step.HANDOVER:
            for name in each(list(config.agencies)):
                guarded(step, name, lambda n=name: summary.handover.extend(hand_over(ctx, n)))
        elif step is Step.UPDATES:
            for name in each(list(config.agencies)):
                guarded(step, name, lambda n=name: summary.updates.extend(ingest_updates(ctx, n)))
        elif step is Step.WRITEBACK:
            for name in each(list(config.sources)):
                guarded(
                    step, name, lambda n=name: summary.writeback.append(deliver_writeback(ctx, n))
                )
        elif step is Step.NOTICES:
            for name in each(list(config.agencies)):
                guarded(step, name, lambda n=name: summary.notices.append(deliver_notices(ctx, n)))
                if config.agencies[name].config.webhooks is not None:
                    guarded(
                        step,
                        name,
                        lambda n=name: summary.webhooks.append(deliver_webhooks(ctx, n)),
                    )
        elif step is Step.NOTIFY:

            def notifications() -> None:
                # Imported here: the notifications read the KPIs, which read the pipeline.
                from gateway.notifications.step import notify

                summary.notifications = notify(ctx)

            guarded(step, "notifications", notifications)
    return summary
