"""The HTTP API (FastAPI): agency, accounting and operations endpoints."""

from gateway.api.app import create_app

__all__ = ["create_app"]
