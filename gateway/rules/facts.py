"""What a criterion reads in Python: an item with its debtor, or a case.

`ITEM_VALUES` and `CASE_VALUES` give, per field of gateway.rules.fields, the value a Python
predicate compares, and how an explanation shows it. The SQL side (gateway.rules.sql) reads
the same columns; tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.domain.money import currency_digits

__all__ = ["CASE_VALUES", "ITEM_VALUES", "CaseFacts", "FieldValue", "ItemFacts"]


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """An open item as a policy sees it, on the run's date."""

    item_id: int
    key: str  # source:company/document/year/line
    source: str
    currency: str
    open_amount_minor: int
    dunning_level: int
    net_due_date: date
    last_dunning_date: date | None
    company_code: str
    document_type: str
    debtor_number: str
    dunning_block: str
    disputed: bool
    payment_promised_until: date | None
    country: str  # the debtor's; "" when the source has no debtor record
    debtor_type: str
    segment: str
    debtor_overdue_total_minor: int
    already_at_agency: bool
    risk_score: int | None = None  # the debtor's stored score (gateway.kpi.behaviour)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """A case about to be made (for routing)."""

    debtor_number: str
    currency: str
    case_total_minor: int
    item_count: int
    max_days_overdue: int
    country: str
    debtor_type: str
    segment: str


@dataclass(frozen=True, slots=True)
class FieldValue:
    """How to read one field: `get` gives the compared value (minor units for amounts, None
    when there is none), `show` the value as an explanation prints it."""

    get: Callable[[Any, date], Any]
    show: Callable[[Any, date], str]


def _money(minor: int, currency: str) -> str:
    """As `str(Money(minor, currency))`, without going through Decimal (explanations print
    thousands of amounts)."""
    digits = currency_digits(currency)
    if digits == 0:
        return f"{minor} {currency}"
    whole, part = divmod(abs(minor), 10**digits)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{digits}d} {currency}"


def _days(at: date | None, as_of: date) -> int | None:
    return None if at is None else (as_of - at).days


def _attr(name: str) -> FieldValue:
    def get(facts: Any, _as_of: date) -> Any:
        return getattr(facts, name)

    def show(facts: Any, _as_of: date) -> str:
        value = getattr(facts, name)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "(none)" if value == "" else str(value)

    return FieldValue(get, show)


def _show_overdue(f: ItemFacts, as_of: date) -> str:
    return f"{(as_of - f.net_due_date).days} days (due {f.net_due_date})"


def _show_last_dunning(f: ItemFacts, as_of: date) -> str:
    if f.last_dunning_date is None:
        return "never dunned"
    return f"{(as_of - f.last_dunning_date).days} days (last reminder {f.last_dunning_date})"


def _show_promise(f: ItemFacts, as_of: date) -> str:
    until = f.payment_promised_until
    if until is None:
        return "no promise"
    return f"promised until {until}" + (" (passed)" if until < as_of else "")


ITEM_VALUES: Mapping[str, FieldValue] = {
    "dunning_level": _attr("dunning_level"),
    "days_overdue": FieldValue(lambda f, d: (d - f.net_due_date).days, _show_overdue),
    "open_amount": FieldValue(
        lambda f, d: f.open_amount_minor, lambda f, d: _money(f.open_amount_minor, f.currency)
    ),
    "currency": _attr("currency"),
    "company_code": _attr("company_code"),
    "document_type": _attr("document_type"),
    "debtor_number": _attr("debtor_number"),
    "country": _attr("country"),
    "debtor_type": _attr("debtor_type"),
    "segment": _attr("segment"),
    "disputed": _attr("disputed"),
    "dunning_block": _attr("dunning_block"),
    "payment_promised": FieldValue(
        lambda f, d: f.payment_promised_until is not None and f.payment_promised_until >= d,
        _show_promise,
    ),
    "already_at_agency": _attr("already_at_agency"),
    "days_since_last_dunning": FieldValue(
        lambda f, d: _days(f.last_dunning_date, d), _show_last_dunning
    ),
    "debtor_overdue_total": FieldValue(
        lambda f, d: f.debtor_overdue_total_minor,
        lambda f, d: _money(f.debtor_overdue_total_minor, f.currency),
    ),
    "risk_score": FieldValue(
        lambda f, d: f.risk_score,
        lambda f, d: "no score" if f.risk_score is None else f"{f.risk_score} points",
    ),
}

CASE_VALUES: Mapping[str, FieldValue] = {
    "case_total": FieldValue(
        lambda f, d: f.case_total_minor, lambda f, d: _money(f.case_total_minor, f.currency)
    ),
    "currency": _attr("currency"),
    "item_count": _attr("item_count"),
    "max_days_overdue": _attr("max_days_overdue"),
    "debtor_number": _attr("debtor_number"),
    "country": _attr("country"),
    "debtor_type": _attr("debtor_type"),
    "segment": _attr("segment"),
}
