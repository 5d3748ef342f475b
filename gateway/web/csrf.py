"""Cross-site request forgery: every request that changes something must prove it comes from
one of the console's own pages.

Two checks, both required on every POST:
- the token: a form field `csrf_token` (or, for HTMX requests, the `X-CSRF-Token` header, put on
  every request by the page's `hx-headers`) equal to HMAC-SHA256(session cookie, "csrf"). The
  cookie is HttpOnly, so a script of another site can neither read it nor compute the token.
  Before signing in there is no session: the sign-in form carries a random token that must
  equal the `cb_signin` cookie's (double submit).
- the origin: a browser's `Origin` header (or `Sec-Fetch-Site`), when present, must be this
  site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

__all__ = [
    "SIGNIN_COOKIE",
    "CsrfRefused",
    "check_origin",
    "check_token",
    "new_signin_token",
    "session_token",
]

SIGNIN_COOKIE = "cb_signin"
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"


class CsrfRefused(Exception):
    """The request does not come from one of the console's pages (the message says why)."""


def session_token(session_secret: str) -> str:
    """The CSRF token of a session."""
    return hmac.new(session_secret.encode("ascii"), b"csrf", hashlib.sha256).hexdigest()


def new_signin_token() -> str:
    return secrets.token_urlsafe(32)


def check_origin(request: Request) -> None:
    """Refuse a request a browser says comes from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise CsrfRefused(f"request from another site (Sec-Fetch-Site: {fetch_site})")
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc != host:
        raise CsrfRefused("request from another origin")


def check_token(request: Request, form: dict[str, list[str]], expected: str) -> None:
    """Refuse a request without the expected token (form field or header)."""
    presented = request.headers.get(HEADER) or next(iter(form.get(FIELD, [])), "")
    if not expected or not presented or not hmac.compare_digest(presented, expected):
        raise CsrfRefused("the form is out of date or does not come from this console")
