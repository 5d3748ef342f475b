"""The SQL a selection runs, built from a compiled policy: one pass that counts what each
criterion keeps out, one GROUP BY that finds the cases, and the items of those cases.

Candidates are the open items not yet in a case (of the policy's sources). An item is
selected when every criterion holds (the credit guard first). With `add_other_overdue_items`,
the debtor's other overdue candidates in the same currency join its case: they pass the credit
guard, are past their due date and meet `other_items_criteria`, and their debtor and currency
have at least one selected item.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from gateway.rules.criteria import Criterion
from gateway.rules.policy import CompiledPolicy
from gateway.rules.sql import ItemTables, criterion_sql
from gateway.storage.models import CaseItemRow, DebtorRow, OpenItemRow

__all__ = [
    "CriterionCount",
    "Group",
    "GroupKey",
    "SelectedItem",
    "count_exclusions",
    "find_groups",
    "selected_items",
]

GroupKey = tuple[str, str, str]  # source, debtor number, currency


@dataclass(frozen=True, slots=True)
class CriterionCount:
    """How many candidates fail a criterion (`failing`), and of those how many fail nothing
    else (`only`: the items this criterion alone keeps out; top level only)."""

    label: str
    depth: int
    failing: int
    only: int | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """Items of one debtor in one currency that would make a case."""

    source: str
    debtor_number: str
    currency: str
    items: int
    joined: int  # of `items`, those that joined as the debtor's other overdue items
    total_minor: int
    oldest_due: date
    debtor_name: str
    country: str
    debtor_type: str
    segment: str

    @property
    def key(self) -> GroupKey:
        return (self.source, self.debtor_number, self.currency)


@dataclass(frozen=True, slots=True)
class SelectedItem:
    """An item of a case to be made, in payment order within its group."""

    item_id: int
    group: GroupKey
    open_amount_minor: int
    net_due_date: date
    company_code: str
    document_number: str
    fiscal_year: int
    line_item: str
    last_dunning_date: date | None
    dunning_level: int
    selected: bool  # False: joined as another overdue item of the debtor


def _candidates(policy: CompiledPolicy, item: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        item.is_open == true(),
        # The item id alone: the index answers without reading the table.
        ~select(CaseItemRow.item_id).where(CaseItemRow.item_id == item.id).exists(),
    ]
    if policy.config.sources is not None:
        conditions.append(item.source.in_(policy.config.sources))
    return conditions


def _all(criteria: Iterable[Criterion], tables: ItemTables) -> ColumnElement[bool]:
    return and_(true(), *(criterion_sql(c, tables) for c in criteria))


def _selection(
    policy: CompiledPolicy, as_of: date, item: Any = OpenItemRow
) -> tuple[ItemTables, ColumnElement[bool], ColumnElement[bool]]:
    """The tables to read, the candidates' condition, and the condition of the items that go
    into a case (selected or joining)."""
    tables = ItemTables.for_fields(policy.fields(), as_of, item)
    candidate = and_(*_candidates(policy, item))
    selected = _all(policy.criteria, tables)
    grouping = policy.config.grouping
    if not (grouping.add_other_overdue_items or grouping.net_credits):
        return tables, candidate, selected
    # The debtors (and currencies) with a selected item: a second look at the same table.
    inner_item = aliased(OpenItemRow)
    inner_tables = ItemTables.for_fields(policy.fields(), as_of, inner_item)
    debtors = inner_tables.join(
        select(inner_item.source, inner_item.debtor_number, inner_item.currency).select_from(
            inner_item
        )
    ).where(*_candidates(policy, inner_item), _all(policy.criteria, inner_tables))
    of_such_debtor = tuple_(item.source, item.debtor_number, item.currency).in_(debtors)
    included = [selected]
    if grouping.add_other_overdue_items:
        included.append(
            and_(
                criterion_sql(policy.criteria[0], tables),  # the credit guard
                item.net_due_date < as_of,
                _all(policy.other_items, tables),
                of_such_debtor,
            )
        )
    if grouping.net_credits:
        # the debtor's open credits: the case claims what is owed net of them
        included.append(and_(item.open_amount_minor < 0, of_such_debtor))
    return tables, candidate, or_(*included)


def count_exclusions(
    session: Session, policy: CompiledPolicy, as_of: date
) -> tuple[int, int, list[CriterionCount]]:
    """(candidates, candidates passing every criterion, counts per criterion: each
    top-level criterion and, indented, the parts of its groups)."""
    tables = ItemTables.for_fields(policy.fields(), as_of)
    nodes = [(depth, node) for top in policy.criteria for depth, node in top.walk()]
    conditions = {id(node): criterion_sql(node, tables) for _, node in nodes}
    tops = [conditions[id(c)] for c in policy.criteria]

    def fails(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 0), else_=1)), 0)

    def only(i: int) -> Any:
        others = [c for j, c in enumerate(tops) if j != i]
        return func.coalesce(
            func.sum(case((and_(~tops[i], *others), 1), else_=0)),
            0,
        )

    columns = [
        func.count(),
        func.coalesce(func.sum(case((and_(*tops), 1), else_=0)), 0),
        *(fails(conditions[id(node)]) for _, node in nodes),
        *(only(i) for i in range(len(tops))),
    ]
    query = tables.join(select(*columns).select_from(OpenItemRow)).where(
        *_candidates(policy, OpenItemRow)
    )
    row = session.execute(query).one()
    failing = row[2 : 2 + len(nodes)]
    only_counts = row[2 + len(nodes) :]
    top_ids = {id(c): n for n, c in enumerate(policy.criteria)}
    counts = [
        CriterionCount(
            node.label,
            depth,
            int(failing[n]),
            int(only_counts[top_ids[id(node)]]) if depth == 0 else None,
        )
        for n, (depth, node) in enumerate(nodes)
    ]
    return int(row[0]), int(row[1]), counts


def find_groups(session: Session, policy: CompiledPolicy, as_of: date) -> list[Group]:
    """Every debtor and currency with items for a case, largest total first."""
    tables, candidate, included = _selection(policy, as_of)
    item = OpenItemRow
    joined: Any = literal(0)
    grouping = policy.config.grouping
    if grouping.add_other_overdue_items or grouping.net_credits:
        joined = func.sum(case((_all(policy.criteria, tables), 0), else_=1))
    grouped = (
        tables.join(
            select(
                item.source.label("source"),
                item.debtor_number.label("debtor_number"),
                item.currency.label("currency"),
                func.count().label("item_count"),
                joined.label("joined"),
                func.sum(item.open_amount_minor).label("total"),
                func.min(item.net_due_date).label("oldest_due"),
            ).select_from(item)
        )
        .where(candidate, included)
        .group_by(item.source, item.debtor_number, item.currency)
        # credits netted in may leave nothing to claim
        .having(func.sum(item.open_amount_minor) > 0)
        .subquery("groups")
    )
    debtor = aliased(DebtorRow)
    g = grouped.c
    query = (
        select(
            g.source,
            g.debtor_number,
            g.currency,
            g.item_count,
            g.joined,
            g.total,
            g.oldest_due,
            func.coalesce(debtor.name, ""),
            func.coalesce(debtor.country, ""),
            func.coalesce(debtor.kind, ""),
            func.coalesce(debtor.segment, ""),
        )
        .select_from(grouped)
        .outerjoin(debtor, and_(debtor.source == g.source, debtor.number == g.debtor_number))
        .order_by(g.total.desc(), g.source, g.debtor_number, g.currency)
    )
    # PostgreSQL sums integers as numeric: every figure is read back as an int.
    return [
        Group(
            source,
            debtor_number,
            currency,
            int(items),
            int(joined),
            int(total),
            oldest_due,
            name,
            country,
            kind,
            segment,
        )
        for (
            source,
            debtor_number,
            currency,
            items,
            joined,
            total,
            oldest_due,
            name,
            country,
            kind,
            segment,
        ) in session.execute(query)
    ]


# Up to this many groups, the query asks for exactly their items; beyond, it reads every
# included item and keeps those of the groups (one scan instead of a huge IN list).
_KEYS_IN_SQL = 500


def selected_items(
    session: Session, policy: CompiledPolicy, as_of: date, keys: set[GroupKey]
) -> Iterator[SelectedItem]:
    """The items of the groups `keys`, in payment order: by group, then net due date and key."""
    tables, candidate, included = _selection(policy, as_of)
    item = OpenItemRow
    if not keys:
        return
    if len(keys) <= _KEYS_IN_SQL:
        candidate = and_(
            candidate, tuple_(item.source, item.debtor_number, item.currency).in_(sorted(keys))
        )
    query = tables.join(
        select(
            item.id,
            item.source,
            item.debtor_number,
            item.currency,
            item.open_amount_minor,
            item.net_due_date,
            item.company_code,
            item.document_number,
            item.fiscal_year,
            item.line_item,
            item.last_dunning_date,
            item.dunning_level,
            _all(policy.criteria, tables),
        ).select_from(item)
    ).where(candidate, included)
    query = query.order_by(
        item.source,
        item.debtor_number,
        item.currency,
        item.net_due_date,
        item.company_code,
        item.document_number,
        item.fiscal_year,
        item.line_item,
    )
    for row in session.execute(query):
        group = (row[1], row[2], row[3])
        if group in keys:
            yield SelectedItem(
                row[0],
                group,
                row[4],
                row[5],
                row[6],
                row[7],
                row[8],
                row[9],
                row[10],
                row[11],
                bool(row[12]),
            )
