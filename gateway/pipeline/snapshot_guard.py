"""The snapshot plausibility guard: a snapshot that would take away too much is held.

A snapshot is a full picture of the company codes it covers: an open item it no longer holds
is cleared (paid, or settled), one whose open amount went down was partly paid; for an item at
an agency, both are direct payments told to the agency and written back. A truncated export
(a disk full, a job killed halfway) looks exactly like mass payments. So before a snapshot
clears anything, its effect is measured against the open items before it, per source:

    vanished share   open items of its company codes it no longer holds (not those the ERP
                     reports cleared explicitly), of the open items before
    amount drop      per currency: the open amount before, less what the items it holds
                     still have open, less what the ERP reports cleared: what vanished or went
                     down, of the open amount before

Beyond the source's `snapshot_guard` limits the whole snapshot is rolled back and held: the
transfer is logged `held` with the figures, an alert fires (`snapshot_held:SOURCE`), the run
exits non-zero, and the file stays where it is. Accounting or IT confirms it (`claimbridge
snapshots confirm ID`, `POST /v1/snapshots/holds/{id}/confirm`): the next extraction applies
it as it is; or rejects it: the next extraction sets it aside (error folder) unapplied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.config.model import SnapshotGuardConfig
from gateway.domain.money import Money
from gateway.storage.repositories.items import ItemRepository

__all__ = ["SnapshotEffect", "SnapshotHeld", "measure_snapshot"]


@dataclass(frozen=True, slots=True)
class SnapshotEffect:
    """What a snapshot would take away from its company codes' open items."""

    items_before: int
    vanished: int
    # currency → (open amount before, amount that vanished or went down), minor units
    amounts: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def vanished_share(self) -> float:
        return self.vanished / self.items_before if self.items_before else 0.0

    def amount_share(self, currency: str) -> float:
        before, dropped = self.amounts[currency]
        return dropped / before if before > 0 else 0.0

    def verdict(self, guard: SnapshotGuardConfig) -> str:
        """Why the snapshot must be held, or '' if it may be applied."""
        if not guard.enabled or self.items_before < guard.min_items:
            return ""
        reasons = []
        if self.vanished_share > guard.max_vanished_share:
            reasons.append(
                f"{self.vanished} of {self.items_before} open items "
                f"({self.vanished_share:.0%}) would be cleared (the limit is "
                f"{guard.max_vanished_share:.0%})"
            )
        for currency in sorted(self.amounts):
            share = self.amount_share(currency)
            if share > guard.max_amount_drop_share:
                before, dropped = self.amounts[currency]
                reasons.append(
                    f"{Money(dropped, currency)} of {Money(before, currency)} open "
                    f"({share:.0%}) would vanish or be paid (the limit is "
                    f"{guard.max_amount_drop_share:.0%})"
                )
        return "; ".join(reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "items_before": self.items_before,
            "vanished": self.vanished,
            "amounts": {
                c: {"before_minor": b, "dropped_minor": d} for c, (b, d) in self.amounts.items()
            },
        }


class SnapshotHeld(Exception):
    """The snapshot takes away more than its guard allows: nothing of it is applied."""

    def __init__(self, effect: SnapshotEffect, reason: str) -> None:
        super().__init__(reason)
        self.effect = effect
        self.reason = reason


def measure_snapshot(
    items: ItemRepository,
    source: str,
    before: dict[tuple[str, str], tuple[int, int]],
    company_codes: list[str],
    transfer_id: int,
    reported_at: datetime,
) -> SnapshotEffect:
    """The effect of the snapshot being loaded (its items written, nothing cleared by absence
    yet). `before` is `ItemRepository.open_totals` taken before it was read."""
    covered = set(company_codes)
    items_before = 0
    amounts_before: dict[str, int] = {}
    for (code, currency), (count, amount) in before.items():
        if code in covered:
            items_before += count
            amounts_before[currency] = amounts_before.get(currency, 0) + amount
    effect = items.snapshot_effect(source, company_codes, transfer_id, reported_at)
    vanished = sum(v[0] for v in effect.values())
    amounts: dict[str, tuple[int, int]] = {}
    for currency, before_amount in amounts_before.items():
        _, _, kept, reported = effect.get(currency, (0, 0, 0, 0))
        amounts[currency] = (before_amount, max(before_amount - kept - reported, 0))
    return SnapshotEffect(items_before, vanished, amounts)
