"""The first, simple handover policy: minimums and exclusions, each a named criterion.

Every criterion exists twice, from one definition: as SQL that selects (so selection runs in the
database, whatever the number of items) and as a Python check that explains, for one item, why
it was or was not selected, with the value and the threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, true

from gateway.config.model import PolicyConfig
from gateway.domain.money import Money, currency_digits, is_known_currency, to_minor
from gateway.storage.models import OpenItemRow

__all__ = ["Criterion", "Verdict", "explain", "policy_criteria", "threshold_minor"]


@dataclass(frozen=True, slots=True)
class Verdict:
    criterion: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Criterion:
    """A named condition: `sql` is true for items that pass, `check` explains one item."""

    name: str
    rule: str
    sql: ColumnElement[bool]
    check: Callable[[OpenItemRow], Verdict]


def threshold_minor(amount: Decimal | Mapping[str, Decimal], currency: str) -> int | None:
    """A minimum amount in minor units of `currency`; None when a per-currency table does not
    list it (no minimum for that currency)."""
    if isinstance(amount, Mapping):
        if currency not in amount:
            return None
        return to_minor(amount[currency], currency)
    value = amount.quantize(Decimal(1).scaleb(-currency_digits(currency)))
    return to_minor(value, currency)


def policy_criteria(policy: PolicyConfig, as_of: date, currencies: list[str]) -> list[Criterion]:
    """The criteria of `policy` on `as_of`, for items in `currencies`."""
    item = OpenItemRow
    found: list[Criterion] = [
        Criterion(
            "open amount",
            "open amount > 0",
            item.open_amount_minor > 0,
            lambda row: Verdict(
                "open amount",
                row.open_amount_minor > 0,
                f"{Money(row.open_amount_minor, row.currency)} (credits are not handed over)",
            ),
        )
    ]
    if policy.min_dunning_level:
        level = policy.min_dunning_level
        found.append(
            Criterion(
                "dunning level",
                f"dunning level ≥ {level}",
                item.dunning_level >= level,
                lambda row: Verdict(
                    "dunning level",
                    row.dunning_level >= level,
                    f"{row.dunning_level} (minimum {level})",
                ),
            )
        )
    if policy.min_days_overdue:
        days = policy.min_days_overdue
        latest_due = as_of - timedelta(days=days)
        found.append(
            Criterion(
                "days overdue",
                f"at least {days} days past the net due date",
                item.net_due_date <= latest_due,
                lambda row: Verdict(
                    "days overdue",
                    row.net_due_date <= latest_due,
                    f"{(as_of - row.net_due_date).days} days "
                    f"(due {row.net_due_date}, minimum {days})",
                ),
            )
        )
    minimums = {
        c: threshold_minor(policy.min_amount, c) or 0 for c in currencies if is_known_currency(c)
    }
    if any(minimums.values()):
        by_currency = case(
            *[(item.currency == c, item.open_amount_minor >= m) for c, m in minimums.items() if m],
            else_=true(),
        )

        def amount_check(row: OpenItemRow) -> Verdict:
            minimum = minimums.get(row.currency, 0)
            have = Money(row.open_amount_minor, row.currency)
            return Verdict(
                "minimum amount",
                row.open_amount_minor >= minimum,
                f"{have} (minimum {Money(minimum, row.currency)})",
            )

        found.append(
            Criterion("minimum amount", "open amount ≥ the minimum", by_currency, amount_check)
        )
    blocks = policy.exclude_dunning_blocks
    if blocks:
        any_block = "*" in blocks
        condition = item.dunning_block == "" if any_block else item.dunning_block.not_in(blocks)
        found.append(
            Criterion(
                "dunning block",
                "no dunning block" if any_block else f"dunning block not in {', '.join(blocks)}",
                condition,
                lambda row: Verdict(
                    "dunning block",
                    (row.dunning_block == "") if any_block else (row.dunning_block not in blocks),
                    f"block {row.dunning_block!r}" if row.dunning_block else "no block",
                ),
            )
        )
    if policy.exclude_disputed:
        found.append(
            Criterion(
                "dispute",
                "not disputed",
                item.disputed.is_(False),
                lambda row: Verdict(
                    "dispute", not row.disputed, "disputed" if row.disputed else "not disputed"
                ),
            )
        )
    return found


def explain(criteria: list[Criterion], row: OpenItemRow) -> list[Verdict]:
    """Why an item is or is not selected, criterion by criterion."""
    return [c.check(row) for c in criteria]


def all_of(criteria: list[Criterion]) -> ColumnElement[bool]:
    return and_(true(), *(c.sql for c in criteria))
