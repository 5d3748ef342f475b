"""The closed list of fields a policy may test, and the operators each kind of field takes.

Two vocabularies: item fields select open items (each item with its debtor), case fields route
a case to an agency. Nothing outside these lists can be written in a policy: there is no
expression language and nothing is evaluated.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CASE_FIELDS",
    "ITEM_FIELDS",
    "OPERATORS",
    "FieldKind",
    "FieldSpec",
    "Op",
]


class FieldKind(enum.StrEnum):
    NUMBER = "number"  # a whole number: a dunning level, a count of days
    AMOUNT = "amount"  # money, compared in the item's (or case's) own currency
    TEXT = "text"  # a code: currency, company code, country, segment...
    CHOICE = "choice"  # a code from a closed list (person / company)
    FLAG = "flag"  # yes or no


class Op(enum.StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    MORE_THAN = "more_than"
    LESS_THAN = "less_than"
    BETWEEN = "between"
    IN = "in"
    NOT_IN = "not_in"
    EMPTY = "empty"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {
    Op.EQUALS: "=",
    Op.NOT_EQUALS: "≠",
    Op.AT_LEAST: "≥",
    Op.AT_MOST: "≤",
    Op.MORE_THAN: ">",
    Op.LESS_THAN: "<",
    Op.BETWEEN: "between",
    Op.IN: "in",
    Op.NOT_IN: "not in",
    Op.EMPTY: "empty",
}

OPERATORS: Mapping[FieldKind, tuple[Op, ...]] = {
    FieldKind.NUMBER: (
        Op.EQUALS,
        Op.NOT_EQUALS,
        Op.AT_LEAST,
        Op.AT_MOST,
        Op.MORE_THAN,
        Op.LESS_THAN,
        Op.BETWEEN,
        Op.IN,
        Op.NOT_IN,
    ),
    FieldKind.AMOUNT: (Op.AT_LEAST, Op.AT_MOST, Op.MORE_THAN, Op.LESS_THAN, Op.BETWEEN),
    FieldKind.TEXT: (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.EMPTY),
    FieldKind.CHOICE: (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN),
    FieldKind.FLAG: (Op.EQUALS,),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field a policy may test. `meaning` is written for accounting (docs, explanations)."""

    name: str
    kind: FieldKind
    label: str
    meaning: str
    choices: tuple[str, ...] = ()
    unit: str = ""
    upper: bool = False  # codes written in capitals (currency, country): compared as such


def _fields(*specs: FieldSpec) -> Mapping[str, FieldSpec]:
    return {s.name: s for s in specs}


_DEBTOR_TYPE = FieldSpec(
    "debtor_type",
    FieldKind.CHOICE,
    "debtor type",
    "person (a consumer: B2C) or company (a business: B2B)",
    choices=("person", "company"),
)
_COUNTRY = FieldSpec(
    "country", FieldKind.TEXT, "country", "the debtor's country (ISO code: DE, FR...)", upper=True
)
_SEGMENT = FieldSpec(
    "segment", FieldKind.TEXT, "segment", "the debtor's segment in the ERP (VIP, strategic...)"
)
_DEBTOR_NUMBER = FieldSpec(
    "debtor_number", FieldKind.TEXT, "debtor", "the customer number in the ERP"
)

ITEM_FIELDS: Mapping[str, FieldSpec] = _fields(
    FieldSpec(
        "dunning_level",
        FieldKind.NUMBER,
        "dunning level",
        "how many reminders the ERP's dunning run has sent for the item",
    ),
    FieldSpec(
        "days_overdue",
        FieldKind.NUMBER,
        "days overdue",
        "days since the net due date, on the date of the run (negative while not yet due)",
        unit="days",
    ),
    FieldSpec(
        "open_amount",
        FieldKind.AMOUNT,
        "open amount",
        "what is still unpaid on the item, in its own currency",
    ),
    FieldSpec("currency", FieldKind.TEXT, "currency", "the item's currency (ISO code)", upper=True),
    FieldSpec(
        "company_code",
        FieldKind.TEXT,
        "company code",
        "the company of the group that issued the invoice",
    ),
    FieldSpec(
        "document_type",
        FieldKind.TEXT,
        "document type",
        "the ERP's document type (e.g. DR invoice, DG credit memo)",
    ),
    _DEBTOR_NUMBER,
    _COUNTRY,
    _DEBTOR_TYPE,
    _SEGMENT,
    FieldSpec("disputed", FieldKind.FLAG, "disputed", "the item is marked as disputed in the ERP"),
    FieldSpec(
        "dunning_block",
        FieldKind.TEXT,
        "dunning block",
        "the dunning block code on the item (empty when there is none)",
    ),
    FieldSpec(
        "payment_promised",
        FieldKind.FLAG,
        "payment promised",
        "the debtor promised to pay and the promised date has not passed yet",
    ),
    FieldSpec(
        "already_at_agency",
        FieldKind.FLAG,
        "already at an agency",
        "the debtor already has a case that is not closed (proposed, approved, on hold or "
        "with an agency)",
    ),
    FieldSpec(
        "days_since_last_dunning",
        FieldKind.NUMBER,
        "days since the last reminder",
        "days since the last dunning date; an item never dunned has none and fails every "
        "condition on it",
        unit="days",
    ),
    FieldSpec(
        "debtor_overdue_total",
        FieldKind.AMOUNT,
        "debtor's total overdue",
        "everything the debtor owes past its due date in the item's currency: all its open "
        "items past their net due date, credits deducted, whether already in a case or not",
    ),
    FieldSpec(
        "risk_score",
        FieldKind.NUMBER,
        "debtor's risk score",
        "the debtor's payment-behaviour risk score from 0 (no sign of risk) to 100, as last "
        "computed (at each extraction; docs/kpis.md); a debtor without a score fails every "
        "condition on it",
        unit="points",
    ),
)

CASE_FIELDS: Mapping[str, FieldSpec] = _fields(
    FieldSpec(
        "case_total",
        FieldKind.AMOUNT,
        "case total",
        "the open amount of all the case's items, in the case currency",
    ),
    FieldSpec("currency", FieldKind.TEXT, "currency", "the case currency (ISO code)", upper=True),
    FieldSpec("item_count", FieldKind.NUMBER, "items", "how many items the case holds"),
    FieldSpec(
        "max_days_overdue",
        FieldKind.NUMBER,
        "oldest item's days overdue",
        "days overdue of the case's oldest item",
        unit="days",
    ),
    _DEBTOR_NUMBER,
    _COUNTRY,
    _DEBTOR_TYPE,
    _SEGMENT,
)
