"""The debtor sheet (360°): the debtor's master data, all their open items, all their cases past
and present, the payments on those cases and how the debtor pays.

Panels: the sheet ends with the panels of `DEBTOR_PANELS`, each a template and a function that
gives its context, so that later work (scores, promises to pay) adds a panel without touching
this page:

    DEBTOR_PANELS.append(DebtorPanel("debtor_scores.html", scores_of))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from gateway.domain.events import PAYMENT_KINDS, EventKind
from gateway.storage.models import CaseEventRow, CaseItemRow, CaseRow, DebtorRow, OpenItemRow
from gateway.web.auth import Reader, StoreDep
from gateway.web.render import render

__all__ = ["DEBTOR_PANELS", "DebtorPanel", "PaymentBehaviour", "router"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class DebtorPanel:
    """A panel at the end of the debtor sheet: `template` is drawn with `context(session,
    source, number)` as `panel`."""

    template: str
    context: Callable[[Session, str, str], Any]


DEBTOR_PANELS: list[DebtorPanel] = []


@dataclass
class PaymentBehaviour:
    """How the debtor paid on their cases, per currency (minor units)."""

    currency: str
    handed_over: int = 0
    collected: int = 0
    paid_directly: int = 0
    written_off: int = 0
    cases: int = 0
    closed: int = 0
    closed_paid: int = 0  # closed paid by the agency or directly
    days_to_first_payment: list[int] = field(default_factory=list)

    @property
    def recovered_percent(self) -> int | None:
        if not self.handed_over:
            return None
        return round(100 * (self.collected + self.paid_directly) / self.handed_over)

    @property
    def median_days_to_first_payment(self) -> int | None:
        days = sorted(self.days_to_first_payment)
        return days[len(days) // 2] if days else None


def _behaviour(cases: list[CaseRow], first_payment: dict[int, date]) -> list[PaymentBehaviour]:
    by_currency: dict[str, PaymentBehaviour] = {}
    for case in cases:
        b = by_currency.setdefault(case.currency, PaymentBehaviour(case.currency))
        b.cases += 1
        b.handed_over += case.handed_over_minor
        b.collected += case.collected_principal_minor
        b.paid_directly += case.paid_directly_minor
        b.written_off += case.written_off_minor
        if case.closed_at is not None:
            b.closed += 1
            if case.state in ("closed_paid", "closed_paid_directly"):
                b.closed_paid += 1
        paid = first_payment.get(case.id)
        if paid is not None and case.submitted_at is not None:
            b.days_to_first_payment.append(max((paid - case.submitted_at.date()).days, 0))
    return sorted(by_currency.values(), key=lambda b: b.currency)


@router.get("/ui/debtors/{source}/{number}")
def debtor_sheet(
    source: str, number: str, request: Request, user: Reader, store: StoreDep
) -> HTMLResponse:
    with store.unit_of_work(read_only=True) as session:
        debtor = session.scalars(
            select(DebtorRow).where(DebtorRow.source == source, DebtorRow.number == number)
        ).first()
        cases = list(
            session.scalars(
                select(CaseRow)
                .where(CaseRow.source == source, CaseRow.debtor_number == number)
                .order_by(CaseRow.id.desc())
            )
        )
        if debtor is None and not cases:
            raise HTTPException(404, f"no debtor {number} in {source}")
        items = list(
            session.scalars(
                select(OpenItemRow)
                .where(
                    OpenItemRow.source == source,
                    OpenItemRow.debtor_number == number,
                    OpenItemRow.is_open.is_(True),
                )
                .order_by(OpenItemRow.net_due_date, OpenItemRow.id)
            )
        )
        in_case: dict[int, str] = {}
        if items:
            references = {c.id: c.reference for c in cases}
            for item_id, case_id in session.execute(
                select(CaseItemRow.item_id, CaseItemRow.case_id).where(
                    CaseItemRow.item_id.in_([i.id for i in items])
                )
            ):
                if case_id in references:
                    in_case[item_id] = references[case_id]
        payments = (
            list(
                session.scalars(
                    select(CaseEventRow)
                    .where(
                        CaseEventRow.case_id.in_([c.id for c in cases]),
                        CaseEventRow.kind.in_([k.value for k in PAYMENT_KINDS]),
                    )
                    .order_by(CaseEventRow.occurred_at.desc(), CaseEventRow.id.desc())
                )
            )
            if cases
            else []
        )
        panels = [(p.template, p.context(session, source, number)) for p in DEBTOR_PANELS]
        session.expunge_all()
    case_of = {c.id: c for c in cases}
    first_payment: dict[int, date] = {}
    for event in payments:
        if event.kind in (EventKind.PAYMENT, EventKind.DIRECT_PAYMENT):
            day = event.occurred_at.date()
            first_payment[event.case_id] = min(first_payment.get(event.case_id, day), day)
    today = date.today()  # noqa: DTZ011 - the business date is the server's calendar date
    return render(
        request,
        "debtor.html",
        {
            "source": source,
            "number": number,
            "debtor": debtor,
            "cases": cases,
            "items": items,
            "in_case": in_case,
            "overdue": {i.id: (today - i.net_due_date).days for i in items},
            "payments": payments,
            "case_of": case_of,
            "behaviour": _behaviour(cases, first_payment),
            "panels": panels,
        },
    )
