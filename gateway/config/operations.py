"""The operations sections of the configuration: alerts, retention and delivery.

Schedules are in `gateway.config.model` (`ScheduleConfig`), with their misfire grace and run
lease.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.secrets import Secret
from gateway.config.durations import Duration

__all__ = [
    "AlertsConfig",
    "DeliveryConfig",
    "EmailAlertConfig",
    "RetentionConfig",
    "SilenceRule",
    "WebhookAlertConfig",
]

_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookAlertConfig(_Section):
    """Alerts POSTed as JSON to an HTTP endpoint (a chat webhook, an incident tool)."""

    url: str = Field(description="http:// or https:// address the alerts are POSTed to")
    token: Secret | None = Field(
        default=None, description="sent as `Authorization: Bearer ...` (use !env or !secret_file)"
    )
    timeout: Duration = Field(default=timedelta(seconds=10))

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"{v!r} is not an http:// or https:// address")
        return v


class EmailAlertConfig(_Section):
    """Alerts sent by e-mail through an SMTP server."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (port 587), tls (port 465) or none"
    )
    username: str | None = None
    password: Secret | None = Field(default=None, description="use !env or !secret_file")
    sender: str = Field(description="the From address")
    recipients: list[str] = Field(min_length=1)
    timeout: Duration = Field(default=timedelta(seconds=20))

    @field_validator("sender")
    @classmethod
    def _sender(cls, v: str) -> str:
        if not _ADDRESS.match(v):
            raise ValueError(f"{v!r} is not an e-mail address")
        return v

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if not _ADDRESS.match(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        return v


class SilenceRule(_Section):
    """A partner that must be heard from: an alert when nothing came (or went) for `after`."""

    partner: str = Field(description="a source or agency name")
    direction: Literal["inbound", "outbound"]
    after: Duration = Field(description="e.g. 26h for a daily export")


class AlertsConfig(_Section):
    """Where alerts go, how often conditions are checked, and which silences are alarming.

    Alerts are raised when a transfer fails, a job misses its slot or fails, dead letters
    appear, or a partner is silent longer than its rule allows; each condition is notified once
    when it starts and once when it clears.
    """

    check_every: Duration = Field(default=timedelta(minutes=1))
    webhook: WebhookAlertConfig | None = None
    email: EmailAlertConfig | None = None
    silence: list[SilenceRule] = Field(default_factory=list)


class RetentionConfig(_Section):
    """How long records are kept before `claimbridge purge` (or a `purge` job) removes them.

    `personal_data` is off unless set: debtors with no open item and no open case, whose last
    case closed longer ago than this, keep their number but lose name, address and contacts.
    """

    transfers: Duration | None = Field(default=timedelta(days=400))
    quarantined_records: Duration | None = Field(default=timedelta(days=90))
    run_history: Duration | None = Field(default=timedelta(days=90))
    delivered_messages: Duration | None = Field(default=timedelta(days=90))
    # An API request's Idempotency-Key with the answer it got: a retry within this period gets
    # that answer again; later, the key is forgotten.
    idempotency_keys: Duration | None = Field(default=timedelta(days=30))
    personal_data: Duration | None = None


class DeliveryConfig(_Section):
    """How the outbox is delivered (ERP write-back, notices, webhooks).

    A run drains the outbox: it delivers batches of at most `batch_size` messages, each claimed
    with a lease, until nothing is due. A failed delivery is retried with exponential backoff
    and full jitter (`retry_base` doubling up to `retry_cap`); after `max_attempts` the message
    is dead: listed by `claimbridge outbox`, alerted, re-queued by `claimbridge outbox retry`.
    """

    batch_size: int = Field(
        default=10_000, ge=1, le=1_000_000, description="messages per delivery (per file)"
    )
    max_attempts: int = Field(default=8, ge=1, le=100)
    retry_base: Duration = Field(default=timedelta(seconds=30))
    retry_cap: Duration = Field(default=timedelta(hours=1))
