"""Alerts: conditions read from the store, each notified once when it starts and once when it
clears, whatever the number of processes watching.

`AlertMonitor.check()` (every `alerts.check_every` in each scheduler process, after each run,
and from `claimbridge alerts check`):
1. computes the conditions firing now (gateway.ops.alerts.conditions);
2. records what changed in `alert_states`, one transaction; a change is a conditional UPDATE
   on the row's version, so that of several processes exactly one records it, and marks a
   notice as pending;
3. claims each pending notice for a while (again by version), sends it with no transaction
   open, and marks it sent. A notice that could not be sent is tried again later, with a
   growing pause, and only on the channels that did not take it yet.
A condition that keeps firing is not notified again: no alert storm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.config import Config
from gateway.ops import metrics
from gateway.ops.alerts.conditions import current_conditions
from gateway.ops.alerts.notifiers import Notice, NoticeFailed, Notifier, notifiers
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.alerts import AlertState, AlertStates

__all__ = ["AlertMonitor", "CheckResult"]

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=2)
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)


def _new_notice(now: datetime) -> dict[str, object]:
    """The columns of a state that changed: a new notice to send, on every channel."""
    return {
        "since": now,
        "notice_pending": True,
        "notice_attempts": 0,
        "notice_claimed_until": None,
        "notified_channels": "",
        "last_error": "",
    }


@dataclass(slots=True)
class CheckResult:
    firing: int = 0
    opened: int = 0
    resolved: int = 0
    sent: int = 0
    failed: int = 0


class AlertMonitor:
    """Watches the store's conditions and notifies their changes."""

    def __init__(
        self,
        config: Config,
        store: Store,
        channels: Sequence[Notifier] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self.store = store
        self.channels = list(channels) if channels is not None else notifiers(config.model.alerts)
        self.clock = clock

    def check(self) -> CheckResult:
        result = CheckResult()
        self._record_changes(result)
        self._send_pending(result)
        return result

    def _record_changes(self, result: CheckResult) -> None:
        jobs = sorted(self.config.model.schedules)
        rules = list(self.config.model.alerts.silence)
        with self.store.unit_of_work() as session:
            now = self.clock()
            firing = {c.key: c for c in current_conditions(session, jobs, rules, now)}
            result.firing = len(firing)
            states = AlertStates(session)
            known = states.all()
            for key, condition in firing.items():
                seen = known.get(key)
                if seen is None:
                    opened = states.open(key, condition.kind, condition.summary, now)
                elif not seen.firing:
                    opened = states.change(
                        seen, now, firing=True, summary=condition.summary, **_new_notice(now)
                    )
                else:
                    continue
                if opened:
                    result.opened += 1
                    log.warning("alert: %s", condition.summary)
            for key, seen in known.items():
                if not seen.firing or key in firing:
                    continue
                if states.change(seen, now, firing=False, **_new_notice(now)):
                    result.resolved += 1
                    log.warning("alert resolved: %s", seen.summary)

    def _send_pending(self, result: CheckResult) -> None:
        with self.store.unit_of_work(read_only=True) as session:
            due = AlertStates(session).due_notices(self.clock())
        for seen in due:
            claimed = self._claim(seen)
            if claimed is None:
                continue
            notice = Notice(
                seen.key,
                seen.kind,
                "firing" if seen.firing else "resolved",
                seen.summary,
                seen.since,
            )
            done = set(seen.notified_channels)
            errors = []
            for channel in self.channels:
                if channel.channel in done:
                    continue
                try:
                    channel.send(notice)
                except NoticeFailed as exc:
                    errors.append(str(exc))
                    metrics.observe_alert_notice(channel.channel, False)
                    log.error("alert notice %s not sent: %s", seen.key, exc)
                    continue
                done.add(channel.channel)
                metrics.observe_alert_notice(channel.channel, True)
            self._settle(claimed, done, errors)
            if errors:
                result.failed += 1
            else:
                result.sent += 1

    def _claim(self, seen: AlertState) -> AlertState | None:
        with self.store.unit_of_work() as session:
            now = self.clock()
            if not AlertStates(session).change(seen, now, notice_claimed_until=now + CLAIM):
                return None
        return AlertState(
            seen.key,
            seen.version + 1,
            seen.kind,
            seen.firing,
            seen.since,
            seen.summary,
            seen.notice_pending,
            seen.notice_attempts,
            seen.notified_channels,
        )

    def _settle(self, claimed: AlertState, done: set[str], errors: list[str]) -> None:
        with self.store.unit_of_work() as session:
            now = self.clock()
            states = AlertStates(session)
            if not errors:
                # Only if nothing changed meanwhile: a newer change stays pending.
                states.change(
                    claimed,
                    now,
                    notice_pending=False,
                    notice_claimed_until=None,
                    notified_at=now,
                    notified_channels=",".join(sorted(done)),
                    last_error="",
                )
                return
            attempts = claimed.notice_attempts + 1
            pause = min(RETRY_CAP, RETRY_BASE * 2 ** (attempts - 1))
            states.change(
                claimed,
                now,
                notice_attempts=attempts,
                notice_claimed_until=now + pause,
                notified_channels=",".join(sorted(done)),
                last_error="; ".join(errors)[:2000],
            )
