"""The alerts for IT: the conditions that fire (a partner's transfers failing, dead letters, a
job failed or missed, a partner silent, a snapshot held), since when, whether they were
notified, and those resolved; each leads to the page where it is dealt with."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from gateway.domain.users import OPERATORS
from gateway.storage.repositories.alerts import AlertStates
from gateway.web.auth import Operator, StoreDep
from gateway.web.nav import N_, NavEntry
from gateway.web.render import render

__all__ = ["NAV", "router", "where_to_act"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/alerts", N_("Alerts"), OPERATORS, order=33)]

KIND_LABELS = {
    "transfer_failed": N_("Transfer failed"),
    "dead_letters": N_("Dead letters"),
    "job_missed": N_("Job missed its slot"),
    "job_failed": N_("Job failed"),
    "partner_silent": N_("Partner silent"),
    "snapshot_held": N_("Snapshot held"),
}


def where_to_act(key: str) -> str:
    """The console page where the condition `key` is dealt with ("" if none)."""
    kind, _, rest = key.partition(":")
    parts = rest.split(":")
    if kind == "transfer_failed" and len(parts) == 3:
        partner, direction, transfer_kind = parts
        query = {"partner": partner, "direction": direction, "kind": transfer_kind}
        return "/ui/transfers?" + urlencode({**query, "status": "failed"})
    if kind == "dead_letters" and len(parts) == 2:
        return "/ui/outbox?" + urlencode({"list": "dead", "destination": parts[1]})
    if kind in ("job_missed", "job_failed") and rest:
        return f"/ui/jobs/{rest}"
    if kind == "partner_silent" and len(parts) == 2:
        return "/ui/transfers?" + urlencode({"partner": parts[0], "direction": parts[1]})
    if kind == "snapshot_held" and rest:
        return "/ui/transfers?" + urlencode({"partner": rest, "status": "held"})
    return ""


@router.get("/ui/alerts")
def alerts(request: Request, user: Operator, store: StoreDep) -> HTMLResponse:
    with store.unit_of_work(read_only=True) as session:
        rows = AlertStates(session).rows()
    rows.sort(key=lambda r: (not r.firing, -r.since.timestamp()))
    return render(
        request,
        "alerts.html",
        {
            "alerts": [(r, where_to_act(r.key)) for r in rows],
            "firing": sum(1 for r in rows if r.firing),
            "kind_labels": KIND_LABELS,
        },
    )
