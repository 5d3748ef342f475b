"""Scheduled jobs: their specs, run leases safe on several processes, the runner and the
scheduler, and the overview IT sees."""

from gateway.ops.jobs.leases import Claimed, JobBusy, Leases
from gateway.ops.jobs.runner import FinishedRun, JobRunner, UnknownJob
from gateway.ops.jobs.scheduler import OpsScheduler
from gateway.ops.jobs.specs import JobSpec, job_specs

__all__ = [
    "Claimed",
    "FinishedRun",
    "JobBusy",
    "JobRunner",
    "JobSpec",
    "Leases",
    "OpsScheduler",
    "UnknownJob",
    "job_specs",
]
