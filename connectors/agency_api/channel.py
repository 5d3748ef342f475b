"""The `api` agency channel: nothing travels from here; the agency fetches.

A connector moves records and never touches the database (DESIGN.md), and for a pull
channel there is nothing to move: once `submit` returns, the handover marks the batch's cases
submitted (in the gateway's transaction), and from then on they are listed by
GET /v1/agency/cases/new until the agency acknowledges them. Notices are the outbox's
messages, listed by GET /v1/agency/notices until acknowledged, from the moment they are
committed; `send_notices` only tells the relay they are published. The queues themselves live
in the gateway (gateway/storage/repositories/agency_pull.py, gateway/api/agency_*.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import BaseModel, ConfigDict

from connectors.base import CheckResult, ConnectorContext, Delivery, DeliveryBatch, Snapshot
from gateway.domain.handover import AgencyNotice, HandoverBatch

__all__ = ["ApiPullChannel", "ApiPullOptions"]

CHANNEL = "api"


class ApiPullOptions(BaseModel):
    """The `api` channel has no options: keys are made with `claimbridge agency`, and
    signing and rate limits are set in the agency's `api:` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiPullChannel:
    """The `api` agency channel (the agency pulls)."""

    Options = ApiPullOptions

    def __init__(self, options: ApiPullOptions, context: ConnectorContext) -> None:
        self.name = context.name

    def submit(self, batch: HandoverBatch) -> Delivery:
        return Delivery(CHANNEL, f"GET /v1/agency/cases/new ({batch.reference})", len(batch.cases))

    def send_notices(
        self, notices: Sequence[AgencyNotice], batch: DeliveryBatch | None = None
    ) -> Delivery:
        return Delivery(CHANNEL, "GET /v1/agency/notices", len(notices))

    def fetch_updates(self) -> Iterator[Snapshot]:
        """Nothing to fetch: the agency posts its events to POST /v1/agency/events."""
        return iter(())

    def check(self) -> list[CheckResult]:
        """Nothing to connect to: the agency calls us. Says how it gets in."""
        return [
            CheckResult(
                "pulls over the REST API (/v1/agency)",
                True,
                f"API keys: `claimbridge agency add {self.name}`, `claimbridge agency keys "
                f"{self.name}`",
            )
        ]
