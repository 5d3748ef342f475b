"""/docs (Swagger UI) and /redoc (ReDoc) from files shipped inside the package, so that the API
description works on a host without internet (FastAPI's own pages load them from a CDN).

The pages hold no inline script: a small script of ours (gateway/web/static/apidocs/) starts
the viewer, reading the description's URL from a data attribute.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.web.templates import vendor_path

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

STATIC = "/ui/static/"


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}</head><body>{body}</body></html>"
    )


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    schema = escape(request.app.openapi_url or "/openapi.json")
    return _page(
        f"{request.app.title} – API (Swagger UI)",
        f'<link rel="stylesheet" href="{STATIC}{vendor_path("swagger-ui", "swagger-ui.css")}">',
        f'<div id="swagger-ui" data-openapi-url="{schema}"></div>'
        f'<script src="{STATIC}{vendor_path("swagger-ui", "swagger-ui-bundle.js")}"></script>'
        f'<script src="{STATIC}apidocs/swagger-init.js"></script>',
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    schema = escape(request.app.openapi_url or "/openapi.json")
    return _page(
        f"{request.app.title} – API (ReDoc)",
        "",
        # ReDoc 3 is an ES module: our script imports it and starts it without telemetry.
        f'<div id="redoc" data-openapi-url="{schema}" '
        f'data-redoc="{STATIC}{vendor_path("redoc", "redoc.standalone.js")}"></div>'
        f'<script src="{STATIC}apidocs/redoc-init.js"></script>',
    )
