"""A case: its debtor, items and amounts (interest and fees claimed), its history in time order
with what each event sent to the ERP and the agency and how that delivery went, the documents
and messages from the agency, and the decisions its state allows."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from starlette.responses import HTMLResponse, Response

from gateway.domain.cases import CaseState
from gateway.domain.events import PAYMENT_KINDS, EventKind
from gateway.domain.users import DECIDERS
from gateway.pipeline.case_history import case_history
from gateway.pipeline.decisions import allowed_decisions, approval_status
from gateway.storage.models import AgencyDocumentRow, DebtorRow
from gateway.storage.repositories.cases import CaseRepository
from gateway.web.auth import ConfigDep, Decider, PostedForm, Reader, StoreDep
from gateway.web.case_decisions import DECISIONS, decide_cases
from gateway.web.render import gettext, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

# The order the actions are offered in, and whether each asks for a reason.
ACTIONS = [
    ("approve", False),
    ("hold", True),
    ("dismiss", False),
    ("recall", False),
    ("reopen", False),
]
PAYMENTS = frozenset(k.value for k in PAYMENT_KINDS)


def _case_page(
    request: Request, reference: str, store: StoreDep, outcomes: list[object], status: int = 200
) -> HTMLResponse:
    user = request.state.signed_in
    with store.unit_of_work(read_only=True) as session:
        repo = CaseRepository(session)
        case = repo.by_reference(reference)
        if case is None:
            raise HTTPException(404, f"no case {reference}")
        debtor = session.scalars(
            select(DebtorRow).where(
                DebtorRow.source == case.source, DebtorRow.number == case.debtor_number
            )
        ).first()
        items = repo.items(case.id)
        history = case_history(session, case)
        documents = list(
            session.scalars(
                select(AgencyDocumentRow)
                .where(AgencyDocumentRow.case_id == case.id)
                .order_by(AgencyDocumentRow.received_at)
            )
        )
        approvals = approval_status(session, case)
        allowed = allowed_decisions(CaseState(case.state))
        session.expunge_all()
    messages = [
        e.event
        for e in history.entries
        if e.event.origin == "agency" and e.event.kind == EventKind.MESSAGE
    ]
    return render(
        request,
        "case.html",
        {
            "case": case,
            "debtor": debtor,
            "items": items,
            "history": history,
            "documents": documents,
            "messages": messages,
            "approvals": approvals,
            "payments": PAYMENTS,
            "actions": [(name, reason) for name, reason in ACTIONS if DECISIONS[name] in allowed]
            if user.role in DECIDERS
            else [],
            "outstanding": case.handed_over_minor
            - case.collected_principal_minor
            - case.paid_directly_minor
            - case.written_off_minor,
            "outcomes": outcomes,
            "decision_key": secrets.token_urlsafe(16),
        },
        status=status,
    )


@router.get("/ui/cases/{reference}")
def case_page(reference: str, request: Request, user: Reader, store: StoreDep) -> HTMLResponse:
    return _case_page(request, reference, store, [])


@router.post("/ui/cases/{reference}/decide")
def decide_one(
    reference: str,
    request: Request,
    user: Decider,
    form: PostedForm,
    store: StoreDep,
    config: ConfigDep,
) -> Response:
    _ = gettext(request)
    action = form.one("action")
    if action not in DECISIONS:
        raise HTTPException(400, _("unknown decision"))
    outcomes = decide_cases(
        store,
        config,
        user.name,
        action,
        [reference],
        form.one("reason"),
        form.one("decision_key") or secrets.token_urlsafe(16),
        _,
    )
    return _case_page(request, reference, store, list(outcomes))


@router.get("/ui/cases/{reference}/documents/{document_id}")
def agency_document(reference: str, document_id: str, user: Reader, store: StoreDep) -> Response:
    """A document the agency uploaded, always as a download (never shown inline: its content
    comes from outside)."""
    with store.unit_of_work(read_only=True) as session:
        case = CaseRepository(session).by_reference(reference)
        document = (
            session.scalars(
                select(AgencyDocumentRow).where(
                    AgencyDocumentRow.case_id == case.id,
                    AgencyDocumentRow.document_id == document_id,
                )
            ).first()
            if case is not None
            else None
        )
        if document is None:
            raise HTTPException(404, f"no document {document_id} on case {reference}")
        content, filename = document.content, document.filename
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ") or "document"
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
