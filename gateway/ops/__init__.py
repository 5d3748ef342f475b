"""Operations: scheduled runs safe on several processes (run leases, takeover, misfires),
the run history, metrics, alerts, transfer retries and retention."""

from gateway.ops.alerts.monitor import AlertMonitor
from gateway.ops.jobs.leases import Claimed, JobBusy, Leases
from gateway.ops.jobs.runner import FinishedRun, JobRunner, UnknownJob
from gateway.ops.jobs.scheduler import OpsScheduler
from gateway.ops.jobs.specs import JobSpec, job_specs
from gateway.ops.retention import PurgeReport, purge
from gateway.ops.retry import RetryRefused, RetryResult, retry_transfer

__all__ = [
    "AlertMonitor",
    "Claimed",
    "FinishedRun",
    "JobBusy",
    "JobRunner",
    "JobSpec",
    "Leases",
    "OpsScheduler",
    "PurgeReport",
    "RetryRefused",
    "RetryResult",
    "UnknownJob",
    "job_specs",
    "purge",
    "retry_transfer",
]
