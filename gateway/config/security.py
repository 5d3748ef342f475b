"""The `security` section of the configuration: who may read /metrics, and how failed
sign-ins are throttled (docs/it.md, "Securing the endpoints")."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from connectors.secrets import Secret
from gateway.config.durations import Duration

__all__ = ["FailedLoginsConfig", "SecurityConfig"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FailedLoginsConfig(_Section):
    """Failed authentications counted per user and per client address in the database (so
    that the limit holds across every `claimbridge serve` process). Past a limit, further
    attempts are answered 429 with Retry-After until the window that began with the first
    failure is over."""

    per_user: int = Field(
        default=10, ge=1, description="failed console sign-ins for one user name per window"
    )
    per_address: int = Field(
        default=50,
        ge=1,
        description="failed authentications (console sign-ins, user tokens, agency keys) from "
        "one client address per window",
    )
    window: Duration = Field(default=timedelta(minutes=15))


class SecurityConfig(_Section):
    metrics_token: Secret | None = Field(
        default=None,
        description="when set, /metrics needs `Authorization: Bearer <this token>` "
        "(use !env or !secret_file); unset, /metrics is open",
    )
    failed_logins: FailedLoginsConfig = Field(default_factory=FailedLoginsConfig)
