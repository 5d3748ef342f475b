"""The criteria language: one condition on one field (`field: {operator: value}`), and trees
of them (`all`, `any`, `not`), validated by Pydantic against the closed lists of
gateway.rules.fields. Nothing is evaluated here: gateway.rules.criteria compiles them.

`field: value` means `equals`, `field: [a, b]` means `in`. Anything else is refused with the
fields or operators that are allowed, at the key where it was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from gateway.domain.money import is_known_currency
from gateway.rules.amounts import parse_threshold
from gateway.rules.fields import CASE_FIELDS, ITEM_FIELDS, OPERATORS, FieldKind, FieldSpec, Op

__all__ = ["MAX_DAYS", "CaseCriteria", "ItemCriteria", "Test", "parse_test"]

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
