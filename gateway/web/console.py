"""The web console, installed into the API's application: its pages, its static files, its
security headers, and how it answers a missing session, a refused role or a forged form."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from gateway.web.auth import NotAdmitted, SignInRequired
from gateway.web.csrf import CsrfRefused
from gateway.web.headers import SecurityHeaders
from gateway.web.pages import PAGES
from gateway.web.render import is_htmx, render
from gateway.web.templates import STATIC

__all__ = ["install_console"]


def _to_sign_in(request: Request, exc: Exception) -> Response:
    back_to = exc.back_to if isinstance(exc, SignInRequired) else "/ui"
    target = f"/ui/login?next={quote(back_to, safe='/')}"
    if is_htmx(request):
        # HTMX would swap the sign-in page into a part of the page: make it load it whole.
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _not_admitted(request: Request, exc: Exception) -> Response:
    roles = sorted(r.value for r in exc.roles) if isinstance(exc, NotAdmitted) else []
    return render(request, "error.html", {"kind": "forbidden", "roles": roles}, status=403)


def _forged(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"kind": "csrf", "roles": []}, status=403)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    path = request.url.path
    if (path == "/ui" or path.startswith("/ui/")) and not path.startswith("/ui/static/"):
        kind = "not_found" if exc.status_code == 404 else "error"
        return render(
            request,
            "error.html",
            {"kind": kind, "roles": [], "detail": exc.detail},
            exc.status_code,
        )
    return await http_exception_handler(request, exc)


def install_console(app: FastAPI) -> None:
    """Serve the console under /ui of `app`."""
    app.state.console_nav = [entry for page in PAGES for entry in page.nav]
    for page in PAGES:
        app.include_router(page.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(NotAdmitted, _not_admitted)
    app.add_exception_handler(CsrfRefused, _forged)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(SecurityHeaders)
