"""The fast path of a compiled mapping for text rows (CSV): one generated function per mapping.

Mapping a million rows field by field through closures costs about half a microsecond per
field, most of it in Python calls. For the common case (a column read by position, then
`strip`, `upper` or `lower`, then the target type's conversion) this module writes one Python
function that does all fields inline, which is about three times faster. A field read from one
column with other steps (a lookup, a yes/no flag, a date in a national format) depends on that
cell's text alone: its getter runs once per distinct text and the result is remembered
(bounded). A target whose column is absent, or that is not mapped, is computed once.

It never changes a result: every value that is not the common case (an empty cell, a value
that does not convert, a field with another source) is computed by that field's own getter,
the one the slow path uses; and if the generated function raises anything, the record is
mapped again by the getters, which explain what is wrong (tests/unit/test_mapping_fast_path.py
checks this on every shipped CSV preset). The generated source
contains nothing from the mapping file: only column positions (integers) and the names of
objects in its own namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from mappings.targets import Target, TargetType

__all__ = ["INLINE_METHODS", "FastPlan", "empty_value", "generate"]

# Steps that are str methods on text and keep it text: they can be inlined as method calls.
INLINE_METHODS = {"strip": "strip", "upper": "upper", "lower": "lower"}
# Results of a field's steps remembered per distinct cell text, at most (per field and mapper).
REMEMBERED = 4_096


@dataclass(frozen=True, slots=True)
class FastPlan:
    """How one target can be computed without its getter's calls.

    Read the column at `position`, call the str `methods`, convert to the target's type. With
    `methods` None the column has other steps: their result is a function of the cell's text
    alone, so it is computed once per distinct text and remembered (codes, flags, dates in a
    national format repeat on every line). With `position` None the column is absent or the
    target not mapped: the value is the same on every line.
    """

    position: int | None
    methods: tuple[str, ...] | None
    target: Target


_MISSING = object()


def _remember(memo: dict[str, Any], text: str, value: Any) -> None:
    """Keep a step's result for a cell's text; memory stays bounded whatever the file."""
    if len(memo) >= REMEMBERED:
        memo.clear()
    memo[text] = value


def _checked(memo: dict[str, Any], check: Callable[[Any], Any], text: str) -> Any:
    """A target's check of a text, remembered (a check that fails raises: not remembered)."""
    value = check(text)
    _remember(memo, text, value)
    return value


def empty_value(target: Target) -> tuple[bool, Any]:
    """What an empty cell becomes for `target` on the slow path: (known, value). Unknown for
    a required target (the slow path raises, explaining why)."""
    if target.required:
        return False, None
    empty = "" if target.type is TargetType.TEXT else None
    return True, empty if target.default is None else target.default


def _field(
    k: int,
    plan: FastPlan | None,
    getter: Callable[[Any], Any],
    lines: list[str],
    namespace: dict[str, Any],
) -> None:
    """Lines that leave target k's value in `v{k}`; g{k} is its own getter (the slow path)."""
    if plan is None:
        lines.append(f"    v{k} = g{k}(r)")
        return
    if plan.position is None:
        try:
            namespace[f"e{k}"] = getter(())  # reads no column: the same for every record
        except Exception:  # noqa: BLE001 - e.g. a required target: explained per record
            lines.append(f"    v{k} = g{k}(r)")
        else:
            lines.append(f"    v{k} = e{k}")
        return
    if plan.methods is None:
        namespace[f"m{k}"] = {}
        lines += [
            f"    v{k} = m{k}.get(r[{plan.position}], MISSING)",
            f"    if v{k} is MISSING:",
            f"        v{k} = g{k}(r)",
            f"        remember(m{k}, r[{plan.position}], v{k})",
        ]
        return
    call = "".join(f".{m}()" for m in plan.methods)
    lines.append(f"    v{k} = r[{plan.position}]{call}")
    kind = plan.target.type
    checked = f"c{k}(v{k})" if plan.target.check is not None else f"v{k}"
    known, value = empty_value(plan.target)
    if known:
        namespace[f"e{k}"] = value
    empty = f"e{k}" if known else f"g{k}(r)"
    if kind is TargetType.TEXT:
        if plan.target.check is not None:
            # A code checked against a list (currency, country): once per distinct text.
            namespace[f"k{k}"] = {}
            checked = f"(k{k}.get(v{k}) or checked(k{k}, c{k}, v{k}))"
        lines.append(f"    v{k} = {checked} if v{k} else {empty}")
    elif kind is TargetType.DATE:
        lines += [
            f"    if len(v{k}) == 10:",
            "        try:",
            f"            v{k} = fromiso(v{k})",
            "        except ValueError:",
            f"            v{k} = g{k}(r)",
            "    else:",
            f"        v{k} = {empty} if not v{k} else g{k}(r)",
        ]
    elif kind is TargetType.DECIMAL:
        lines += [
            f"    if v{k}:",
            "        try:",
            f"            v{k} = Decimal(v{k})",
            "        except InvalidOperation:",
            f"            v{k} = g{k}(r)",
            "        else:",
            f"            v{k} = {checked} if v{k}.is_finite() else g{k}(r)",
            "    else:",
            f"        v{k} = {empty}",
        ]
    elif kind is TargetType.INT:
        lines += [
            f"    if v{k}:",
            "        try:",
            f"            v{k} = int(v{k})",
            "        except ValueError:",
            f"            v{k} = g{k}(r)",
            "        else:",
            f"            v{k} = {checked}",
            "    else:",
            f"        v{k} = {empty}",
        ]
    else:
        lines.append(f"    v{k} = g{k}(r)")


def generate(
    plans: Sequence[FastPlan | None], getters: Sequence[Callable[[Any], Any]]
) -> Callable[[Sequence[str]], tuple[Any, ...]]:
    """A function mapping a text row to the targets' values, equivalent to calling `getters`."""
    namespace: dict[str, Any] = {
        "fromiso": date.fromisoformat,
        "Decimal": Decimal,
        "InvalidOperation": InvalidOperation,
        "MISSING": _MISSING,
        "remember": _remember,
        "checked": _checked,
    }
    lines = ["def mapped(r):"]
    for k, (plan, getter) in enumerate(zip(plans, getters, strict=True)):
        namespace[f"g{k}"] = getter
        if plan is not None and plan.target.check is not None:
            namespace[f"c{k}"] = plan.target.check
        _field(k, plan, getter, lines, namespace)
    lines.append(f"    return ({''.join(f'v{k}, ' for k in range(len(plans)))})")
    code = compile("\n".join(lines), "<claimbridge mapping>", "exec")
    exec(code, namespace)  # noqa: S102 - generated from positions and namespace names only
    function: Callable[[Sequence[str]], tuple[Any, ...]] = namespace["mapped"]
    return function
