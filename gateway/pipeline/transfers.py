"""Bookkeeping of transfers around a unit of work.

A transfer is logged as `running` in its own small transaction before the work starts, so IT
sees it; it is finished inside the work's unit of work (committed with the data it moved); if
the work fails, the work is rolled back and the transfer is marked failed in a new transaction.
"""

from __future__ import annotations

from gateway.storage.database import Store
from gateway.storage.repositories.transfers import TransferLog

__all__ = ["fail_transfer", "log_skipped", "start_transfer"]


def start_transfer(
    store: Store, *, direction: str, kind: str, channel: str, partner: str, location: str = ""
) -> int:
    with store.unit_of_work() as session:
        row = TransferLog(session).start(
            direction=direction, kind=kind, channel=channel, partner=partner, location=location
        )
        return row.id


def fail_transfer(store: Store, transfer_id: int, error: str, *, records: int = 0) -> None:
    with store.unit_of_work() as session:
        TransferLog(session).finish(
            transfer_id, status="failed", records=records, error=error[:4000]
        )


def log_skipped(
    store: Store,
    *,
    direction: str,
    kind: str,
    channel: str,
    partner: str,
    location: str,
    reason: str,
    sha256: str | None = None,
    size: int | None = None,
) -> int:
    with store.unit_of_work() as session:
        log = TransferLog(session)
        row = log.start(
            direction=direction, kind=kind, channel=channel, partner=partner, location=location
        )
        log.finish(row.id, status="skipped", bytes_=size, sha256=sha256, summary=reason)
        return row.id
