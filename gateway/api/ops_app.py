"""The small HTTP application of a `claimbridge worker`: /livez, /readyz and /metrics only."""

from __future__ import annotations

from fastapi import FastAPI

from gateway import __version__
from gateway.api import health, metrics
from gateway.api.request_ids import RequestIds
from gateway.config import Config
from gateway.storage.database import Store

__all__ = ["create_ops_app"]


def create_ops_app(config: Config, store: Store) -> FastAPI:
    app = FastAPI(title="claimbridge worker", version=__version__, docs_url=None, redoc_url=None)
    app.state.config = config
    app.state.store = store
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.add_middleware(RequestIds)
    return app
