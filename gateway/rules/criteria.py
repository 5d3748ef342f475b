"""Criteria compiled once into a tree that answers in Python and, for items, in SQL.

Each node has a label accounting can read ("days overdue ≥ 30"), a Python predicate, an
explanation (the value the item has, the threshold, pass or fail, child by child), and for item
criteria the SQL that selects the same items (gateway.rules.sql). Every leaf is two-valued in
both languages: a missing value (a debtor never dunned, no debtor record) fails the condition
and never turns into SQL's NULL, so that `not` means the same in SQL and in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from gateway.rules.amounts import Threshold, minor_bound, threshold_text
from gateway.rules.conditions import CaseCriteria, ItemCriteria, Test
from gateway.rules.facts import FieldValue
from gateway.rules.fields import FieldKind, FieldSpec, Op

__all__ = ["Criterion", "Leaf", "Verdict", "compile_criteria", "leaf"]

Predicate = Callable[[Any, date], bool]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why one criterion holds or not for one item (or case)."""

    label: str
    passed: bool
    value: str = ""  # what the item has
    threshold: str = ""  # what the criterion asks
    children: tuple[Verdict, ...] = ()

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Verdict]]:
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass(frozen=True, slots=True)
class Leaf:
    """A test on one field: the test as written, the field, how to read its value, and what
    the test asks, as an explanation shows it."""

    test: Test
    spec: FieldSpec
    value: FieldValue
    wanted: str


@dataclass(frozen=True, eq=False)
class Criterion:
    """A node of compiled criteria: a test on one field, or all / any / not of children."""

    kind: Literal["test", "all", "any", "not"]
    label: str
    check: Predicate
    children: tuple[Criterion, ...] = ()
    leaf: Leaf | None = None

    def explain(self, facts: Any, as_of: date) -> Verdict:
        """The verdict for `facts` on `as_of`, with every child's verdict."""
        if self.leaf is not None:
            return Verdict(
                self.label,
                self.check(facts, as_of),
                self.leaf.value.show(facts, as_of),
                self.leaf.wanted,
            )
        children = tuple(c.explain(facts, as_of) for c in self.children)
        if self.kind == "all":
            passed = all(c.passed for c in children)
        elif self.kind == "any":
            passed = any(c.passed for c in children)
        else:
            passed = not children[0].passed
        return Verdict(self.label, passed, children=children)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Criterion]]:
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    def fields(self) -> set[str]:
        """The fields the criterion reads."""
        return {c.leaf.test.field for _, c in self.walk() if c.leaf is not None}


# --- labels --------------------------------------------------------------------------------


def _value_text(spec: FieldSpec, value: Any) -> str:
    if spec.kind is FieldKind.AMOUNT:
        return threshold_text(value)
    if isinstance(value, tuple):
        return ", ".join(repr(v) if v == "" else str(v) for v in value)
    return repr(value) if value == "" else str(value)


def _wanted(spec: FieldSpec, test: Test) -> str:
    """What the criterion asks, e.g. "≥ 30", "in DE, FR", "between 100.00 and 500.00"."""
    op, value = test.op, test.value
    if op is Op.EMPTY:
        return "empty" if value else "not empty"
    if spec.kind is FieldKind.FLAG:
        return "yes" if value else "no"
    if op is Op.BETWEEN:
        low, high = value
        return f"between {_value_text(spec, low)} and {_value_text(spec, high)}"
    return f"{op.symbol} {_value_text(spec, value)}"


def _label(spec: FieldSpec, test: Test) -> str:
    if spec.kind is FieldKind.FLAG:
        return spec.label if test.value else f"not {spec.label}"
    if test.op is Op.EMPTY:
        return f"no {spec.label}" if test.value else f"some {spec.label}"
    return f"{spec.label} {_wanted(spec, test)}"


# --- Python predicates ---------------------------------------------------------------------


def _compare(op: Op, actual: Any, wanted: Any) -> bool:
    if op is Op.EQUALS:
        return bool(actual == wanted)
    if op is Op.NOT_EQUALS:
        return bool(actual != wanted)
    if op is Op.AT_LEAST:
        return bool(actual >= wanted)
    if op is Op.AT_MOST:
        return bool(actual <= wanted)
    if op is Op.MORE_THAN:
        return bool(actual > wanted)
    if op is Op.LESS_THAN:
        return bool(actual < wanted)
    if op is Op.BETWEEN:
        return bool(wanted[0] <= actual <= wanted[1])
    if op is Op.IN:
        return actual in wanted
    if op is Op.NOT_IN:
        return actual not in wanted
    raise AssertionError(op)


def _amount_check(test: Test, get: Callable[[Any, date], Any]) -> Predicate:
    op = test.op
    if op is Op.BETWEEN:
        low: Threshold
        high: Threshold
        low, high = test.value

        def between(facts: Any, as_of: date) -> bool:
            lo = minor_bound(low, facts.currency, Op.AT_LEAST)
            hi = minor_bound(high, facts.currency, Op.AT_MOST)
            if lo is None or hi is None:
                return False
            return bool(lo <= get(facts, as_of) <= hi)

        return between
    threshold: Threshold = test.value
    bounds: dict[str, int | None] = {}  # per currency, computed once

    def compare(facts: Any, as_of: date) -> bool:
        currency = facts.currency
        if currency not in bounds:
            bounds[currency] = minor_bound(threshold, currency, op)
        bound = bounds[currency]
        return bound is not None and _compare(op, get(facts, as_of), bound)

    return compare


def _test_check(spec: FieldSpec, test: Test, value: FieldValue) -> Predicate:
    get, op, wanted = value.get, test.op, test.value
    if spec.kind is FieldKind.AMOUNT:
        return _amount_check(test, get)
    if op is Op.EMPTY:
        return lambda facts, as_of: (get(facts, as_of) == "") is wanted
    if spec.kind is FieldKind.NUMBER:

        def number(facts: Any, as_of: date) -> bool:
            actual = get(facts, as_of)
            return actual is not None and _compare(op, actual, wanted)

        return number
    return lambda facts, as_of: _compare(op, get(facts, as_of), wanted)


# --- compiling -----------------------------------------------------------------------------


def leaf(
    test: Test, fields: Mapping[str, FieldSpec], values: Mapping[str, FieldValue]
) -> Criterion:
    """One compiled test."""
    spec, value = fields[test.field], values[test.field]
    return Criterion(
        "test",
        _label(spec, test),
        _test_check(spec, test, value),
        leaf=Leaf(test, spec, value, _wanted(spec, test)),
    )


def _all(children: tuple[Criterion, ...]) -> Predicate:
    checks = tuple(c.check for c in children)
    return lambda facts, as_of: all(check(facts, as_of) for check in checks)


def _any(children: tuple[Criterion, ...]) -> Predicate:
    checks = tuple(c.check for c in children)
    return lambda facts, as_of: any(check(facts, as_of) for check in checks)


def compile_criteria(
    node: ItemCriteria | CaseCriteria,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, FieldValue],
) -> Criterion:
    """The compiled tree of `node`."""
    if node.test is not None:
        return leaf(node.test, fields, values)
    if node.not_ is not None:
        inner = compile_criteria(node.not_, fields, values)
        check = inner.check
        return Criterion(
            "not", f"not ({inner.label})", lambda facts, as_of: not check(facts, as_of), (inner,)
        )
    if node.all is not None:
        children = tuple(compile_criteria(c, fields, values) for c in node.all)
        return Criterion("all", _group("all", children), _all(children), children)
    children = tuple(compile_criteria(c, fields, values) for c in node.any or ())
    return Criterion("any", _group("any", children), _any(children), children)


def _group(kind: str, children: tuple[Criterion, ...]) -> str:
    return f"{kind} of: " + "; ".join(c.label for c in children)
