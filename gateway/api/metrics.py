"""/metrics: Prometheus text format; this process's counters, then the store's gauges (see
gateway.ops.metrics for how they add up across processes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from gateway.ops.metrics import StoreCollector, exposition

__all__ = ["router"]

router = APIRouter(tags=["health"])


def _store_registry(request: Request) -> CollectorRegistry:
    registry: CollectorRegistry | None = getattr(request.app.state, "store_metrics", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(request.app.state.store))
        request.app.state.store_metrics = registry
    return registry


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(exposition(_store_registry(request)), media_type=CONTENT_TYPE_LATEST)
