"""/v1/jobs: the scheduled jobs, their run history, and manual runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway.api.deps import ReadSession, get_store
from gateway.api.idempotency import OptionalKey, RequestTarget, run_detached
from gateway.api.security import ItUser, it_user
from gateway.ops.jobs.leases import JobBusy
from gateway.ops.jobs.overview import job_overview
from gateway.ops.jobs.runner import JobRunner, UnknownJob
from gateway.storage.database import Store
from gateway.storage.models import JobRunRow, utcnow
from gateway.storage.repositories.jobs import JobRuns

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["jobs (IT)"])


class Run(BaseModel):
    """A run of a job, or a slot that was missed."""

    id: int
    job: str
    kind: str
    target: str | None
    trigger: str
    slot: datetime
    attempt: int
    owner: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    error: str

    @classmethod
    def of(cls, row: JobRunRow) -> Run:
        return cls(
            id=row.id,
            job=row.job,
            kind=row.kind,
            target=row.target,
            trigger=row.trigger,
            slot=row.slot,
            attempt=row.attempt,
            owner=row.owner,
            status=row.status,
            started_at=row.started_at,
            finished_at=row.finished_at,
            counts=dict(row.counts or {}),
            error=row.error,
        )


class Job(BaseModel):
    name: str
    job: str
    target: str | None
    cron: str
    timezone: str
    misfire_grace_seconds: float
    lease_seconds: float
    next_slot: datetime | None
    running: bool
    running_run_id: int | None
    running_owner: str | None
    last_run: Run | None


def job_runner(request: Request) -> JobRunner:
    """The process's runner (the scheduler's, when `serve` runs one)."""
    runner: JobRunner | None = getattr(request.app.state, "job_runner", None)
    if runner is None:
        runner = JobRunner(request.app.state.config, request.app.state.store)
        request.app.state.job_runner = runner
    return runner


Runner = Annotated[JobRunner, Depends(job_runner)]
User = Annotated[ItUser, Depends(it_user)]


@router.get("/jobs", summary="The scheduled jobs: schedule, next slot, run in progress, last run")
def list_jobs(runner: Runner, _user: User) -> list[Job]:
    return [
        Job(
            name=o.spec.name,
            job=o.spec.kind,
            target=o.spec.target,
            cron=o.spec.cron,
            timezone=o.spec.timezone,
            misfire_grace_seconds=o.spec.misfire_grace.total_seconds(),
            lease_seconds=o.spec.lease.total_seconds(),
            next_slot=o.next_slot,
            running=o.running,
            running_run_id=o.lease.run_id if o.running and o.lease else None,
            running_owner=o.lease.owner if o.running and o.lease else None,
            last_run=Run.of(o.last) if o.last else None,
        )
        for o in job_overview(runner.specs, runner.store, utcnow())
    ]


@router.get(
    "/jobs/{name}/runs",
    summary="The run history of a job, newest first",
    responses={404: {"description": "no such job"}},
)
def job_runs(
    name: str,
    runner: Runner,
    session: ReadSession,
    _user: User,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Run]:
    try:
        runner.spec(name)
    except UnknownJob as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return [Run.of(r) for r in JobRuns(session).history(name, limit)]


@router.get("/runs/{run_id}", summary="One run", responses={404: {"description": "no such run"}})
def get_run(run_id: int, session: ReadSession, _user: User) -> Run:
    row = JobRuns(session).get(run_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run {run_id}")
    return Run.of(row)


@router.post(
    "/jobs/{name}/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Run,
    summary="Run a job now",
    description=(
        "The run is claimed like a scheduled one (never two runs of a job at once), then runs "
        "in this process in the background; follow it with GET /v1/runs/{id}. With an "
        "`Idempotency-Key`, the request repeated with that key gets the first answer again "
        "(header `Idempotent-Replayed: true`) and starts no second run."
    ),
    responses={
        400: {"description": "Idempotency-Key longer than 200 characters"},
        404: {"description": "no such job"},
        409: {"description": "the job is running, or a request with this key is in progress"},
        422: {"description": "Idempotency-Key already used for another request"},
    },
)
def run_job_now(
    name: str,
    request: Request,
    runner: Runner,
    store: Annotated[Store, Depends(get_store)],
    user: User,
    idempotency_key: OptionalKey = None,
) -> Response:
    def produce() -> tuple[int, Any]:
        return status.HTTP_202_ACCEPTED, _start(runner, name).model_dump(mode="json")

    if idempotency_key is None:
        code, answer = produce()
        return JSONResponse(answer, code)
    return run_detached(
        store,
        client=f"user:{user.name}",
        key=idempotency_key,
        target=RequestTarget.of(request),
        body=b"",
        produce=produce,
    )


def _start(runner: JobRunner, name: str) -> Run:
    try:
        claimed = runner.claim_now(name, "manual")
    except UnknownJob as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except JobBusy as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    runner.start_in_thread(claimed)
    return Run(
        id=claimed.run_id,
        job=name,
        kind=runner.spec(name).kind,
        target=runner.spec(name).target,
        trigger=claimed.trigger,
        slot=claimed.slot,
        attempt=claimed.attempt,
        owner=claimed.owner,
        status="running",
        started_at=claimed.slot,
        finished_at=None,
        counts={},
        error="",
    )
