"""Returns: what agencies report back (status and payment files, pulled pages, events posted to
the REST API), checked against the case and applied to it."""

from gateway.pipeline.returns.files import UpdateFileResult, ingest_updates
from gateway.pipeline.returns.posted import EventOutcome, ReportedEvent, apply_agency_events

__all__ = [
    "EventOutcome",
    "ReportedEvent",
    "UpdateFileResult",
    "apply_agency_events",
    "ingest_updates",
]
