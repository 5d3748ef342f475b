"""Webhooks to agencies, written to the outbox in the transaction of the change they tell of.

Two notifications, for the agencies whose configuration subscribes to them
(`agencies.<name>.webhooks.events`):

    case.available   a case was handed over to the agency (its SUBMITTED event): the agency
                     fetches it with GET /v1/agency/cases/{reference}
    notice.created   a recall or a direct-payment notice for one of its cases

A message is thin (type, time, case reference, notice): what the agency needs to act on it,
no more, so that personal data stays behind the agency API's authentication. Its id
(`webhook-id`) is stable and unique, so a receiver deduplicates retries. Messages of one case
are delivered in order (ordering key = case reference). Delivery: gateway.pipeline.
webhook_relay.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.config import Config
from gateway.domain.events import CaseEvent
from gateway.domain.handover import AgencyNotice
from gateway.domain.money import minor_to_decimal
from gateway.storage.models import CaseRow
from gateway.storage.repositories.outbox import Outbox

__all__ = [
    "AGENCY_WEBHOOK",
    "CASE_AVAILABLE",
    "NOTICE_CREATED",
    "Subscriptions",
    "WebhookOutbox",
    "subscriptions",
]

AGENCY_WEBHOOK = "agency_webhook"  # the outbox kind; destination = the agency
CASE_AVAILABLE = "case.available"
NOTICE_CREATED = "notice.created"

Subscriptions = Mapping[str, frozenset[str]]
"""Agency name → the webhook events it subscribes to."""


def subscriptions(config: Config) -> Subscriptions:
    """The agencies of the configuration that want webhooks, and for which events."""
    return {
        name: frozenset(setup.config.webhooks.events)
        for name, setup in config.agencies.items()
        if setup.config.webhooks is not None
    }


class WebhookOutbox:
    """Enqueues webhook messages into the caller's unit of work."""

    def __init__(self, outbox: Outbox, subscribed: Subscriptions, now: datetime) -> None:
        self._outbox, self._subscribed, self._now = outbox, subscribed, now

    def case_available(self, case: CaseRow, event: CaseEvent) -> bool:
        """After a case's SUBMITTED event; False if the agency does not subscribe."""
        data = {
            "case_reference": case.reference,
            "currency": case.currency,
            "handed_over": str(minor_to_decimal(case.handed_over_minor, case.currency)),
            "submitted_at": event.occurred_at.isoformat(),
        }
        key = f"wh:{CASE_AVAILABLE}:{case.reference}:{event.external_id}"
        return self._enqueue(
            case.agency, CASE_AVAILABLE, key, case.reference, event.occurred_at, data
        )

    def notice_created(self, notice: AgencyNotice) -> bool:
        """After a notice was written to the outbox; False if the agency does not subscribe."""
        data: dict[str, Any] = {
            "notice_id": notice.notice_id,
            "kind": notice.kind.value,
            "case_reference": notice.case_reference,
            "occurred_at": notice.occurred_at.isoformat(),
            "amount": str(notice.amount.amount) if notice.amount else None,
            "currency": notice.amount.currency if notice.amount else None,
        }
        key = f"wh:{NOTICE_CREATED}:{notice.notice_id}"
        return self._enqueue(
            notice.agency, NOTICE_CREATED, key, notice.case_reference, notice.occurred_at, data
        )

    def _enqueue(
        self,
        agency: str,
        kind: str,
        key: str,
        reference: str,
        at: datetime,
        data: dict[str, Any],
    ) -> bool:
        if kind not in self._subscribed.get(agency, frozenset()):
            return False
        self._outbox.enqueue(
            kind=AGENCY_WEBHOOK,
            destination=agency,
            ordering_key=reference,
            message_key=key,
            payload={"webhook_id": key, "type": kind, "timestamp": at.isoformat(), "data": data},
            now=self._now,
        )
        return True
