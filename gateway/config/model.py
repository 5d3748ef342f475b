"""The configuration file's shape: sources, agencies, policies, schedules, reference rates.

Policies are described in gateway.rules.spec.

Connector options are validated in a second pass against each connector's own `Options`
model (see `gateway.config.loader`), so that an option error names its full key path.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.secrets import Secret
from gateway.config.cron import cron_trigger
from gateway.config.durations import Duration
from gateway.config.kpi import KpiConfig, SalesFeedConfig
from gateway.config.notifications import NotificationsConfig
from gateway.config.operations import AlertsConfig, DeliveryConfig, RetentionConfig
from gateway.config.security import SecurityConfig
from gateway.domain.actions import WriteBackRules
from gateway.domain.cases import CaseState
from gateway.rules.rates import RateSeries, parse_rate_entries
from gateway.rules.spec import PolicyConfig
from gateway.webhook_signatures import secret_key

__all__ = [
    "AgencyApiConfig",
    "AgencyConfig",
    "AgencyMappings",
    "AgencyWebhooksConfig",
    "AlertsConfig",
    "BankConfig",
    "DatabaseConfig",
    "GatewayConfig",
    "PolicyConfig",
    "RetentionConfig",
    "ScheduleConfig",
    "SourceConfig",
    "WriteBackConfig",
    "WriteBackRulesConfig",
]

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    url: str = Field(
        default="sqlite:///claimbridge.db",
        description="SQLAlchemy URL; a relative SQLite path starts at the configuration's folder",
    )


class WriteBackRulesConfig(_Section):
    """Which ERP actions the gateway produces."""

    dunning_block: str = Field(
        default="I", max_length=4, description="block code for handed-over items"
    )
    block_on_submit: bool = True
    note_on_submit: bool = True
    note_each_agency_event: bool = True
    record_status: bool = True
    post_payments: bool = True
    clear_block_on: list[CaseState] = Field(
        default_factory=lambda: [CaseState.RECALLED, CaseState.REJECTED]
    )

    def to_rules(self) -> WriteBackRules:
        return WriteBackRules(
            dunning_block=self.dunning_block,
            block_on_submit=self.block_on_submit,
            note_on_submit=self.note_on_submit,
            note_each_agency_event=self.note_each_agency_event,
            record_status=self.record_status,
            post_payments=self.post_payments,
            clear_block_on=frozenset(self.clear_block_on),
        )


class WriteBackConfig(_Section):
    connector: str
    mapping: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    rules: WriteBackRulesConfig = Field(default_factory=WriteBackRulesConfig)


class SnapshotGuardConfig(_Section):
    """When a snapshot is held for confirmation instead of applied: it would clear (no longer
    hold) more than `max_vanished_share` of the open items of the company codes it covers, or
    take more than `max_amount_drop_share` of their open amount in a currency (items gone, and
    open amounts gone down), e.g. a truncated export. Below `min_items` open items the guard
    does not apply (a small ledger may well be paid off)."""

    enabled: bool = True
    max_vanished_share: float = Field(default=0.25, gt=0, le=1)
    max_amount_drop_share: float = Field(default=0.25, gt=0, le=1)
    min_items: int = Field(default=20, ge=1)


class SourceConfig(_Section):
    """An ERP: where open items come from, and where write-back actions go."""

    connector: str
    mapping: str
    options: dict[str, Any] = Field(default_factory=dict)
    writeback: WriteBackConfig | None = None
    snapshot_guard: SnapshotGuardConfig = Field(default_factory=SnapshotGuardConfig)


class AgencyMappings(_Section):
    handover: str = "preset:handover-standard"
    agency_events: str = "preset:agency-events-csv"
    notices: str = "preset:notices-csv"


WebhookEvent = Literal["case.available", "notice.created"]


def _all_webhook_events() -> list[WebhookEvent]:
    return ["case.available", "notice.created"]


class AgencyWebhooksConfig(_Section):
    """Signed notifications to the agency (Standard Webhooks): a case is available, a notice
    (recall, direct payment) was created. The secret is "whsec_<base64>", from `!env` or
    `!secret_file`."""

    url: str = Field(description="the agency's webhook endpoint (http or https)")
    secret: Secret
    previous_secret: Secret | None = Field(
        default=None,
        description="while rotating: also sign with the secret the agency may still hold",
    )
    events: list[WebhookEvent] = Field(default_factory=_all_webhook_events, min_length=1)
    timeout_seconds: float = Field(default=10, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v

    @field_validator("secret", "previous_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            secret_key(v.get_secret_value())  # ValueError says what is wrong, never the value
        return v


class AgencyApiConfig(_Section):
    """How the agency calls claimbridge's REST API (docs/agency.md)."""

    require_signature: bool = Field(
        default=False, description="refuse requests without a valid X-Signature header"
    )
    signing_secret: Secret | None = Field(
        default=None, description="HMAC-SHA256 key of X-Signature (use !env or !secret_file)"
    )
    accept_v1_signatures: bool = Field(
        default=True,
        description="deprecated: also accept X-Signature v1, which signs the body only (v2 "
        "signs method, path, timestamp and body); set false once the agency signs with v2",
    )
    rate_limit: float = Field(
        default=50.0, gt=0, description="requests per second per API key (and per process)"
    )
    burst: int = Field(default=100, ge=1, description="requests allowed at once above the rate")

    @model_validator(mode="after")
    def _secret_when_required(self) -> AgencyApiConfig:
        if self.require_signature and self.signing_secret is None:
            raise ValueError(
                "require_signature is true but signing_secret is not set "
                "(write `signing_secret: !env VARIABLE` or `!secret_file PATH`)"
            )
        return self


class AgencyConfig(_Section):
    """A collection agency and the channel cases and updates travel by."""

    channel: str
    display_name: str = ""
    api: AgencyApiConfig = Field(default_factory=AgencyApiConfig)
    mappings: AgencyMappings = Field(default_factory=AgencyMappings)
    options: dict[str, Any] = Field(default_factory=dict)
    webhooks: AgencyWebhooksConfig | None = None


class BankConfig(_Section):
    """A bank's statement files: incoming payments matched to handed-over items, applied as
    direct payments; those that cannot be matched are listed for accounting."""

    mapping: str = Field(default="preset:camt", description="a bank_payments mapping")
    options: dict[str, Any] = Field(
        default_factory=dict, description="where the files arrive: inbox (and transport)"
    )
    list_unmatched: Literal["related", "all"] = Field(
        default="related",
        description="list for accounting the payments that concern a case but cannot be "
        "applied (related), or every incoming payment not applied (all: an account only "
        "debtors of handed-over cases pay to)",
    )


class ScheduleConfig(_Section):
    """A job run on a cron schedule, exactly once per slot whatever the number of processes.

    A slot whose run cannot start within `misfire_grace` (every process down or busy, the
    previous run still going) is recorded as missed and alerted. A run holds a lease of
    `lease`, renewed every third of it while it runs; if its process dies, another process
    takes the run over once the lease has expired.
    """

    job: Literal[
        "cycle",
        "extract",
        "payments",
        "select",
        "handover",
        "updates",
        "writeback",
        "notices",
        "notify",
        "purge",
    ]
    cron: str = Field(
        description="five-field cron expression, e.g. '30 6 * * 1-5' (six fields: seconds first)"
    )
    timezone: str = "UTC"
    target: str | None = Field(
        default=None, description="a source or agency name, if the job takes one"
    )
    misfire_grace: Duration = Field(default=timedelta(minutes=5))
    lease: Duration = Field(default=timedelta(minutes=2))

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        try:
            cron_trigger(v, "UTC")
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {v!r}: {exc}") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Europe/Paris)") from None
        return v


class GatewayConfig(_Section):
    """The whole configuration file."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    case_reference_prefix: str = Field(default="CB", pattern=r"^[A-Z0-9-]{1,8}$")
    sources: dict[str, SourceConfig] = Field(min_length=1)
    agencies: dict[str, AgencyConfig] = Field(min_length=1)
    banks: dict[str, BankConfig] = Field(default_factory=dict)
    policies: dict[str, PolicyConfig] = Field(min_length=1)
    schedules: dict[str, ScheduleConfig] = Field(default_factory=dict)
    reference_rates: dict[RateSeries, dict[date, Decimal]] = Field(
        default_factory=dict,
        description="reference rates per half-year (percent), added to and taking precedence "
        "over the ones shipped with claimbridge (gateway/rules/reference_rates.yaml)",
    )

    @field_validator("reference_rates", mode="before")
    @classmethod
    def _rates(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        return {series: parse_rate_entries(entries, str(series)) for series, entries in v.items()}

    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    security: SecurityConfig = Field(
        default_factory=SecurityConfig,
        description="/metrics token, throttling of failed sign-ins (docs/it.md)",
    )
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    kpi: KpiConfig = Field(default_factory=KpiConfig)
    sales: dict[str, SalesFeedConfig] = Field(
        default_factory=dict, description="optional credit sales feeds (docs/kpis.md)"
    )
    notifications: NotificationsConfig | None = Field(
        default=None, description="e-mails to sales reps and accounting (docs/kpis.md)"
    )

    @field_validator("sources", "agencies", "banks", "policies", "schedules", "sales")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        import re

        for name in v:
            if not re.match(NAME_PATTERN, name):
                raise ValueError(
                    f"{name!r} is not a valid name (lower-case letters, digits, - and _)"
                )
        return v
