"""Every router of the API. A new area of the API adds its module's router here."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api import (
    agency_cases,
    agency_events,
    agency_notices,
    bank_payments,
    case_decisions,
    case_timeline,
    cases,
    docs,
    health,
    jobs,
    kpi,
    metrics,
    policies,
    snapshots,
    transfers,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    health.router,
    docs.router,
    policies.router,
    metrics.router,
    transfers.router,
    snapshots.router,
    jobs.router,
    agency_events.router,
    agency_cases.router,
    agency_notices.router,
    cases.router,
    case_timeline.router,
    case_decisions.router,
    kpi.router,
    bank_payments.router,
]
