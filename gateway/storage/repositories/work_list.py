"""Accounting's work list: cases with their debtor, filtered, sorted, and cut into keyset pages.

A page is cut after the last row of the previous one by the sort key and the case id (a
"cursor"), never by an offset: page 1,000 costs what page 1 costs, and a case that changes while
someone pages through does not make another jump pages.

Amounts of different currencies are compared in hundredths of their unit (1 JPY = 100, 1 EUR
= 100 cents, 1 KWD = 100 of its 1,000 fils), so that "at least 5,000" means 5,000 of each case's
own currency, whatever its decimals.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from babel.numbers import get_currency_precision, list_currencies
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from gateway.storage.models import CaseApprovalRow, CaseItemRow, CaseRow, DebtorRow, OpenItemRow

__all__ = ["CaseLine", "Sort", "WorkList", "WorkListQuery"]

_FAR_FUTURE = date(9999, 12, 31)


class Sort(enum.StrEnum):
    NEWEST = "newest"  # the newest case first
    AMOUNT = "amount"  # the largest first
    AGE = "age"  # the oldest debt (net due date of the oldest item) first
    DEBTOR = "debtor"  # by debtor name


@dataclass(frozen=True, slots=True)
class WorkListQuery:
    states: Sequence[str] = ()
    agency: str | None = None
    currency: str | None = None
    company_code: str | None = None
    segment: str | None = None
    min_hundredths: int | None = None  # amount handed over, in hundredths of the unit
    max_hundredths: int | None = None
    due_on_or_before: date | None = None  # age at least N days: oldest due date ≤ today − N
    due_on_or_after: date | None = None  # age at most N days
    search: str | None = None  # reference, debtor number or name, document number
    sort: Sort = Sort.NEWEST
    after: tuple[Any, int] | None = None  # (sort value, case id) of the previous page's last row
    limit: int = 50


@dataclass(frozen=True, slots=True)
class CaseLine:
    case: CaseRow
    debtor_name: str
    segment: str
    sort_value: Any  # for the next page's cursor
    approvers: list[str] = field(default_factory=list)
    items: int = 0


@cache
def _scales() -> tuple[tuple[str, ...], tuple[tuple[int, tuple[str, ...]], ...]]:
    """Currencies with no decimals, and those with more than two grouped by their digits."""
    by_digits: dict[int, list[str]] = {}
    for code in list_currencies():
        by_digits.setdefault(int(get_currency_precision(code)), []).append(code)
    zero = tuple(sorted(by_digits.get(0, [])))
    more = tuple((d, tuple(sorted(c))) for d, c in sorted(by_digits.items()) if d > 2)
    return zero, more


def hundredths(
    minor: InstrumentedAttribute[int], currency: InstrumentedAttribute[str]
) -> ColumnElement[int]:
    """`minor` units of `currency` as hundredths of its unit (exact for ≤ 2 decimals)."""
    zero, more = _scales()
    whens: list[tuple[ColumnElement[bool], ColumnElement[int]]] = [
        (currency.in_(zero), minor * 100)
    ]
    for digits, codes in more:
        whens.append((currency.in_(codes), minor // (10 ** (digits - 2))))
    return cast(case(*whens, else_=minor), BigInteger)


class WorkList:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _sort(self, sort: Sort) -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], bool]:
        """The sort key and whether it descends (the case id breaks ties the same way)."""
        if sort is Sort.AMOUNT:
            return hundredths(CaseRow.handed_over_minor, CaseRow.currency), True
        if sort is Sort.AGE:
            return func.coalesce(CaseRow.oldest_due_date, literal(_FAR_FUTURE)), False
        if sort is Sort.DEBTOR:
            return func.coalesce(DebtorRow.name, literal("")), False
        return CaseRow.id, True

    def query(self, where: WorkListQuery) -> Select[Any]:
        """The page's rows: (case, debtor name, segment, sort value).

        Cut in two steps: the ids of the page are found first, sorting only (sort key, id)
        pairs, then their rows are read. Sorting whole case rows of tens of thousands of
        waiting cases to keep 51 of them costs twice as much on both databases."""
        key, descending = self._sort(where.sort)
        debtor = and_(DebtorRow.source == CaseRow.source, DebtorRow.number == CaseRow.debtor_number)
        ids = select(CaseRow.id.label("id"), key.label("sort_key")).select_from(CaseRow)
        if where.sort is Sort.DEBTOR or where.segment:
            ids = ids.outerjoin(DebtorRow, debtor)
        conditions: list[ColumnElement[bool]] = []
        if where.states:
            conditions.append(CaseRow.state.in_(list(where.states)))
        if where.agency:
            conditions.append(CaseRow.agency == where.agency)
        if where.currency:
            conditions.append(CaseRow.currency == where.currency)
        if where.segment:
            conditions.append(DebtorRow.segment == where.segment)
        if where.company_code:
            conditions.append(
                CaseRow.id.in_(self._cases_with(OpenItemRow.company_code, where.company_code))
            )
        amount = hundredths(CaseRow.handed_over_minor, CaseRow.currency)
        if where.min_hundredths is not None:
            conditions.append(amount >= where.min_hundredths)
        if where.max_hundredths is not None:
            conditions.append(amount <= where.max_hundredths)
        if where.due_on_or_before is not None:
            conditions.append(CaseRow.oldest_due_date <= where.due_on_or_before)
        if where.due_on_or_after is not None:
            conditions.append(CaseRow.oldest_due_date >= where.due_on_or_after)
        if where.search:
            conditions.append(self._matching(where.search))
        if where.after is not None:
            value, case_id = where.after
            if where.sort is Sort.NEWEST:
                conditions.append(CaseRow.id < case_id)
            elif descending:
                conditions.append(or_(key < value, and_(key == value, CaseRow.id < case_id)))
            else:
                conditions.append(or_(key > value, and_(key == value, CaseRow.id > case_id)))
        if where.sort is Sort.NEWEST:
            order = [CaseRow.id.desc()]
        elif descending:
            order = [key.desc(), CaseRow.id.desc()]
        else:
            order = [key.asc(), CaseRow.id.asc()]
        page = ids.where(*conditions).order_by(*order).limit(where.limit).subquery()
        if where.sort is Sort.NEWEST:
            again = [CaseRow.id.desc()]
        elif descending:
            again = [page.c.sort_key.desc(), CaseRow.id.desc()]
        else:
            again = [page.c.sort_key.asc(), CaseRow.id.asc()]
        return (
            select(CaseRow, DebtorRow.name, DebtorRow.segment, page.c.sort_key)
            .join(page, page.c.id == CaseRow.id)
            .outerjoin(DebtorRow, debtor)
            .order_by(*again)
        )

    @staticmethod
    def _cases_with(column: Any, value: str) -> Select[Any]:
        return (
            select(CaseItemRow.case_id)
            .join(OpenItemRow, OpenItemRow.id == CaseItemRow.item_id)
            .where(column == value)
        )

    def _matching(self, text: str) -> ColumnElement[bool]:
        """Cases whose reference, debtor number, debtor name (a part of it, any case) or one
        of whose documents is `text`: the ids of each kind are found on their own (each by its
        own index or one scan) and united, which both databases plan far better than one OR
        over the joined rows."""
        text = text.strip()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # the debtors first (one scan of their names), then their cases by the index
        named = select(CaseRow.id).where(
            tuple_(CaseRow.source, CaseRow.debtor_number).in_(
                select(DebtorRow.source, DebtorRow.number).where(
                    func.lower(DebtorRow.name).like(f"%{escaped.lower()}%", escape="\\")
                )
            )
        )
        branches: list[Select[Any]] = [named]
        if not any(c.isspace() for c in text):
            # references, debtor and document numbers have no blanks: a text with blanks is
            # only looked for in names, which spares a scan of the items
            branches += [
                select(CaseRow.id).where(CaseRow.reference == text.upper()),
                select(CaseRow.id).where(CaseRow.debtor_number == text),
                self._cases_with(OpenItemRow.document_number, text),
            ]
        ids = union(*branches)
        return CaseRow.id.in_(select(ids.subquery().c[0]))

    def page(self, where: WorkListQuery) -> list[CaseLine]:
        """Up to `limit` lines, with each case's approvers and number of items."""
        rows = self.session.execute(self.query(where)).all()
        ids = [row[0].id for row in rows]
        approvers: dict[int, list[str]] = {}
        items: dict[int, int] = {}
        if ids:
            for case_id, approver in self.session.execute(
                select(CaseApprovalRow.case_id, CaseApprovalRow.approver)
                .where(CaseApprovalRow.case_id.in_(ids))
                .order_by(CaseApprovalRow.id)
            ):
                approvers.setdefault(case_id, []).append(approver)
            for case_id, count in self.session.execute(
                select(CaseItemRow.case_id, func.count())
                .where(CaseItemRow.case_id.in_(ids))
                .group_by(CaseItemRow.case_id)
            ):
                items[case_id] = int(count)
        return [
            CaseLine(
                case=row[0],
                debtor_name=row[1] or "",
                segment=row[2] or "",
                sort_value=row[3],
                approvers=approvers.get(row[0].id, []),
                items=items.get(row[0].id, 0),
            )
            for row in rows
        ]
