"""The JSON bodies the `rest-push` channel sends: a case as the agency API contract's `Case`
shape (without the amounts collected, which the agency reports), and a notice.

Built from the same canonical records the handover and notices mappings read
(mappings.canonical), so a pushed case says what a handover file says. Amounts are decimal
strings in major units, dates ISO 8601.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gateway.domain.handover import AgencyNotice, HandoverBatch, HandoverCase
from mappings.canonical import case_record, item_record, notice_record

__all__ = ["case_body", "notice_body"]

_ITEM_FIELDS = (
    "company_code",
    "document_number",
    "fiscal_year",
    "line_item",
    "document_date",
    "net_due_date",
    "amount",
    "open_amount",
    "reference",
    "dunning_level",
    "last_dunning_date",
    "disputed",
)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def case_body(batch: HandoverBatch, case: HandoverCase) -> dict[str, Any]:
    """One case, ready to POST."""
    record = case_record(batch, case)
    debtor = {
        key.removeprefix("debtor_"): value
        for key, value in record.items()
        if key.startswith("debtor_")
    }
    items = []
    for item in case.items:
        fields = item_record(item, batch.as_of)
        items.append({name: _json(fields[name]) for name in _ITEM_FIELDS})
    return {
        "reference": case.reference,
        "batch": batch.reference,
        "state": "submitted",
        "currency": case.currency,
        "debtor": debtor,
        "items": items,
        "handed_over": _json(case.total.amount),
        "interest_claimed": _json(case.interest.amount),
        "fees_claimed": _json(case.fees.amount),
        "submitted_at": _json(batch.created_at),
    }


def notice_body(notice: AgencyNotice) -> dict[str, Any]:
    """One recall or direct-payment notice, ready to POST (the contract's `Notice`)."""
    record = notice_record(notice)
    record.pop("agency")
    return {key: _json(value) for key, value in record.items()}
