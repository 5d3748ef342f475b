"""The jobs for IT: each schedule with its next slot, the run in progress and the last run; a
job's runs in keyset pages; and a manual run (claimed like a scheduled one, never two at once,
then run in this process in the background: as POST /v1/jobs/{name}/run does it)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import HTMLResponse, RedirectResponse

from gateway.domain.users import OPERATORS
from gateway.ops.jobs.leases import JobBusy
from gateway.ops.jobs.overview import job_overview
from gateway.ops.jobs.runner import JobRunner, UnknownJob
from gateway.storage.models import utcnow
from gateway.storage.repositories.jobs import JobRuns
from gateway.web.auth import Operator, PostedForm, StoreDep
from gateway.web.nav import N_, NavEntry
from gateway.web.render import gettext, render

__all__ = ["NAV", "RUN_STATUS_LABELS", "router"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/jobs", N_("Jobs"), OPERATORS, order=32)]

PAGE_SIZE = 50
RUN_STATUS_LABELS = {
    "running": N_("running"),
    "ok": N_("ok"),
    "failed": N_("failed"),
    "missed": N_("missed"),
    "abandoned": N_("abandoned"),
}
TRIGGER_LABELS = {
    "schedule": N_("schedule"),
    "manual": N_("manual"),
    "takeover": N_("taken over"),
}


def job_runner(request: Request) -> JobRunner:
    """The process's runner (the scheduler's, when `serve` runs one; shared with the API)."""
    runner: JobRunner | None = getattr(request.app.state, "job_runner", None)
    if runner is None:
        runner = JobRunner(request.app.state.config, request.app.state.store)
        request.app.state.job_runner = runner
    return runner


def _jobs_page(
    request: Request, outcome: tuple[bool, str] | None = None, status: int = 200
) -> HTMLResponse:
    runner = job_runner(request)
    return render(
        request,
        "jobs.html",
        {
            "jobs": job_overview(runner.specs, runner.store, utcnow()),
            "run_labels": RUN_STATUS_LABELS,
            "trigger_labels": TRIGGER_LABELS,
            "outcome": outcome,
        },
        status=status,
    )


@router.get("/ui/jobs")
def jobs(request: Request, user: Operator) -> HTMLResponse:
    return _jobs_page(request)


@router.get("/ui/jobs/{name}")
def job_runs(name: str, request: Request, user: Operator, store: StoreDep) -> HTMLResponse:
    runner = job_runner(request)
    try:
        spec = runner.spec(name)
    except UnknownJob:
        raise HTTPException(404, f"no job {name}") from None
    before = request.query_params.get("before", "")
    with store.unit_of_work(read_only=True) as session:
        runs = JobRuns(session).history(
            name, PAGE_SIZE + 1, int(before) if before.isdigit() else None
        )
    more = len(runs) > PAGE_SIZE
    runs = runs[:PAGE_SIZE]
    return render(
        request,
        "job_runs.html",
        {
            "spec": spec,
            "runs": runs,
            "run_labels": RUN_STATUS_LABELS,
            "trigger_labels": TRIGGER_LABELS,
            "next_link": f"/ui/jobs/{name}?before={runs[-1].id}" if more else "",
            "first_link": f"/ui/jobs/{name}" if before else "",
        },
    )


@router.get("/ui/jobs/{name}/run")
def after_run(name: str, user: Operator) -> RedirectResponse:
    """The address a manual run answered on, opened again (a reload, a language switch): the
    jobs page, without running again."""
    return RedirectResponse("/ui/jobs", 303)


@router.post("/ui/jobs/{name}/run")
def run_now(name: str, request: Request, user: Operator, form: PostedForm) -> HTMLResponse:
    _ = gettext(request)
    runner = job_runner(request)
    try:
        claimed = runner.claim_now(name, "manual")
    except UnknownJob:
        raise HTTPException(404, f"no job {name}") from None
    except JobBusy as exc:
        message = _("%(job)s is running already (run %(run)s): wait for its end.")
        return _jobs_page(request, (False, message % {"job": name, "run": exc.run_id}), 409)
    runner.start_in_thread(claimed)
    message = _("%(job)s started (run %(run)s); this page shows how it went once it ends.")
    return _jobs_page(request, (True, message % {"job": name, "run": claimed.run_id}))
