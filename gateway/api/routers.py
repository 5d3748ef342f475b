"""Every router of the API. A new area of the API adds its module's router here."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api import (
    case_decisions,
    case_timeline,
    cases,
    health,
    jobs,
    metrics,
    policies,
    transfers,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    health.router,
    policies.router,
    metrics.router,
    transfers.router,
    jobs.router,
    cases.router,
    case_timeline.router,
    case_decisions.router,
]
