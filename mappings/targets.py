"""The canonical layouts a mapping reads or writes, per mapping kind.

Inbound kinds (`open_items`, `agency_events`) map input columns *to* these targets: every
target has a type, and the engine converts and checks the mapped value against it (so an ISO
date or a plain amount needs no step at all). Outbound kinds (`handover`, `writeback`,
`notices`) map *from* these canonical fields to the columns of a file.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from babel import Locale

from gateway.domain.actions import ActionKind
from gateway.domain.currencies import currency_problem
from gateway.domain.events import AGENCY_STATUS_KINDS, EventKind
from mappings.errors import FieldError

__all__ = ["KINDS", "WRITEBACK_ACTIONS", "MappingKind", "Target", "TargetType"]


class MappingKind(enum.StrEnum):
    OPEN_ITEMS = "open_items"
    AGENCY_EVENTS = "agency_events"
    HANDOVER = "handover"
    WRITEBACK = "writeback"
    NOTICES = "notices"
    SALES = "sales"
    BANK_PAYMENTS = "bank_payments"

    @property
    def inbound(self) -> bool:
        return self in (
            MappingKind.OPEN_ITEMS,
            MappingKind.AGENCY_EVENTS,
            MappingKind.BANK_PAYMENTS,
            MappingKind.SALES,
        )


class TargetType(enum.StrEnum):
    TEXT = "text"
    INT = "int"
    DATE = "date"
    DATETIME = "datetime"
    DECIMAL = "decimal"
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    type: TargetType
    doc: str
    required: bool = False
    default: Any = None
    check: Callable[[Any], Any] | None = None


@cache
def _territories() -> frozenset[str]:
    return frozenset(str(code) for code in Locale("en").territories if str(code).isalpha())


def _currency(value: Any) -> Any:
    code = value.strip().upper()
    problem = currency_problem(code)
    if problem is not None:
        raise FieldError(problem, value)
    return code


def _country(value: Any) -> Any:
    code = value.strip().upper()
    if not code:
        return ""
    if len(code) != 2 or code not in _territories():
        raise FieldError("not an ISO 3166 alpha-2 country code (such as DE, FR)", value)
    return code


def _debtor_kind(value: Any) -> Any:
    kind = value.strip().lower()
    if kind not in ("person", "company"):
        raise FieldError("debtor kind must be 'person' or 'company' (use a lookup step)", value)
    return kind


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: Any) -> Any:
    address = value.strip()
    if address and not _EMAIL.match(address):
        raise FieldError("not an e-mail address", value)
    return address


def _non_negative(value: Any) -> Any:
    if value < 0:
        raise FieldError("must not be negative", value)
    return value


_AGENCY_KINDS = sorted(
    k.value
    for k in (
        *AGENCY_STATUS_KINDS,
        EventKind.MESSAGE,
        EventKind.PAYMENT,
        EventKind.PAYMENT_REVERSAL,
        EventKind.PROMISE,
    )
)


def _event_kind(value: Any) -> Any:
    kind = value.strip().lower()
    if kind not in _AGENCY_KINDS:
        raise FieldError(
            f"not an event kind (expected one of {', '.join(_AGENCY_KINDS)}; "
            "translate agency codes with a lookup step)",
            value,
        )
    return kind


def _recipient(value: Any) -> Any:
    who = value.strip().lower()
    if who not in ("agency", "creditor"):
        raise FieldError("payment recipient must be 'agency' or 'creditor'", value)
    return who


_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


def _month(value: Any) -> Any:
    """A month as YYYY-MM (or any day of it, YYYY-MM-DD): its first day."""
    found = _MONTH.match(str(value))
    try:
        if found is None:
            raise ValueError
        day = date(int(found[1]), int(found[2]), int(found[3] or 1))
    except ValueError:
        raise FieldError(
            "not a month (expected YYYY-MM, or a date YYYY-MM-DD in it)", value
        ) from None
    return day.replace(day=1)


T = TargetType

OPEN_ITEM_TARGETS: tuple[Target, ...] = (
    Target("company_code", T.TEXT, "company code (SAP BUKRS)", required=True),
    Target("document_number", T.TEXT, "accounting document number", required=True),
    Target("fiscal_year", T.INT, "fiscal year; defaults to the document date's year"),
    Target("line_item", T.TEXT, "line item within the document", default=""),
    Target("debtor_number", T.TEXT, "customer number", required=True),
    Target("document_date", T.DATE, "document (invoice) date", required=True),
    Target("posting_date", T.DATE, "posting date; defaults to the document date"),
    Target("net_due_date", T.DATE, "net due date (compute it for SAP)", required=True),
    Target("currency", T.TEXT, "ISO 4217 currency", required=True, check=_currency),
    Target("open_amount", T.DECIMAL, "amount still unpaid (negative: credit)", required=True),
    Target("amount", T.DECIMAL, "original amount of the line; defaults to the open amount"),
    Target("dunning_level", T.INT, "last dunning level reached", default=0, check=_non_negative),
    Target("last_dunning_date", T.DATE, "date of the last dunning notice"),
    Target("dunning_block", T.TEXT, "dunning block code (SAP MANSP), empty if none", default=""),
    Target("disputed", T.BOOL, "the debtor disputes the item", default=False),
    Target("payment_promised_until", T.DATE, "the debtor promised to pay by this date"),
    Target("reference", T.TEXT, "invoice reference the debtor knows", default=""),
    Target("document_type", T.TEXT, "document type (SAP BLART)", default=""),
    Target("text", T.TEXT, "item text", default=""),
    Target(
        "applies_to_document",
        T.TEXT,
        "the document this line applies to (a partial payment or credit memo referring to an "
        "invoice: SAP REBZG/INV_REF); empty: an item of its own",
        default="",
    ),
    Target("applies_to_year", T.INT, "fiscal year of that document (default: this line's)"),
    Target("applies_to_line", T.TEXT, "line item of that document", default=""),
    Target("debtor_name", T.TEXT, "debtor name", required=True),
    Target("debtor_name2", T.TEXT, "second name line", default=""),
    Target("debtor_kind", T.TEXT, "'person' or 'company'", default="company", check=_debtor_kind),
    Target("debtor_vat_id", T.TEXT, "VAT number", default=""),
    Target("debtor_registration", T.TEXT, "company registration number", default=""),
    Target("debtor_street", T.TEXT, "street and number", default=""),
    Target("debtor_postal_code", T.TEXT, "postal code", default=""),
    Target("debtor_city", T.TEXT, "city", default=""),
    Target("debtor_country", T.TEXT, "ISO 3166 alpha-2 country", default="", check=_country),
    Target("debtor_email", T.TEXT, "e-mail", default=""),
    Target("debtor_phone", T.TEXT, "phone", default=""),
    Target("debtor_language", T.TEXT, "preferred language (ISO 639-1)", default=""),
    Target("debtor_segment", T.TEXT, "segment: VIP, strategic, small...", default=""),
    Target(
        "debtor_sales_rep",
        T.TEXT,
        "e-mail address of the account's sales rep (notified of its cases)",
        default="",
        check=_email,
    ),
)

AGENCY_EVENT_TARGETS: tuple[Target, ...] = (
    Target("event_id", T.TEXT, "the agency's own id of the event", required=True),
    Target("case_reference", T.TEXT, "the case's external reference", required=True),
    Target("occurred_at", T.DATETIME, "when it happened at the agency", required=True),
    Target("kind", T.TEXT, "canonical event kind", required=True, check=_event_kind),
    Target("amount", T.DECIMAL, "payment: what the debtor paid"),
    Target("principal", T.DECIMAL, "payment: share of principal"),
    Target("interest", T.DECIMAL, "payment: share of interest"),
    Target("fees", T.DECIMAL, "payment: share of fees"),
    Target("commission", T.DECIMAL, "payment: the agency's commission"),
    Target("currency", T.TEXT, "payment currency (must be the case's)", check=_currency),
    Target(
        "recipient",
        T.TEXT,
        "who received a payment: 'agency' or 'creditor'",
        default="agency",
        check=_recipient,
    ),
    Target("note", T.TEXT, "free text from the agency", default=""),
    Target("due_on", T.DATE, "promise: the day the debtor promised to pay the amount by"),
)

SALES_TARGETS: tuple[Target, ...] = (
    Target(
        "period",
        T.TEXT,
        "the month of the sales: YYYY-MM (or a day in it)",
        required=True,
        check=_month,
    ),
    Target("company_code", T.TEXT, "company code (SAP BUKRS)", required=True),
    Target("currency", T.TEXT, "ISO 4217 currency", required=True, check=_currency),
    Target(
        "amount",
        T.DECIMAL,
        "credit sales of the month (invoiced on credit, net of credit notes)",
        required=True,
    ),
)


def _direction(value: Any) -> Any:
    direction = value.strip().lower()
    if direction not in ("credit", "debit"):
        raise FieldError("direction must be 'credit' or 'debit' (use a lookup step)", value)
    return direction


def _positive(value: Any) -> Any:
    if value <= 0:
        raise FieldError("must be more than zero", value)
    return value


# Incoming payments on the creditor's bank account (camt.053 / camt.054 and the like).
BANK_PAYMENT_TARGETS: tuple[Target, ...] = (
    Target(
        "payment_id",
        T.TEXT,
        "the bank's id of the payment (the same id twice is one payment)",
        required=True,
    ),
    Target("booked_on", T.DATE, "booking date", required=True),
    Target("value_date", T.DATE, "value date"),
    Target("amount", T.DECIMAL, "amount, positive", required=True, check=_positive),
    Target("currency", T.TEXT, "ISO 4217 currency", required=True, check=_currency),
    Target(
        "direction", T.TEXT, "'credit' (incoming) or 'debit'", default="credit", check=_direction
    ),
    Target("booked", T.BOOL, "booked (not pending or for information)", default=True),
    Target("reversal", T.BOOL, "the bank reverses an earlier booking", default=False),
    Target("account", T.TEXT, "the creditor's account (IBAN) it was booked on", default=""),
    Target("debtor_name", T.TEXT, "who paid", default=""),
    Target("debtor_account", T.TEXT, "the payer's account (IBAN)", default=""),
    Target("structured_reference", T.TEXT, "creditor reference (ISO 11649 RF...)", default=""),
    Target("remittance_text", T.TEXT, "unstructured remittance information", default=""),
    Target("end_to_end_id", T.TEXT, "the payer's end-to-end id", default=""),
)

# Outbound: the canonical fields a mapping may read (name → what it is).
HANDOVER_CASE_FIELDS: Mapping[str, str] = {
    "batch_reference": "the handover batch's reference (also the file name stem)",
    "case_reference": "the case's stable external reference",
    "agency": "agency name",
    "currency": "case currency",
    "case_total": "sum of the items' open amounts (Decimal)",
    "case_interest": "interest claimed (Decimal)",
    "case_fees": "fees claimed (Decimal)",
    "item_count": "number of items in the case",
    "source": "source the items come from",
    "debtor_number": "customer number",
    "debtor_name": "name",
    "debtor_name2": "second name line",
    "debtor_kind": "person or company",
    "debtor_vat_id": "VAT number",
    "debtor_registration": "registration number",
    "debtor_street": "street",
    "debtor_postal_code": "postal code",
    "debtor_city": "city",
    "debtor_country": "ISO country",
    "debtor_email": "e-mail",
    "debtor_phone": "phone",
    "debtor_language": "language",
    "debtor_segment": "segment",
}
HANDOVER_ITEM_FIELDS: Mapping[str, str] = {
    "company_code": "company code",
    "document_number": "document number",
    "fiscal_year": "fiscal year",
    "line_item": "line item",
    "document_date": "document date",
    "posting_date": "posting date",
    "net_due_date": "net due date",
    "days_overdue": "days past the net due date at handover",
    "amount": "original amount (Decimal)",
    "open_amount": "open amount handed over (Decimal)",
    "currency": "currency",
    "dunning_level": "dunning level",
    "last_dunning_date": "last dunning date",
    "reference": "invoice reference",
    "document_type": "document type",
    "text": "item text",
    "disputed": "disputed flag",
}
WRITEBACK_FIELDS: Mapping[str, str] = {
    "action_id": "stable id of the action (deduplicate on it)",
    "action": "set_dunning_block, clear_dunning_block, add_note, record_status, post_payment",
    "source": "the source (ERP) the item belongs to",
    "debtor_number": "the item's debtor (customer number as the source gave it)",
    "company_code": "company code",
    "document_number": "document number",
    "fiscal_year": "fiscal year",
    "line_item": "line item",
    "case_reference": "case reference",
    "agency": "agency",
    "occurred_at": "when the event happened (date-time, UTC)",
    "dunning_block": "block code to set or clear",
    "status": "case state to record",
    "text": "note text",
    "amount": "payment: principal for this item (Decimal, negative for a reversal)",
    "interest": "payment: interest (Decimal)",
    "fees": "payment: fees (Decimal)",
    "commission": "payment: agency commission (Decimal)",
    "currency": "currency",
}
# The action kinds a writeback mapping's `calls` are keyed by.
WRITEBACK_ACTIONS: tuple[str, ...] = tuple(kind.value for kind in ActionKind)

NOTICE_FIELDS: Mapping[str, str] = {
    "notice_id": "stable id of the notice",
    "kind": "recall or direct_payment",
    "case_reference": "case reference",
    "agency": "agency",
    "occurred_at": "when it happened (date-time, UTC)",
    "amount": "direct payment amount (Decimal)",
    "currency": "currency",
    "company_code": "company code of the item, if the notice is about one item",
    "document_number": "document number of the item",
    "fiscal_year": "fiscal year of the item",
    "line_item": "line item",
    "note": "free text",
}


@dataclass(frozen=True, slots=True)
class KindLayout:
    """What a mapping of a kind maps to (inbound) or from (outbound)."""

    targets: tuple[Target, ...] = ()
    sections: Mapping[str, Mapping[str, str]] | None = None


KINDS: Mapping[MappingKind, KindLayout] = {
    MappingKind.OPEN_ITEMS: KindLayout(targets=OPEN_ITEM_TARGETS),
    MappingKind.AGENCY_EVENTS: KindLayout(targets=AGENCY_EVENT_TARGETS),
    MappingKind.SALES: KindLayout(targets=SALES_TARGETS),
    MappingKind.HANDOVER: KindLayout(
        sections={"case": HANDOVER_CASE_FIELDS, "item": HANDOVER_ITEM_FIELDS}
    ),
    MappingKind.WRITEBACK: KindLayout(sections={"fields": WRITEBACK_FIELDS}),
    MappingKind.NOTICES: KindLayout(sections={"fields": NOTICE_FIELDS}),
    MappingKind.BANK_PAYMENTS: KindLayout(targets=BANK_PAYMENT_TARGETS),
}
