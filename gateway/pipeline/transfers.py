"""Bookkeeping of transfers around a unit of work.

A transfer is logged as `running` in its own small transaction before the work starts, so IT
sees it; it is finished inside the work's unit of work (committed with the data it moved); if
the work fails, the work is rolled back and the transfer is marked failed in a new transaction.

A transfer made during a scheduled run carries the run's id (`run_scope`), so that a run taken
over from a dead process can mark the transfers it left `running` as failed; and log lines
from the transfer's start onwards carry its `transfer_id` (until `transfer_scope` ends).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

from connectors.base import ConnectorError, Outcome, Snapshot
from gateway.storage.database import Store
from gateway.storage.presence import presence_of
from gateway.storage.repositories.transfers import TransferLog

__all__ = [
    "close_interrupted",
    "fail_transfer",
    "log_failed",
    "log_skipped",
    "run_scope",
    "settle_snapshot",
    "start_transfer",
    "transfer_scope",
]
log = logging.getLogger(__name__)

_current_run: ContextVar[int | None] = ContextVar("claimbridge_run_id", default=None)


@contextmanager
def run_scope(run_id: int) -> Iterator[None]:
    """Transfers started within the block belong to run `run_id`."""
    token = _current_run.set(run_id)
    try:
        yield
    finally:
        _current_run.reset(token)


@contextmanager
def transfer_scope() -> Iterator[None]:
    """The `transfer_id` bound to log lines by transfers started within the block is unbound
    when it ends."""
    saved = structlog.contextvars.get_contextvars().get("transfer_id")
    structlog.contextvars.unbind_contextvars("transfer_id")
    try:
        yield
    finally:
        structlog.contextvars.unbind_contextvars("transfer_id")
        if saved is not None:
            structlog.contextvars.bind_contextvars(transfer_id=saved)


def start_transfer(
    store: Store, *, direction: str, kind: str, channel: str, partner: str, location: str = ""
) -> int:
    owner = presence_of(store).owner
    with store.unit_of_work() as session:
        row = TransferLog(session).start(
            direction=direction,
            kind=kind,
            channel=channel,
            partner=partner,
            location=location,
            run_id=_current_run.get(),
            owner=owner,
        )
        transfer_id = row.id
    structlog.contextvars.bind_contextvars(transfer_id=transfer_id)
    return transfer_id


def close_interrupted(store: Store) -> int:
    """Mark `interrupted` the transfers that processes now gone left `running` (a kill, a
    crash); returns how many. Each run calls it before it starts."""
    presence = presence_of(store)
    with store.unit_of_work() as session:
        marked = TransferLog(session).interrupted(presence.alive)
        for row in marked:
            log.warning(
                "transfer %s (%s %s) was interrupted: %s", row.id, row.kind, row.partner, row.error
            )
        return len(marked)


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
            direction=direction,
            kind=kind,
            channel=channel,
            partner=partner,
            location=location,
            run_id=_current_run.get(),
        )
        log.finish(row.id, status="skipped", bytes_=size, sha256=sha256, summary=reason)
        return row.id


def log_failed(
    store: Store, *, direction: str, kind: str, channel: str, partner: str, error: str
) -> int:
    """A transfer that failed before anything was read: the partner's server could not be
    reached, or a file could not be fetched. Nothing was taken; the files wait for the next
    run."""
    with store.unit_of_work() as session:
        log = TransferLog(session)
        row = log.start(direction=direction, kind=kind, channel=channel, partner=partner)
        log.finish(row.id, status="failed", error=error[:4000])
        return row.id


_AFTERWARDS = {
    Outcome.PROCESSED: "processed, but not moved to the archive",
    Outcome.DUPLICATE: "skipped, but not moved to the archive",
    Outcome.REJECTED: "refused, but not moved to the error folder",
}
_NEXT_RUN = {
    Outcome.PROCESSED: "the next run skips it as already processed and archives it then",
    Outcome.DUPLICATE: "the next run tries again",
    Outcome.REJECTED: "the next run refuses it again and tries to move it again",
}


def settle_snapshot(
    store: Store, snapshot: Snapshot, outcome: Outcome, transfer_id: int, reason: str = ""
) -> str:
    """Archive or set aside a snapshot once its outcome is committed.

    If the partner's server fails now (connection dropped, no permission), what was committed
    stays committed and the file stays where it was; its recorded hash makes the next run skip
    it. The failure is added to the transfer's error, where IT sees it, and returned.
    """
    try:
        snapshot.settle(outcome, reason)
    except ConnectorError as exc:
        message = f"{_AFTERWARDS[outcome]}: {exc}; {_NEXT_RUN[outcome]}"
        with store.unit_of_work() as session:
            row = TransferLog(session).get(transfer_id)
            if row is not None:
                row.error = (f"{row.error}; {message}" if row.error else message)[:4000]
        return message
    return ""
