"""The outbox for IT: what waits to be delivered (ERP actions, agency notices, webhooks) per
destination, the batches relays hold (leased), the messages waiting and the dead letters in keyset
pages, and putting dead letters back in the queue (`Outbox.retry_dead`, as
`claimbridge outbox retry` does)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse

from gateway.domain.users import OPERATORS
from gateway.i18n import translations
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.outbox import Outbox
from gateway.web.auth import Operator, PostedForm, StoreDep
from gateway.web.nav import N_, NavEntry
from gateway.web.render import gettext, language_of, render

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/outbox", N_("Outbox"), OPERATORS, order=31)]

PAGE_SIZE = 50
LISTS = {
    "dead": N_("Dead letters"),
    "pending": N_("Waiting"),
    "leased": N_("Leased (being delivered)"),
}
COUNT_LABELS = {
    "pending": N_("waiting"),
    "leased": N_("leased"),
    "dead": N_("dead"),
}
KIND_LABELS = {
    "erp_action": N_("ERP action"),
    "agency_notice": N_("agency notice"),
    "webhook": N_("webhook"),
}


def _what(payload: Any) -> str:
    """A message in a few words: its kind and the case or item it concerns."""
    if not isinstance(payload, dict):
        return ""
    parts = [str(payload.get(k)) for k in ("kind", "case_reference") if payload.get(k)]
    return " · ".join(parts)


def _outbox_page(
    request: Request,
    store: Store,
    outcome: tuple[bool, str] | None = None,
) -> HTMLResponse:
    params = request.query_params
    chosen = params.get("list", "dead")
    chosen = chosen if chosen in LISTS else "dead"
    destination = params.get("destination", "").strip()
    after = params.get("after", "")
    now = utcnow()
    with store.unit_of_work(read_only=True) as session:
        outbox = Outbox(session)
        counts = outbox.counts(delivered=False)
        leases = outbox.leases(now)
        rows = outbox.listing(
            chosen,
            destination=destination or None,
            after_id=int(after) if after.isdigit() else None,
            limit=PAGE_SIZE + 1,
        )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    destinations = sorted({(k, d) for k, d, _ in counts})
    table = [
        (kind, dest, {s: n for (k, d, s), n in counts.items() if (k, d) == (kind, dest)})
        for kind, dest in destinations
    ]

    def link(**changes: str) -> str:
        values = {"list": chosen, "destination": destination, **changes}
        return "/ui/outbox?" + urlencode([(k, v) for k, v in values.items() if v])

    return render(
        request,
        "outbox.html",
        {
            "outcome": outcome,
            "counts": table,
            "leases": leases,
            "lists": LISTS,
            "chosen": chosen,
            "destination": destination,
            "destinations": sorted({d for _, d in destinations}),
            "rows": [(r, _what(r.payload)) for r in rows],
            "count_labels": COUNT_LABELS,
            "kind_labels": KIND_LABELS,
            "list_link": lambda name: (
                "/ui/outbox?"
                + urlencode(
                    [(k, v) for k, v in {"list": name, "destination": destination}.items() if v]
                )
            ),
            "next_link": link(after=str(rows[-1].id)) if more else "",
            "first_link": link() if after else "",
        },
    )


@router.get("/ui/outbox")
def outbox_page(request: Request, user: Operator, store: StoreDep) -> HTMLResponse:
    return _outbox_page(request, store)


@router.get("/ui/outbox/retry")
def after_retry(request: Request, user: Operator) -> RedirectResponse:
    """The address a retry answered on, opened again (a reload, a language switch): the
    outbox as it was shown, without retrying again."""
    query = request.url.query
    return RedirectResponse("/ui/outbox" + (f"?{query}" if query else ""), 303)


@router.post("/ui/outbox/retry")
def retry_dead(request: Request, user: Operator, form: PostedForm, store: StoreDep) -> HTMLResponse:
    """Dead letters back in the queue: the ticked ones, or all of a destination's."""
    _ = gettext(request)
    ids = [int(v) for v in form.all("message") if v.isdigit()]
    destination = form.one("destination").strip()
    if not ids and not (form.one("all") and destination):
        return _outbox_page(request, store, (False, _("Tick the dead letters to retry first.")))
    with store.unit_of_work() as session:
        count = Outbox(session).retry_dead(destination or None, ids, utcnow())
    message = translations(language_of(request)).ngettext(
        "%(count)s dead letter put back in the queue: the next relay delivers it.",
        "%(count)s dead letters put back in the queue: the next relay delivers them.",
        count,
    )
    return _outbox_page(request, store, (count > 0, message % {"count": count}))
