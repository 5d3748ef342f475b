"""The configuration of e-mail notifications (`notifications:`): the SMTP server, and what the
accounts' sales reps receive. Who in accounting receives what is each user's preference
(`claimbridge notify prefs`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.secrets import Secret
from gateway.config.durations import Duration

__all__ = ["NOTIFICATION_KINDS", "NotificationKind", "NotificationsConfig", "SmtpConfig"]

NotificationKind = Literal["proposals", "payments", "disputes", "uncollectible", "broken_promises"]
NOTIFICATION_KINDS: tuple[NotificationKind, ...] = (
    "proposals",
    "payments",
    "disputes",
    "uncollectible",
    "broken_promises",
)
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SmtpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = Field(default=None, description="use !env or !secret_file")
    sender: str = Field(description="the From address")
    timeout: Duration = Field(default=timedelta(seconds=20))

    @field_validator("sender")
    @classmethod
    def _sender(cls, v: str) -> str:
        if not _ADDRESS.match(v):
            raise ValueError(f"{v!r} is not an e-mail address")
        return v


class NotificationsConfig(BaseModel):
    """E-mails on handover proposals, payments collected, disputes, uncollectible returns and
    broken promises, to the account's sales rep and to the users who asked, and a daily digest
    to accounting (docs/kpis.md, "Notifications")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    smtp: SmtpConfig
    sales_rep_kinds: list[NotificationKind] = Field(
        default_factory=lambda: list(NOTIFICATION_KINDS),
        description="what the account's sales rep (debtor_sales_rep in the mapping) receives; "
        "[] for nothing",
    )
    sales_rep_language: Literal["en", "fr", "de"] = "en"
    link_base: str = Field(
        default="", description="the console's address, for links in the e-mails (https://...)"
    )
