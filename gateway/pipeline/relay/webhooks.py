"""Delivers the outbox's webhook messages to an agency's endpoint, signed (Standard Webhooks).

The relay machinery is gateway.pipeline.relay.outbox's (lease, backoff with full jitter, dead
letters, per-case order, one transfer log entry per pass); this module only says how one message is
sent and how the answer is taken:

    2xx                               delivered
    408, 425, 429, 5xx                retried later, with backoff
    timeout, no connection            retried later (and the rest of the pass too: the
                                      endpoint is down, there is no point in waiting N times)
    other 4xx                         dead at once (the receiver refuses it: a wrong secret,
                                      a removed endpoint); visible, `claimbridge outbox retry`

Each attempt is signed anew (a fresh webhook-timestamp); the webhook-id stays the same. While a
secret is rotated (`previous_secret`), every message carries a signature with each secret.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from connectors.base import Delivery, DeliveryBatch
from gateway.pipeline.cases.webhooks import AGENCY_WEBHOOK
from gateway.pipeline.context import RunContext
from gateway.pipeline.relay.outbox import RelayResult, _relay, retry_policy
from gateway.storage.repositories.outbox import RetryPolicy
from gateway.webhook_signatures import signature_headers

__all__ = ["CHANNEL", "deliver_webhooks", "webhook_body"]

CHANNEL = "webhook"
_RETRIABLE = frozenset({408, 425, 429})


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The body sent for an outbox webhook message: {"type", "timestamp", "data"}."""
    document = {k: payload[k] for k in ("type", "timestamp", "data")}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def deliver_webhooks(
    ctx: RunContext,
    agency: str,
    policy: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> RelayResult:
    """Deliver the agency's pending webhooks (nothing if it has no `webhooks` section)."""
    setup = ctx.config.agencies[agency].config.webhooks
    if setup is None:
        return RelayResult(agency, "webhooks")
    secrets = [setup.secret.get_secret_value()]
    if setup.previous_secret is not None:  # a rotation: the agency may hold either
        secrets.append(setup.previous_secret.get_secret_value())

    def deliver(
        payloads: Sequence[dict[str, Any]], _batch: DeliveryBatch
    ) -> tuple[Delivery, dict[str, tuple[str, bool]]]:
        failed: dict[str, tuple[str, bool]] = {}
        sent = 0
        down = ""
        with httpx.Client(
            timeout=setup.timeout_seconds, follow_redirects=False, transport=transport
        ) as http:
            for payload in payloads:
                key = str(payload["webhook_id"])
                if down:
                    failed[key] = (down, True)
                    continue
                body = webhook_body(payload)
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": "claimbridge",
                    **signature_headers(secrets, key, body),
                }
                try:
                    response = http.post(setup.url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    down = f"{payload['type']}: no answer from the endpoint ({type(exc).__name__})"
                    failed[key] = (down, True)
                    continue
                sent += len(body)
                status = response.status_code
                if 200 <= status < 300:
                    continue
                retriable = status >= 500 or status in _RETRIABLE
                reason = f"{payload['type']}: HTTP {status}: {response.text[:200]}"
                failed[key] = (reason, retriable)
        return Delivery(CHANNEL, setup.url, len(payloads) - len(failed), sent), failed

    return _relay(
        ctx,
        AGENCY_WEBHOOK,
        agency,
        "webhooks",
        CHANNEL,
        deliver,
        lambda p: str(p["webhook_id"]),
        policy or retry_policy(ctx),
    )
