"""/metrics: Prometheus text format; this process's counters, then the store's gauges (see
gateway.ops.metrics for how they add up across processes).

Open unless the configuration sets `security.metrics_token`: then a scrape must send
`Authorization: Bearer <token>` (Prometheus: `authorization: {credentials_file: ...}`), else
401. The token is compared in constant time and never logged nor echoed.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from gateway.config import Config
from gateway.ops.metrics import StoreCollector, exposition

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


def _store_registry(request: Request) -> CollectorRegistry:
    registry: CollectorRegistry | None = getattr(request.app.state, "store_metrics", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(request.app.state.store))
        request.app.state.store_metrics = registry
    return registry


def _admit(request: Request) -> None:
    config: Config = request.app.state.config
    expected = config.model.security.metrics_token
    if expected is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Compared as bytes: compare_digest on str refuses non-ASCII, and a header may hold any.
    if scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.get_secret_value().encode()
    ):
        return
    client = request.client.host if request.client else "?"
    log.info("/metrics refused to %s: %s", client, "wrong token" if given else "no token")
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "/metrics needs the metrics token: `Authorization: Bearer <token>` "
        "(security.metrics_token in the configuration)",
        headers={"WWW-Authenticate": 'Bearer realm="claimbridge metrics"'},
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={401: {"description": "security.metrics_token is set and was not sent"}},
)
def metrics(request: Request) -> Response:
    _admit(request)
    return Response(exposition(_store_registry(request)), media_type=CONTENT_TYPE_LATEST)
