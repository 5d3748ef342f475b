"""What every step of a run shares: configuration, store, the run's date and clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from gateway.config import Config
from gateway.domain.actions import WriteBackRules
from gateway.pipeline.cases.webhooks import subscriptions
from gateway.storage.database import Store

__all__ = ["RunContext"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RunContext:
    """One run: `as_of` is the business date (days overdue are counted to it), `clock` gives
    the instants events and transfers are stamped with."""

    config: Config
    store: Store
    as_of: date
    clock: Callable[[], datetime] = field(default=_utcnow)

    def now(self) -> datetime:
        return self.clock()

    @property
    def webhooks(self) -> Mapping[str, frozenset[str]]:
        """Agency → the webhook events it subscribes to (gateway.pipeline.cases.webhooks)."""
        return subscriptions(self.config)

    @property
    def writeback_rules(self) -> Mapping[str, WriteBackRules | None]:
        return {
            name: (setup.writeback.rules if setup.writeback else None)
            for name, setup in self.config.sources.items()
        }
