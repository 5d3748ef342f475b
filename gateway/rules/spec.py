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

A criterion is one field with one condition (`field: {operator: value}`; `field: value` means
`equals`, `field: [a, b]` means `in`), or a group: `all: [...]`, `any: [...]`, `not: {...}`.
Fields and operators come from closed lists (gateway.rules.fields); anything else is refused
with the list of what is allowed, at the key where it was written.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from gateway.domain.money import is_known_currency
from gateway.rules.amounts import parse_threshold
from gateway.rules.fields import CASE_FIELDS, ITEM_FIELDS, OPERATORS, FieldKind, FieldSpec, Op

__all__ = [
    "AgencyLimit",
    "ApprovalConfig",
    "CaseCriteria",
    "ClaimsConfig",
    "DayCount",
    "GroupingConfig",
    "ItemCriteria",
    "Law",
    "PolicyConfig",
    "RoutingRule",
    "Test",
]

GROUPS = ("all", "any", "not")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- one condition on one field ------------------------------------------------------------


class Test(_Model):
    """One field, one operator, one value (already checked and normalised)."""

    field: str
    op: Op
    value: Any

    def dump(self) -> dict[str, Any]:
        return {self.field: {self.op.value: _plain(self.value)}}


def _plain(value: Any) -> Any:
    """JSON-able form of a condition's value (for the stored policy definition)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _names(options: Any) -> str:
    return ", ".join(str(getattr(o, "value", o)) for o in options)


def _code(spec: FieldSpec, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(
            f'{spec.name}: {raw!r} is not a code; write codes in quotes, e.g. "{raw}"'
            " (unquoted numbers lose leading zeros)"
        )
    value = raw.strip()
    if spec.upper:
        value = value.upper()
        if spec.name == "currency" and not is_known_currency(value):
            raise ValueError(f"{spec.name}: {raw!r} is not a currency (ISO code such as EUR)")
        if spec.name == "country" and not _COUNTRY.match(value):
            raise ValueError(f"{spec.name}: {raw!r} is not a country (ISO code such as DE)")
    if spec.kind is FieldKind.CHOICE and value not in spec.choices:
        raise ValueError(f"{spec.name}: {raw!r} is not one of {_names(spec.choices)}")
    return value


# A century either way: enough for any receivable, and dates stay within the calendar.
MAX_DAYS = 36_500


def _number(spec: FieldSpec, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f"{spec.name}: {raw!r} is not a whole number")
    if spec.unit == "days" and abs(raw) > MAX_DAYS:
        raise ValueError(f"{spec.name}: {raw} days is more than a century")
    return raw


def _pair(spec: FieldSpec, raw: Any) -> tuple[Any, Any]:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise ValueError(f"{spec.name}: between takes two values [low, high], got {raw!r}")
    return raw[0], raw[1]


def _list(spec: FieldSpec, op: Op, raw: Any) -> list[Any]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError(f"{spec.name}: {op.value} takes a non-empty list, got {raw!r}")
    return list(raw)


def _value(spec: FieldSpec, op: Op, raw: Any) -> Any:
    kind = spec.kind
    if op is Op.EMPTY:
        if not isinstance(raw, bool):
            raise ValueError(f"{spec.name}: empty takes true or false, got {raw!r}")
        return raw
    if kind is FieldKind.FLAG:
        if not isinstance(raw, bool):
            raise ValueError(f"{spec.name}: {raw!r} is not true or false")
        return raw
    if kind is FieldKind.NUMBER:
        if op is Op.BETWEEN:
            low, high = (_number(spec, v) for v in _pair(spec, raw))
            if low > high:
                raise ValueError(f"{spec.name}: between [{low}, {high}] is empty")
            return (low, high)
        if op in (Op.IN, Op.NOT_IN):
            return tuple(_number(spec, v) for v in _list(spec, op, raw))
        return _number(spec, raw)
    if kind is FieldKind.AMOUNT:
        if op is Op.BETWEEN:
            low_raw, high_raw = _pair(spec, raw)
            return (
                parse_threshold(low_raw, f"{spec.name}.between[0]"),
                parse_threshold(high_raw, f"{spec.name}.between[1]"),
            )
        return parse_threshold(raw, spec.name)
    # text and choice
    if op in (Op.IN, Op.NOT_IN):
        return tuple(_code(spec, v) for v in _list(spec, op, raw))
    return _code(spec, raw)


def parse_test(spec: FieldSpec, raw: Any) -> Test:
    """`raw` is what follows `field:` in the YAML: {operator: value}, a value, or a list.

    Raises:
        ValueError: naming the field, and the operators its kind allows when one is unknown.
    """
    allowed = OPERATORS[spec.kind]
    if isinstance(raw, Mapping):
        if len(raw) != 1:
            raise ValueError(
                f"{spec.name}: write one operator per criterion, e.g. "
                f"{spec.name}: {{{allowed[0].value}: ...}} (operators: {_names(allowed)})"
            )
        ((op_name, value),) = raw.items()
        op = next((o for o in allowed if o.value == op_name), None)
        if op is None:
            raise ValueError(
                f"{spec.name}: unknown operator {op_name!r} "
                f"(operators for {spec.kind.value} fields: {_names(allowed)})"
            )
        return Test(field=spec.name, op=op, value=_value(spec, op, value))
    if isinstance(raw, list | tuple):
        if Op.IN not in allowed:
            raise ValueError(
                f"{spec.name}: a list means 'in', which {spec.kind.value} fields do not take "
                f"(operators: {_names(allowed)})"
            )
        return Test(field=spec.name, op=Op.IN, value=_value(spec, Op.IN, raw))
    if Op.EQUALS not in allowed:
        raise ValueError(
            f"{spec.name}: needs an operator, e.g. {spec.name}: {{{allowed[0].value}: ...}} "
            f"(operators: {_names(allowed)})"
        )
    return Test(field=spec.name, op=Op.EQUALS, value=_value(spec, Op.EQUALS, raw))


# --- criteria: a tree of all / any / not over tests ----------------------------------------


class _Criteria(_Model):
    FIELDS: ClassVar[Mapping[str, FieldSpec]] = {}

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, BaseModel):
            return data
        fields = ", ".join(cls.FIELDS)
        if not isinstance(data, Mapping) or len(data) != 1:
            raise ValueError(
                "a criterion is one field with its condition (e.g. dunning_level: "
                f"{{at_least: 3}}) or one group: all, any, not (fields: {fields})"
            )
        ((key, value),) = data.items()
        key = str(key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ValueError(f"{key} takes a non-empty list of criteria")
            return {key: value}
        if key == "not":
            return {"not": value}
        spec = cls.FIELDS.get(key)
        if spec is None:
            raise ValueError(f"unknown field {key!r} (fields: {fields}; groups: all, any, not)")
        return {"test": parse_test(spec, value)}

    @model_serializer(mode="plain")
    def _dump(self) -> dict[str, Any]:
        test: Test | None = getattr(self, "test", None)
        if test is not None:
            return test.dump()
        for group in ("all", "any"):
            children = getattr(self, group)
            if children is not None:
                return {group: [c._dump() for c in children]}
        return {"not": self.not_._dump()}  # type: ignore[attr-defined]


class ItemCriteria(_Criteria):
    """Criteria on an open item, its debtor and the debtor's other items."""

    FIELDS: ClassVar[Mapping[str, FieldSpec]] = ITEM_FIELDS

    all: tuple[ItemCriteria, ...] | None = None
    any: tuple[ItemCriteria, ...] | None = None
    not_: ItemCriteria | None = Field(default=None, alias="not")
    test: Test | None = None


class CaseCriteria(_Criteria):
    """Criteria on a case (its debtor, currency, total): for routing."""

    FIELDS: ClassVar[Mapping[str, FieldSpec]] = CASE_FIELDS

    all: tuple[CaseCriteria, ...] | None = None
    any: tuple[CaseCriteria, ...] | None = None
    not_: CaseCriteria | None = Field(default=None, alias="not")
    test: Test | None = None


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
