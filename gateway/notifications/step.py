"""The notify step: write what is new, then send what waits (two transactions, so that a
message written is kept even if the SMTP server is down)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.notifications.produce import Produced, produce
from gateway.notifications.send import Sent, send_waiting
from gateway.pipeline.context import RunContext

__all__ = ["NotifyResult", "notify"]


@dataclass(slots=True)
class NotifyResult:
    produced: Produced = field(default_factory=Produced)
    sent: Sent = field(default_factory=Sent)
    configured: bool = True


def notify(ctx: RunContext) -> NotifyResult:
    config = ctx.config.model.notifications
    if config is None:
        return NotifyResult(configured=False)
    kpi = ctx.config.model.kpi
    with ctx.store.unit_of_work() as session:
        produced = produce(
            session, config, ctx.as_of, ctx.now(), kpi.buckets, kpi.promise_grace_days
        )
    with ctx.store.unit_of_work() as session:
        sent = send_waiting(session, config.smtp, ctx.now())
    return NotifyResult(produced, sent)
