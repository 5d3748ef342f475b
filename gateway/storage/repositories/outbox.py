"""The outbox: messages written with the change that caused them, delivered after commit.

A relay claims a *batch*: the due messages of one destination in id order, skipping those whose
`ordering_key` (the ERP item) has an earlier message still waiting or dead, so that actions on
one item are always applied in order. The batch is recorded with its messages when it is
claimed; a relay that dies before recording the outcome leaves it open, and the next relay
claims the same batch again and sends it under the same identity (file name, request keys),
so that the partner sees one delivery. Every message also carries its own stable key (the
action or notice id) for the partner to deduplicate on.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, text, update
from sqlalchemy.orm import Session

from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.handover import AgencyNotice, NoticeKind
from gateway.domain.items import ItemKey
from gateway.domain.money import Money
from gateway.storage.inserts import insert_new
from gateway.storage.models import OutboxBatchRow, OutboxMessageRow

__all__ = [
    "AGENCY_NOTICE",
    "ERP_ACTION",
    "Claim",
    "Outbox",
    "OutboxBacklog",
    "OutboxLease",
    "RetryPolicy",
    "action_from_payload",
    "action_payload",
    "notice_from_payload",
    "notice_payload",
]

ERP_ACTION = "erp_action"
AGENCY_NOTICE = "agency_notice"
# The first key of the advisory lock that serializes claims per destination ("CO").
_CLAIM_LOCK_CLASS = 0x434F


def _destination_key(kind: str, destination: str) -> int:
    digest = hashlib.blake2b(f"{kind}:{destination}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery batch a relay holds: its identity (id, creation time), which attempt this
    is (above 1, it may have reached the partner already), and its messages in order."""

    batch_id: int
    created_at: datetime
    attempt: int
    messages: list[tuple[int, dict[str, Any]]]


class RetryPolicy:
    """Exponential backoff with full jitter; dead after `max_attempts`."""

    def __init__(
        self,
        max_attempts: int = 8,
        base_seconds: float = 30.0,
        cap_seconds: float = 3600.0,
        rng: random.Random | None = None,
    ) -> None:
        self.max_attempts = max_attempts
        self.base_seconds = base_seconds
        self.cap_seconds = cap_seconds
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def delay(self, attempts: int) -> timedelta:
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** max(attempts - 1, 0)))
        return timedelta(seconds=self._rng.uniform(0, ceiling))


def action_payload(action: WriteBackAction) -> dict[str, Any]:
    key = action.item
    return {
        "action_id": action.action_id,
        "kind": action.kind.value,
        "item": [key.source, key.company_code, key.document_number, key.fiscal_year, key.line_item],
        "case_reference": action.case_reference,
        "agency": action.agency,
        "occurred_at": action.occurred_at.isoformat(),
        "currency": action.currency,
        "dunning_block": action.dunning_block,
        "status": action.status,
        "text": action.text,
        "amount": action.amount,
        "interest": action.interest,
        "fees": action.fees,
        "commission": action.commission,
        "debtor_number": action.debtor_number,
    }


def action_from_payload(payload: dict[str, Any]) -> WriteBackAction:
    source, company_code, document_number, fiscal_year, line_item = payload["item"]
    return WriteBackAction(
        action_id=payload["action_id"],
        kind=ActionKind(payload["kind"]),
        item=ItemKey(source, company_code, document_number, int(fiscal_year), line_item),
        case_reference=payload["case_reference"],
        agency=payload["agency"],
        occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        currency=payload["currency"],
        dunning_block=payload["dunning_block"],
        status=payload["status"],
        text=payload["text"],
        amount=int(payload["amount"]),
        interest=int(payload["interest"]),
        fees=int(payload["fees"]),
        commission=int(payload["commission"]),
        # Messages written before the debtor travelled with the action have none.
        debtor_number=payload.get("debtor_number", ""),
    )


def notice_payload(notice: AgencyNotice) -> dict[str, Any]:
    return {
        "notice_id": notice.notice_id,
        "kind": notice.kind.value,
        "case_reference": notice.case_reference,
        "agency": notice.agency,
        "occurred_at": notice.occurred_at.isoformat(),
        "amount": [notice.amount.minor, notice.amount.currency] if notice.amount else None,
        "company_code": notice.company_code,
        "document_number": notice.document_number,
        "fiscal_year": notice.fiscal_year,
        "line_item": notice.line_item,
        "note": notice.note,
    }


def notice_from_payload(payload: dict[str, Any]) -> AgencyNotice:
    amount = payload.get("amount")
    return AgencyNotice(
        notice_id=payload["notice_id"],
        kind=NoticeKind(payload["kind"]),
        case_reference=payload["case_reference"],
        agency=payload["agency"],
        occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        amount=Money(int(amount[0]), amount[1]) if amount else None,
        company_code=payload["company_code"],
        document_number=payload["document_number"],
        fiscal_year=payload["fiscal_year"],
        line_item=payload["line_item"],
        note=payload["note"],
    )


@dataclass(frozen=True, slots=True)
class OutboxLease:
    """A batch a relay holds: its messages wait for that relay's outcome."""

    kind: str
    destination: str
    batch_id: int | None
    owner: str
    until: datetime
    messages: int
    expired: bool


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """What waits for one destination after a relay pass, and why it did not go."""

    pending: int = 0  # not yet delivered, not dead
    leased: int = 0  # in a batch another relay holds
    lease_owners: tuple[tuple[str, datetime | None], ...] = ()
    retrying: int = 0  # waiting for the next attempt after a failure
    next_attempt_at: datetime | None = None
    held: int = 0  # behind an earlier message of the same item that waits or is dead
    dead: int = 0

    def describe(self) -> str:
        """One line for the run summary: '' when nothing is left."""
        if not self.pending and not self.dead:
            return ""
        parts = [f"{self.pending} still pending"]
        if self.leased:
            owners = ", ".join(
                f"{owner} until {until:%H:%M:%S} UTC" if until else owner
                for owner, until in self.lease_owners
            )
            parts.append(f"{self.leased} leased by {owners}")
        if self.retrying:
            when = f" (next at {self.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC)"
            parts.append(f"{self.retrying} waiting to be retried{when}")
        if self.held:
            parts.append(f"{self.held} held behind an earlier action on the same item")
        if self.dead:
            parts.append(f"{self.dead} dead (`claimbridge outbox` lists them)")
        return ", ".join(parts)


class Outbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        *,
        kind: str,
        destination: str,
        ordering_key: str,
        message_key: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        # A message key already queued (the same action derived again) is left alone.
        insert_new(
            self.session,
            OutboxMessageRow.__table__,  # type: ignore[arg-type]
            {
                "kind": kind,
                "destination": destination,
                "ordering_key": ordering_key,
                "message_key": message_key,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            },
            ("message_key",),
        )

    def claim(
        self,
        kind: str,
        destination: str,
        owner: str,
        now: datetime,
        until: datetime,
        limit: int,
        alive: Callable[[str], bool | None],
    ) -> Claim | None:
        """Claim the next delivery batch of a destination for `owner`, leased until `until`.

        An open batch comes first when it is due again (after a failed attempt) or its relay
        is gone (its owner is dead for sure, or its lease expired): it is claimed again
        whole, with its identity. Otherwise the due messages (see `due`) make a new batch.
        On PostgreSQL, claims for one destination are serialized by an advisory lock held
        until the transaction ends, so two relays never take the same message.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:c, :k)"),
                {"c": _CLAIM_LOCK_CLASS, "k": _destination_key(kind, destination)},
            )
        again = self._reclaimable(kind, destination, owner, now, alive)
        if again is not None:
            batch, messages = again
            batch.attempts += 1
        else:
            messages = self.due(kind, destination, now, limit)
            if not messages:
                return None
            batch = OutboxBatchRow(
                kind=kind,
                destination=destination,
                messages=len(messages),
                status="open",
                attempts=1,
                created_at=now,
            )
            self.session.add(batch)
            self.session.flush()
        for message in messages:
            message.batch_id = batch.id
            message.lease_owner = owner
            message.lease_until = until
        self.session.flush()
        return Claim(
            batch_id=batch.id,
            created_at=batch.created_at,
            attempt=batch.attempts,
            messages=[(m.id, m.payload) for m in messages],
        )

    def _reclaimable(
        self,
        kind: str,
        destination: str,
        owner: str,
        now: datetime,
        alive: Callable[[str], bool | None],
    ) -> tuple[OutboxBatchRow, list[OutboxMessageRow]] | None:
        row = OutboxMessageRow
        batches = self.session.scalars(
            select(OutboxBatchRow)
            .where(
                OutboxBatchRow.kind == kind,
                OutboxBatchRow.destination == destination,
                OutboxBatchRow.status == "open",
            )
            .order_by(OutboxBatchRow.id)
        ).all()
        for batch in batches:
            messages = list(
                self.session.scalars(
                    select(row)
                    .where(row.batch_id == batch.id, row.status == "pending")
                    .order_by(row.id)
                )
            )
            if not messages:
                batch.status, batch.closed_at = "closed", now
                continue
            first = messages[0]
            if first.next_attempt_at > now:
                continue  # waiting for its next attempt
            holder = first.lease_owner
            if holder and holder != owner:
                expired = first.lease_until is None or first.lease_until <= now
                state = alive(holder)
                if state is True or (state is None and not expired):
                    continue  # its relay is at work
            return batch, messages
        return None

    def due(
        self, kind: str, destination: str, now: datetime, limit: int = 10_000
    ) -> list[OutboxMessageRow]:
        """Messages not yet in a batch and due, in delivery order, leaving out those behind an
        earlier message of the same ordering key that is waiting (for a retry, in a batch
        under way) or dead."""
        row = OutboxMessageRow
        held = set(
            self.session.scalars(
                select(row.ordering_key)
                .where(
                    row.kind == kind,
                    row.destination == destination,
                    or_(
                        row.status == "dead",
                        (row.status == "pending") & (row.next_attempt_at > now),
                        (row.status == "pending") & (row.lease_until > now),
                        (row.status == "pending") & row.batch_id.is_not(None),
                    ),
                )
                .distinct()
            )
        )
        candidates = self.session.scalars(
            select(row)
            .where(
                row.kind == kind,
                row.destination == destination,
                row.status == "pending",
                row.batch_id.is_(None),
                row.next_attempt_at <= now,
                or_(row.lease_until.is_(None), row.lease_until <= now),
            )
            .order_by(row.id)
            .limit(limit)
        )
        return [m for m in candidates if m.ordering_key not in held]

    def delivered(
        self, batch_id: int, ids: Sequence[int], owner: str, transfer_id: int | None, now: datetime
    ) -> int:
        """Mark messages of a batch delivered, only those still leased by `owner`, and close
        the batch."""
        count = 0
        if ids:
            result = self.session.execute(
                update(OutboxMessageRow)
                .where(OutboxMessageRow.id.in_(list(ids)), OutboxMessageRow.lease_owner == owner)
                .values(
                    status="delivered",
                    delivered_at=now,
                    transfer_id=transfer_id,
                    batch_id=None,
                    lease_owner=None,
                    lease_until=None,
                    attempts=OutboxMessageRow.attempts + 1,
                )
            )
            count = int(result.rowcount)  # type: ignore[attr-defined]
        batch = self.session.get(OutboxBatchRow, batch_id)
        if batch is not None:
            batch.transfer_id = transfer_id
            remaining = self.session.scalar(
                select(func.count())
                .select_from(OutboxMessageRow)
                .where(OutboxMessageRow.batch_id == batch_id)
            )
            if not remaining:
                batch.status, batch.closed_at = "closed", now
        return count

    def failed(
        self,
        failures: dict[int, tuple[str, bool]],
        owner: str,
        policy: RetryPolicy,
        now: datetime,
        *,
        whole_batch: bool = False,
    ) -> int:
        """Record failures (id → (reason, retriable)); returns how many became dead.

        Messages that failed one by one (the partner refused them, the others went through)
        leave their batch: they were not applied, and go into a new batch when due. When the
        whole delivery failed, the batch stays together and is sent again, whole and under
        its identity, at one time for all its messages (it may have reached the partner)."""
        dead = 0
        delay: timedelta | None = None
        for message_id, (reason, retriable) in failures.items():
            message = self.session.get(OutboxMessageRow, message_id)
            if message is None or message.lease_owner != owner:
                continue
            message.attempts += 1
            message.last_error = reason[:2000]
            message.lease_owner = None
            message.lease_until = None
            if not retriable or message.attempts >= policy.max_attempts:
                message.status = "dead"
                message.batch_id = None
                dead += 1
                continue
            if not whole_batch:
                message.batch_id = None
            if delay is None or not whole_batch:
                delay = policy.delay(message.attempts)
            message.next_attempt_at = now + delay
        return dead

    def retry_dead(
        self, destination: str | None = None, ids: Sequence[int] = (), now: datetime | None = None
    ) -> int:
        """Put dead messages back in the queue; returns how many."""
        query = update(OutboxMessageRow).where(OutboxMessageRow.status == "dead")
        if destination:
            query = query.where(OutboxMessageRow.destination == destination)
        if ids:
            query = query.where(OutboxMessageRow.id.in_(list(ids)))
        values: dict[str, Any] = {"status": "pending", "attempts": 0, "batch_id": None}
        if now is not None:
            values["next_attempt_at"] = now
        return int(self.session.execute(query.values(**values)).rowcount)  # type: ignore[attr-defined]

    def listing(
        self,
        status: str,
        *,
        destination: str | None = None,
        after_id: int | None = None,
        limit: int = 50,
    ) -> list[OutboxMessageRow]:
        """Messages in id order (the order of delivery), a keyset page after `after_id`:
        `pending` (waiting, not in a batch a relay holds), `leased` (in one) or `dead`."""
        row = OutboxMessageRow
        query = select(row).order_by(row.id).limit(limit)
        if status == "leased":
            query = query.where(row.status == "pending", row.lease_owner.is_not(None))
        elif status == "pending":
            query = query.where(row.status == "pending", row.lease_owner.is_(None))
        else:
            query = query.where(row.status == status)
        if destination:
            query = query.where(row.destination == destination)
        if after_id is not None:
            query = query.where(row.id > after_id)
        return list(self.session.scalars(query))

    def backlog(self, kind: str, destination: str, now: datetime) -> OutboxBacklog:
        """What is left for a destination: pending, leased, retrying, held, dead."""
        row = OutboxMessageRow
        where = (row.kind == kind, row.destination == destination)
        pending = list(
            self.session.execute(
                select(
                    row.ordering_key, row.next_attempt_at, row.lease_owner, row.lease_until, row.id
                )
                .where(*where, row.status == "pending")
                .order_by(row.id)
            )
        )
        dead_keys = set(
            self.session.scalars(select(row.ordering_key).where(*where, row.status == "dead"))
        )
        dead = int(
            self.session.scalar(
                select(func.count()).select_from(row).where(*where, row.status == "dead")
            )
            or 0
        )
        leased, retrying, held = 0, 0, 0
        owners: dict[str, datetime | None] = {}
        next_at: datetime | None = None
        waiting: set[str] = set(dead_keys)
        for key, next_attempt_at, owner, until, _ in pending:
            if owner and until is not None and until > now:
                leased += 1
                owners[owner] = until
            elif next_attempt_at > now:
                retrying += 1
                next_at = next_attempt_at if next_at is None else min(next_at, next_attempt_at)
            elif key in waiting:
                held += 1
            if owner or next_attempt_at > now:
                waiting.add(key)
        return OutboxBacklog(
            pending=len(pending),
            leased=leased,
            lease_owners=tuple(owners.items()),
            retrying=retrying,
            next_attempt_at=next_at,
            held=held,
            dead=dead,
        )

    def counts(self, *, delivered: bool = True) -> dict[tuple[str, str, str], int]:
        """(kind, destination, status) → number of messages; pending messages in a batch a
        relay holds count as `leased`. Without `delivered`, only what is left to deliver
        (pending, leased, dead): read by the status index, however long the delivered history
        has grown."""
        row = OutboxMessageRow
        leased = (row.status == "pending") & row.lease_owner.is_not(None)
        status = case((leased, "leased"), else_=row.status)
        query = select(row.kind, row.destination, status, func.count()).group_by(
            row.kind, row.destination, status
        )
        if not delivered:
            query = query.where(row.status.in_(("pending", "dead")))
        return {(k, d, s): int(n) for k, d, s, n in self.session.execute(query)}

    def leases(self, now: datetime) -> list[OutboxLease]:
        """The batches relays hold now: who, until when, how many messages."""
        row = OutboxMessageRow
        query = (
            select(
                row.kind,
                row.destination,
                row.batch_id,
                row.lease_owner,
                func.max(row.lease_until),
                func.count(),
            )
            .where(row.status == "pending", row.lease_owner.is_not(None))
            .group_by(row.kind, row.destination, row.batch_id, row.lease_owner)
            .order_by(row.batch_id)
        )
        return [
            OutboxLease(
                kind,
                destination,
                batch_id,
                owner or "",
                until or now,
                int(n),
                (until or now) <= now,
            )
            for kind, destination, batch_id, owner, until, n in self.session.execute(query)
        ]
