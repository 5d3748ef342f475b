"""Canonical records for outbound mappings: the dictionaries a `handover`, `writeback` or
`notices` mapping reads its fields from (names listed in mappings/targets.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from gateway.domain.actions import WriteBackAction
from gateway.domain.handover import AgencyNotice, HandoverBatch, HandoverCase
from gateway.domain.items import OpenItem
from gateway.domain.money import minor_to_decimal

__all__ = ["action_record", "case_record", "item_record", "notice_record"]


def action_record(action: WriteBackAction) -> dict[str, Any]:
    currency = action.currency
    payment = action.kind.value == "post_payment"

    def money(minor: int) -> Any:
        return minor_to_decimal(minor, currency) if payment and currency else None

    return {
        "action_id": action.action_id,
        "action": action.kind.value,
        "source": action.item.source,
        "debtor_number": action.debtor_number,
        "company_code": action.item.company_code,
        "document_number": action.item.document_number,
        "fiscal_year": action.item.fiscal_year,
        "line_item": action.item.line_item,
        "case_reference": action.case_reference,
        "agency": action.agency,
        "occurred_at": action.occurred_at,
        "dunning_block": action.dunning_block,
        "status": action.status,
        "text": action.text,
        "amount": money(action.amount),
        "interest": money(action.interest),
        "fees": money(action.fees),
        "commission": money(action.commission),
        "currency": currency if payment else "",
    }


def case_record(batch: HandoverBatch, case: HandoverCase) -> dict[str, Any]:
    debtor = case.debtor
    return {
        "batch_reference": batch.reference,
        "case_reference": case.reference,
        "agency": case.agency,
        "currency": case.currency,
        "case_total": case.total.amount,
        "case_interest": case.interest.amount,
        "case_fees": case.fees.amount,
        "item_count": len(case.items),
        "source": case.items[0].key.source if case.items else "",
        "debtor_number": debtor.number,
        "debtor_name": debtor.name,
        "debtor_name2": debtor.name2,
        "debtor_kind": debtor.kind.value,
        "debtor_vat_id": debtor.vat_id,
        "debtor_registration": debtor.registration,
        "debtor_street": debtor.street,
        "debtor_postal_code": debtor.postal_code,
        "debtor_city": debtor.city,
        "debtor_country": debtor.country,
        "debtor_email": debtor.email,
        "debtor_phone": debtor.phone,
        "debtor_language": debtor.language,
        "debtor_segment": debtor.segment,
    }


def item_record(item: OpenItem, as_of: date) -> dict[str, Any]:
    return {
        "company_code": item.key.company_code,
        "document_number": item.key.document_number,
        "fiscal_year": item.key.fiscal_year,
        "line_item": item.key.line_item,
        "document_date": item.document_date,
        "posting_date": item.posting_date,
        "net_due_date": item.net_due_date,
        "days_overdue": item.days_overdue(as_of),
        "amount": item.amount.amount,
        "open_amount": item.open_amount.amount,
        "currency": item.open_amount.currency,
        "dunning_level": item.dunning_level,
        "last_dunning_date": item.last_dunning_date,
        "reference": item.reference,
        "document_type": item.document_type,
        "text": item.text,
        "disputed": item.disputed,
    }


def notice_record(notice: AgencyNotice) -> dict[str, Any]:
    return {
        "notice_id": notice.notice_id,
        "kind": notice.kind.value,
        "case_reference": notice.case_reference,
        "agency": notice.agency,
        "occurred_at": notice.occurred_at,
        "amount": notice.amount.amount if notice.amount else None,
        "currency": notice.amount.currency if notice.amount else "",
        "company_code": notice.company_code,
        "document_number": notice.document_number,
        "fiscal_year": notice.fiscal_year,
        "line_item": notice.line_item,
        "note": notice.note,
    }
