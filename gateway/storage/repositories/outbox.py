"""The outbox: messages written with the change that caused them, delivered after commit.

A relay takes the due messages of one destination in id order, skipping those whose
`ordering_key` (the ERP item) has an earlier message still waiting or dead, so that actions on
one item are always applied in order. Delivery is at least once: the message key travels with
the message so that the receiver can deduplicate.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.handover import AgencyNotice, NoticeKind
from gateway.domain.items import ItemKey
from gateway.domain.money import Money
from gateway.storage.models import OutboxMessageRow

__all__ = [
    "AGENCY_NOTICE",
    "ERP_ACTION",
    "Outbox",
    "RetryPolicy",
    "action_from_payload",
    "action_payload",
    "notice_from_payload",
    "notice_payload",
]

ERP_ACTION = "erp_action"
AGENCY_NOTICE = "agency_notice"


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
        exists = self.session.scalar(
            select(OutboxMessageRow.id).where(OutboxMessageRow.message_key == message_key)
        )
        if exists is not None:
            return
        self.session.add(
            OutboxMessageRow(
                kind=kind,
                destination=destination,
                ordering_key=ordering_key,
                message_key=message_key,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
            )
        )

    def due(
        self, kind: str, destination: str, now: datetime, limit: int = 10_000
    ) -> list[OutboxMessageRow]:
        """Due messages in delivery order, leaving out those behind an earlier message of the
        same ordering key that is waiting for a retry or dead."""
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
                row.next_attempt_at <= now,
                or_(row.lease_until.is_(None), row.lease_until <= now),
            )
            .order_by(row.id)
            .limit(limit)
        )
        return [m for m in candidates if m.ordering_key not in held]

    def lease(self, messages: Sequence[OutboxMessageRow], owner: str, until: datetime) -> None:
        for message in messages:
            message.lease_owner = owner
            message.lease_until = until

    def delivered(
        self, ids: Sequence[int], owner: str, transfer_id: int | None, now: datetime
    ) -> int:
        """Mark messages delivered, only those still leased by `owner`."""
        if not ids:
            return 0
        result = self.session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id.in_(list(ids)), OutboxMessageRow.lease_owner == owner)
            .values(
                status="delivered",
                delivered_at=now,
                transfer_id=transfer_id,
                lease_owner=None,
                lease_until=None,
                attempts=OutboxMessageRow.attempts + 1,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def failed(
        self,
        failures: dict[int, tuple[str, bool]],
        owner: str,
        policy: RetryPolicy,
        now: datetime,
    ) -> int:
        """Record failures (id → (reason, retriable)); returns how many became dead."""
        dead = 0
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
                dead += 1
            else:
                message.next_attempt_at = now + policy.delay(message.attempts)
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
        values: dict[str, Any] = {"status": "pending", "attempts": 0}
        if now is not None:
            values["next_attempt_at"] = now
        return int(self.session.execute(query.values(**values)).rowcount)  # type: ignore[attr-defined]

    def counts(self) -> dict[tuple[str, str, str], int]:
        """(kind, destination, status) → number of messages."""
        query = select(
            OutboxMessageRow.kind,
            OutboxMessageRow.destination,
            OutboxMessageRow.status,
            func.count(),
        ).group_by(OutboxMessageRow.kind, OutboxMessageRow.destination, OutboxMessageRow.status)
        return {(k, d, s): int(n) for k, d, s, n in self.session.execute(query)}
