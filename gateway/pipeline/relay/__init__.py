"""The outbox relay: ERP write-back actions, agency notices and webhooks delivered after
commit, with leases, backoff and dead letters."""

from gateway.pipeline.relay.outbox import RelayResult, deliver_notices, deliver_writeback
from gateway.pipeline.relay.webhooks import deliver_webhooks

__all__ = ["RelayResult", "deliver_notices", "deliver_webhooks", "deliver_writeback"]
