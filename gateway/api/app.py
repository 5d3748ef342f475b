"""The HTTP API: one FastAPI application, its routers registered in `gateway.api.routers`."""

from __future__ import annotations

from fastapi import FastAPI

from gateway import __version__
from gateway.api.limits import BodySizeLimit
from gateway.api.request_ids import RequestIds
from gateway.api.routers import ROUTERS
from gateway.config import Config
from gateway.storage.database import Store
from gateway.web.console import install_console

__all__ = ["create_app"]


def create_app(config: Config, store: Store) -> FastAPI:
    """The application for a configuration and a store (both shared by every request)."""
    app = FastAPI(
        title="claimbridge",
        version=__version__,
        description=(
            "Collection agencies report case status and payments; accounting reviews and "
            "decides; IT watches transfers. Versioned under /v1."
        ),
        # Served from files inside the package by gateway.api.docs (works offline).
        docs_url=None,
        redoc_url=None,
    )
    app.state.config = config
    app.state.store = store
    for router in ROUTERS:
        app.include_router(router)
    install_console(app)
    app.add_middleware(RequestIds)
    # Outermost: an oversized body is refused before anything reads it.
    app.add_middleware(BodySizeLimit)
    return app
