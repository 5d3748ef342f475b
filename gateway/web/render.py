"""Drawing a page: the template, in the reader's language, with what every page shows (the
menu for their role, the CSRF token, the language switch)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from gateway.i18n import LANGUAGES, negotiate, translations
from gateway.web.csrf import session_token
from gateway.web.nav import NavEntry, visible
from gateway.web.sessions import SignedIn
from gateway.web.templates import environment

__all__ = ["LANGUAGE_COOKIE", "gettext", "is_htmx", "language_of", "render", "signed_in_user"]

LANGUAGE_COOKIE = "cb_language"


def signed_in_user(request: Request) -> SignedIn | None:
    user: SignedIn | None = getattr(request.state, "signed_in", None)
    return user


def language_of(request: Request) -> str:
    """The user's chosen language, else the one chosen on this browser, else the browser's."""
    user = signed_in_user(request)
    if user is not None and user.language in LANGUAGES:
        return user.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return negotiate(request.headers.get("accept-language"))


def gettext(request: Request) -> Callable[[str], str]:
    """`_` for messages made in Python (the reader's language)."""
    return translations(language_of(request)).gettext


def is_htmx(request: Request) -> bool:
    """Whether the request comes from HTMX (it wants a part of a page, not a whole page)."""
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    user = signed_in_user(request)
    entries: list[NavEntry] = getattr(request.app.state, "console_nav", [])
    here = request.url.path
    page = {
        "request": request,
        "user": user,
        "nav": visible(entries, user.role) if user else [],
        "here": here,
        "csrf": session_token(user.secret) if user else "",
        "htmx": is_htmx(request),
        **(context or {}),
    }
    html = environment(language_of(request)).get_template(template).render(page)
    return HTMLResponse(html, status, headers=dict(headers or {}))
