"""A simulated collection agency with a REST API, for `claimbridge demo --agency api` and the
tests: it receives pushed cases, notices and webhooks (app), and reports back through
claimbridge's agency API (client) with realistic event streams (events)."""

from simulators.agency.app import agency_app, app_from_environment
from simulators.agency.client import AgencyApiClient, PostResult
from simulators.agency.events import (
    AgencyCase,
    EventStream,
    Posting,
    event_stream,
    payment_after_recall,
)
from simulators.agency.server import free_port, served
from simulators.agency.state import SimulatedAgency

__all__ = [
    "AgencyApiClient",
    "AgencyCase",
    "EventStream",
    "PostResult",
    "Posting",
    "SimulatedAgency",
    "agency_app",
    "app_from_environment",
    "event_stream",
    "free_port",
    "payment_after_recall",
    "served",
]
