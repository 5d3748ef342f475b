"""Promises to pay, kept or broken.

An agency reports a promise as a `promise` event: the debtor promised to pay `amount` by
`due_on` (a payment plan is one promise per instalment). Whether it was kept is computed, never
stored, from the money that reached the case afterwards:

- the case's promises are taken in the order they fall due; the money paid on the case from the
  day of a promise on (agency payments less reversals, and direct payments seen in the ERP) is
  applied to the earliest promise not yet fulfilled, oldest payment first;
- a promise is **kept** when the money applied to it reaches its amount by `due_on` plus the
  grace days; **broken** when that day has passed without it; **pending** before.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["DEFAULT_GRACE_DAYS", "Paid", "Promise", "PromiseOutcome", "PromiseStatus", "judge"]

DEFAULT_GRACE_DAYS = 3


class PromiseStatus(enum.StrEnum):
    KEPT = "kept"
    BROKEN = "broken"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Promise:
    event_id: int
    made_on: date
    due_on: date
    amount: int


@dataclass(frozen=True, slots=True)
class Paid:
    on: date
    amount: int  # negative for a reversal


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    promise: Promise
    status: PromiseStatus
    paid: int  # applied to this promise
    settled_on: date | None  # kept: the day the amount was reached; broken: the deadline

    @property
    def remaining(self) -> int:
        return max(self.promise.amount - self.paid, 0)


@dataclass(slots=True)
class _Money:
    on: date
    left: int


def _pool(payments: Sequence[Paid]) -> list[_Money]:
    """Payments oldest first, each reversal taken off the latest payments before it."""
    pool: list[_Money] = []
    for paid in sorted(payments, key=lambda p: (p.on, -p.amount)):
        if paid.amount >= 0:
            pool.append(_Money(paid.on, paid.amount))
            continue
        back = -paid.amount
        for money in reversed(pool):
            take = min(money.left, back)
            money.left -= take
            back -= take
            if back == 0:
                break
    return pool


def judge(
    promises: Sequence[Promise],
    payments: Sequence[Paid],
    as_of: date,
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> list[PromiseOutcome]:
    """The outcome on `as_of` of each promise of one case, in the order they fall due."""
    grace = timedelta(days=grace_days)
    pool = _pool([p for p in payments if p.on <= as_of])
    outcomes: list[PromiseOutcome] = []
    for promise in sorted(promises, key=lambda p: (p.due_on, p.made_on, p.event_id)):
        deadline = promise.due_on + grace
        paid, settled = 0, None
        for money in pool:
            if money.left == 0 or money.on < promise.made_on or money.on > deadline:
                continue
            take = min(money.left, promise.amount - paid)
            money.left -= take
            paid += take
            if paid >= promise.amount:
                settled = money.on
                break
        if settled is not None:
            status = PromiseStatus.KEPT
        elif as_of > deadline:
            status, settled = PromiseStatus.BROKEN, deadline
        else:
            status = PromiseStatus.PENDING
        outcomes.append(PromiseOutcome(promise, status, paid, settled))
    return outcomes
