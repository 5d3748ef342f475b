"""/v1/payments: incoming bank payments listed for accounting (they concern a case but could
not be applied, or point to several cases), and those applied, with the reason for each."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.api.deps import ReadSession
from gateway.api.security import AccountingUser
from gateway.domain.money import minor_to_decimal
from gateway.storage.repositories.bank_payments import LISTED, BankPayments

__all__ = ["router"]

router = APIRouter(prefix="/v1/payments", tags=["bank payments (accounting)"])

Status = Literal["matched", "unmatched", "ambiguous", "unrelated"]


class BankPayment(BaseModel):
    """An incoming payment from a bank statement. `amount` is a decimal string."""

    id: int
    bank: str
    payment_id: str
    booked_on: date
    amount: str
    currency: str
    debtor_name: str
    debtor_account: str
    structured_reference: str
    remittance_text: str
    status: Status
    reason: str
    case_reference: str | None


@router.get("", summary="Bank payments (default: those listed for accounting)")
def list_payments(
    session: ReadSession,
    _user: AccountingUser,
    status: Annotated[list[Status] | None, Query()] = None,
    bank: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[BankPayment]:
    found = BankPayments(session).search(status or list(LISTED), bank, limit)
    return [
        BankPayment(
            id=p.id,
            bank=p.bank,
            payment_id=p.payment_id,
            booked_on=p.booked_on,
            amount=str(minor_to_decimal(p.amount_minor, p.currency)),
            currency=p.currency,
            debtor_name=p.debtor_name,
            debtor_account=p.debtor_account,
            structured_reference=p.structured_reference,
            remittance_text=p.remittance_text,
            status=p.status,
            reason=p.reason,
            case_reference=reference,
        )
        for p, reference in found
    ]
