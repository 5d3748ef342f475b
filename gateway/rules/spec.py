"""A handover policy as written in the configuration: validated by Pydantic, nothing evaluated.

    policies:
      standard:
        agency: acme                       # the default agency
        criteria:                          # every criterion must hold (a list is `all`)
          - dunning_level: {at_least: 3}
          - days_overdue: {at_least: 30}
          - open_amount: {at_least: "50.00"}
          - dunning_block: {not_in: [R]}
          - disputed: false
          - not: {segment: VIP}
        grouping: {min_case_total: "100.00"}
        routing:
          - agency: acme-fr
            when: {country: FR}
        approval: {mode: manual, second_approval_above: "10000.00"}
        claims: {law: de, reminder_fee: "5.00"}

The criteria themselves are gateway.rules.conditions; docs/policies.md explains every setting
to accounting.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.rules.amounts import parse_threshold
from gateway.rules.conditions import CaseCriteria, ItemCriteria

__all__ = [
    "AgencyLimit",
    "ApprovalConfig",
    "ClaimsConfig",
    "DayCount",
    "GroupingConfig",
    "Law",
    "PolicyConfig",
    "RoutingRule",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """Criteria are a list (all of them must hold); one criterion may be written alone."""
    return [value] if isinstance(value, Mapping) else value


def _threshold(value: Any, where: str) -> Any:
    return parse_threshold(value, where) if value is not None else None


# --- the policy's other sections -----------------------------------------------------------


class GroupingConfig(_Model):
    """One case per debtor and currency."""

    min_case_total: Decimal | dict[str, Decimal] = Field(
        default=Decimal(0),
        description="a case is made only if its items add up to this (one amount, or per "
        "currency; a currency the table does not list makes no case)",
    )
    add_other_overdue_items: bool = Field(
        default=False,
        description="a debtor's other overdue items in the case currency join its case",
    )
    other_items_criteria: tuple[ItemCriteria, ...] = Field(
        default=(), description="what those other items must meet (default: nothing more)"
    )
    net_credits: bool = Field(
        default=False,
        description="the debtor's open credits (credit notes, payments on account) in the case "
        "currency join its case, so that it claims what is owed net of them",
    )

    @field_validator("min_case_total", mode="before")
    @classmethod
    def _min(cls, value: Any) -> Any:
        return parse_threshold(value, "min_case_total")

    @field_validator("other_items_criteria", mode="before")
    @classmethod
    def _other_list(cls, value: Any) -> Any:
        return _as_list(value)

    @model_validator(mode="after")
    def _other_needs_add(self) -> GroupingConfig:
        if self.other_items_criteria and not self.add_other_overdue_items:
            raise ValueError("other_items_criteria needs add_other_overdue_items: true")
        return self


class RoutingRule(_Model):
    """Cases that meet `when` go to `agency` (the first rule that matches wins)."""

    agency: str
    when: tuple[CaseCriteria, ...] = Field(description="all must hold")

    @field_validator("when", mode="before")
    @classmethod
    def _when_list(cls, value: Any) -> Any:
        if value in ([], {}, None):
            raise ValueError("a routing rule needs at least one criterion")
        return _as_list(value)


class AgencyLimit(_Model):
    """At most so many new cases, and so much money, per selection run of the policy."""

    max_cases: int | None = Field(default=None, ge=1)
    max_amount: Decimal | dict[str, Decimal] | None = Field(
        default=None, description="one amount for each currency, or per currency"
    )

    @field_validator("max_amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        return _threshold(value, "max_amount")


class ApprovalConfig(_Model):
    mode: Literal["automatic", "manual"] = "automatic"
    second_approval_above: Decimal | dict[str, Decimal] | None = Field(
        default=None,
        description="manual approval: cases whose total is above this need a second approval "
        "by another person",
    )

    @field_validator("second_approval_above", mode="before")
    @classmethod
    def _second(cls, value: Any) -> Any:
        return _threshold(value, "second_approval_above")

    @model_validator(mode="after")
    def _second_needs_manual(self) -> ApprovalConfig:
        if self.second_approval_above is not None and self.mode != "manual":
            raise ValueError("second_approval_above needs mode: manual")
        return self


class Law(enum.StrEnum):
    """Which statutory late-payment rules apply (see docs/policies.md)."""

    DE = "de"  # § 288 BGB
    FR = "fr"  # L441-10 Code de commerce (B2B); legal interest rate (B2C)
    EU = "eu"  # directive 2011/7/EU (B2B only)
    NONE = "none"


class DayCount(enum.StrEnum):
    ACT_365 = "act/365"  # actual days / 365, leap years too
    ACT_360 = "act/360"
    ACT_ACT = "act/act"  # actual days / days of that calendar year (365 or 366)


class ClaimsConfig(_Model):
    """Interest and fees claimed on each case (see gateway.rules.interest)."""

    law: Law | dict[str, Law] = Field(
        default=Law.NONE,
        description="one law for every item, or per company code (the legal entity that "
        "issued the invoice; '*' for the others)",
    )
    interest: bool = Field(default=True, description="claim statutory late-payment interest")
    flat_fee: bool = Field(
        default=True, description="claim the statutory flat compensation (EUR 40, B2B)"
    )
    day_count: DayCount = DayCount.ACT_365
    reminder_fee: Decimal | dict[str, Decimal] | None = Field(
        default=None,
        description="contractual fee per reminder sent (the item's dunning level), per item",
    )

    @field_validator("reminder_fee", mode="before")
    @classmethod
    def _fee(cls, value: Any) -> Any:
        return _threshold(value, "reminder_fee")

    def law_for(self, company_code: str) -> Law:
        if isinstance(self.law, Law):
            return self.law
        return self.law.get(company_code, self.law.get("*", Law.NONE))


class PolicyConfig(_Model):
    """Which open items go to which agency, how they are grouped, approved and claimed.

    Always, whatever the criteria: an item must be open, not yet in a case, from one of
    `sources`, and not a credit (open amount above zero).
    """

    description: str = ""
    agency: str = Field(description="the default agency (when no routing rule matches)")
    sources: list[str] | None = Field(default=None, description="default: every source")
    criteria: tuple[ItemCriteria, ...] = Field(
        default=(), description="what an item must meet to be handed over (all of them)"
    )
    grouping: GroupingConfig = Field(default_factory=GroupingConfig)
    routing: list[RoutingRule] = Field(default_factory=list)
    limits: dict[str, AgencyLimit] = Field(
        default_factory=dict, description="per agency, per selection run"
    )
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)
    claims: ClaimsConfig = Field(default_factory=ClaimsConfig)

    @field_validator("criteria", mode="before")
    @classmethod
    def _criteria_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("approval", mode="before")
    @classmethod
    def _approval_word(cls, value: Any) -> Any:
        return {"mode": value} if isinstance(value, str) else value

    def agencies(self) -> list[str]:
        """Every agency the policy may send cases to (default first)."""
        names = [self.agency]
        for rule in self.routing:
            if rule.agency not in names:
                names.append(rule.agency)
        return names
