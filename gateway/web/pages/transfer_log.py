"""The transfer log for IT: every movement of data across the boundary, newest first, filtered by
kind, state, day and partner (source or agency), in keyset pages; a transfer with the records it
rejected and why; and the retry of a failed transfer (gateway.ops.retry, as the API's
POST /v1/transfers/{id}/retry and `claimbridge transfers retry` do it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import HTMLResponse, RedirectResponse

from gateway.domain.users import OPERATORS
from gateway.ops.retry import RETRYABLE_KINDS, RetryRefused, retry_transfer
from gateway.storage.models import utcnow
from gateway.storage.repositories.transfers import TransferFilter, TransferLog
from gateway.web.auth import ConfigDep, Operator, PostedForm, StoreDep
from gateway.web.nav import N_, NavEntry
from gateway.web.render import gettext, render

__all__ = ["NAV", "STATUS_LABELS", "router"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/transfers", N_("Transfers"), OPERATORS, order=30)]

PAGE_SIZE = 50
STATUS_LABELS = {
    "running": N_("running"),
    "ok": N_("ok"),
    "partial": N_("partly rejected"),
    "failed": N_("failed"),
    "skipped": N_("skipped"),
    "interrupted": N_("interrupted"),
    "held": N_("held"),
}
KINDS = (
    "open_items",
    "handover",
    "agency_updates",
    "agency_api",
    "writeback",
    "notices",
    "webhooks",
    "bank_statements",
)
RETRY_ACTIONS = {
    "requeued": N_("Put back in the queue: the next run moves it again."),
    "pending": N_("Still pending: the next run delivers it again."),
    "nothing": N_("Nothing left to retry."),
}


@dataclass
class LogFilters:
    """The filters as typed (to show them again) and what they mean."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    where: TransferFilter = field(default_factory=TransferFilter)

    def link(self, **changes: str) -> str:
        pairs = [(k, v) for k, v in {**self.values, **changes}.items() if v]
        return "/ui/transfers" + (f"?{urlencode(pairs)}" if pairs else "")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _filters(request: Request) -> LogFilters:
    _ = gettext(request)
    params = request.query_params
    found = LogFilters()
    for name in ("kind", "status", "partner", "direction", "since", "until"):
        found.values[name] = params.get(name, "").strip()
    status = found.values["status"]
    if status and status not in STATUS_LABELS:
        found.errors.append(_("%(field)s: not a known state") % {"field": _("State")})
        status = ""
    direction = found.values["direction"]
    if direction not in ("", "inbound", "outbound"):
        direction = ""
    days: dict[str, datetime | None] = {}
    for name, label in (("since", _("From")), ("until", _("To"))):
        text = found.values[name]
        day = _day(text) if text else None
        if text and day is None:
            found.errors.append(_("%(field)s: a date as YYYY-MM-DD") % {"field": label})
        # "to" includes its day: transfers started before the next midnight (UTC)
        shift = timedelta(days=1) if name == "until" else timedelta()
        days[name] = datetime.combine(day, time(), UTC) + shift if day else None
    before = params.get("before", "")
    found.where = TransferFilter(
        partner=found.values["partner"] or None,
        direction=direction or None,
        status=status or None,
        kind=found.values["kind"] or None,
        since=days["since"],
        until=days["until"],
        before_id=int(before) if before.isdigit() else None,
        limit=PAGE_SIZE + 1,
    )
    return found


@router.get("/ui/transfers")
def transfer_log(request: Request, user: Operator, store: StoreDep) -> HTMLResponse:
    filters = _filters(request)
    with store.unit_of_work(read_only=True) as session:
        rows = TransferLog(session).search(filters.where)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(
        request,
        "transfer_log.html",
        {
            "filters": filters,
            "rows": rows,
            "statuses": STATUS_LABELS,
            "kinds": KINDS,
            "retryable": RETRYABLE_KINDS,
            "next_link": filters.link(before=str(rows[-1].id)) if more else "",
            "first_link": filters.link() if filters.where.before_id else "",
        },
    )


def _transfer_page(
    request: Request,
    store: StoreDep,
    transfer_id: int,
    outcome: tuple[bool, str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with store.unit_of_work(read_only=True) as session:
        log = TransferLog(session)
        row = log.get(transfer_id)
        if row is None:
            raise HTTPException(404, f"no transfer {transfer_id}")
        rejected = [
            (q.position, [f for f in q.fields.split(",") if f], q.reason, q.raw)
            for q in log.quarantined(transfer_id)
        ]
    return render(
        request,
        "transfer.html",
        {
            "transfer": row,
            "rejected": rejected,
            "statuses": STATUS_LABELS,
            "can_retry": row.status == "failed" and row.kind in RETRYABLE_KINDS,
            "outcome": outcome,
        },
        status=status,
    )


@router.get("/ui/transfers/{transfer_id}")
def transfer_detail(
    transfer_id: int, request: Request, user: Operator, store: StoreDep
) -> HTMLResponse:
    return _transfer_page(request, store, transfer_id)


@router.get("/ui/transfers/{transfer_id}/retry")
def after_retry(transfer_id: int, user: Operator) -> RedirectResponse:
    """The address a retry answered on, opened again (a reload, a language switch): the
    transfer's page, without retrying again."""
    return RedirectResponse(f"/ui/transfers/{transfer_id}", 303)


@router.post("/ui/transfers/{transfer_id}/retry")
def retry(
    transfer_id: int,
    request: Request,
    user: Operator,
    form: PostedForm,
    store: StoreDep,
    config: ConfigDep,
) -> HTMLResponse:
    _ = gettext(request)
    try:
        result = retry_transfer(config, store, transfer_id, utcnow())
    except LookupError:
        raise HTTPException(404, f"no transfer {transfer_id}") from None
    except RetryRefused as exc:
        outcome = (False, _("This transfer cannot be retried."), str(exc))
        return _transfer_page(request, store, transfer_id, outcome, status=409)
    outcome = (True, _(RETRY_ACTIONS.get(result.action, result.action)), result.detail)
    return _transfer_page(request, store, transfer_id, outcome)
