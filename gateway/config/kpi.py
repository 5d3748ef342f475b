"""The configuration of the KPIs (`kpi:`) and of the optional credit sales feeds (`sales:`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.kpi.buckets import DEFAULT_EDGES, AgeingBuckets

__all__ = ["KpiConfig", "SalesFeedConfig"]


class KpiConfig(BaseModel):
    """How the KPIs are cut: ageing bucket edges (days past the net due date) kept with each
    snapshot, and the grace days before a promise to pay counts as broken."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ageing_buckets: list[int] = Field(
        default_factory=lambda: list(DEFAULT_EDGES),
        description="bucket edges in days past due: [30, 60, 90, 180] gives current, 1-30, "
        "31-60, 61-90, 91-180, >180",
    )
    promise_grace_days: int = Field(default=3, ge=0, le=60)

    @field_validator("ageing_buckets")
    @classmethod
    def _edges(cls, v: list[int]) -> list[int]:
        AgeingBuckets(tuple(v))  # ValueError says what is wrong
        return v

    @property
    def buckets(self) -> AgeingBuckets:
        return AgeingBuckets(tuple(self.ageing_buckets))


class SalesFeedConfig(BaseModel):
    """A feed of credit sales per month (period, company code, currency, amount): read by any
    source connector, translated by a mapping of kind `sales`. DSO, best possible DSO, average
    days delinquent and CEI are computed only where one exists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connector: str
    mapping: str
    options: dict[str, Any] = Field(default_factory=dict)
