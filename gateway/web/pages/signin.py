"""Signing in and out, the console's front door (/ui), and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gateway.config import Config
from gateway.i18n import LANGUAGES, translations
from gateway.ops.failed_logins import FailedLogins, Throttled
from gateway.storage.models import utcnow
from gateway.storage.repositories.web_sessions import WebSessions
from gateway.web.auth import PostedForm, SignedInUser, StoreDep
from gateway.web.csrf import SIGNIN_COOKIE, CsrfRefused, check_origin, new_signin_token
from gateway.web.forms import read_form
from gateway.web.render import LANGUAGE_COOKIE, gettext, language_of, render
from gateway.web.sessions import COOKIE, LIFETIME, sign_in, sign_out

__all__ = ["home_path", "router"]

router = APIRouter(include_in_schema=False)

HOME = "/ui/cases"
_YEAR = 365 * 24 * 3600


def home_path() -> str:
    return HOME


def safe_next(value: str) -> str:
    """Where to go after signing in: only a page of the console (never another site)."""
    if (
        (value == "/ui" or value.startswith("/ui/"))
        and "//" not in value
        and "\\" not in value
        and all(c.isprintable() for c in value)
    ):
        return value
    return HOME


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/ui")
def front_door() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


def _sign_in_page(
    request: Request, next_page: str, error: str = "", name: str = "", status: int = 200
) -> HTMLResponse:
    token = new_signin_token()
    response = render(
        request,
        "signin.html",
        {"next_page": safe_next(next_page), "error": error, "name": name, "signin_token": token},
        status=status,
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=3600,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def _throttled_page(
    request: Request, next_page: str, name: str, refused: Throttled
) -> HTMLResponse:
    minutes = max(1, -(-refused.retry_after // 60))  # rounded up: never "0 minutes"
    message = translations(language_of(request)).ngettext(
        "Too many failed sign-ins. Try again in %(count)s minute.",
        "Too many failed sign-ins. Try again in %(count)s minutes.",
        minutes,
    ) % {"count": minutes}
    response = _sign_in_page(request, next_page, message, name=name, status=429)
    response.headers["Retry-After"] = str(refused.retry_after)
    return response


@router.get("/ui/login")
def sign_in_form(request: Request, next: str = HOME, lang: str = "") -> Response:
    if lang in LANGUAGES:
        # A language chosen before signing in is kept for this browser (a cookie).
        response = RedirectResponse(f"/ui/login?next={safe_next(next)}", status_code=303)
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            max_age=_YEAR,
            path="/ui",
            samesite="lax",
            secure=_secure(request),
        )
        return response
    return _sign_in_page(request, next)


@router.post("/ui/login")
async def sign_in_post(request: Request, store: StoreDep) -> Response:
    _ = gettext(request)
    form = await read_form(request)
    check_origin(request)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or form.one("csrf_token") != expected:
        raise CsrfRefused("the sign-in form is out of date")
    name, password = form.one("name").strip(), form.one("password")
    next_page = safe_next(form.one("next", HOME))
    # Failed sign-ins are throttled per user name and per address, across processes
    # (gateway.ops.failed_logins); a refused attempt is not even checked.
    config: Config = request.app.state.config
    throttle = FailedLogins(store, config.model.security.failed_logins)
    address = request.client.host if request.client else None
    user = name.lower() if name else None
    refused = throttle.check(user, address, utcnow())
    if refused is not None:
        return _throttled_page(request, next_page, name, refused)
    secret = sign_in(store, name, password, utcnow()) if name and password else None
    if secret is None:
        refused = throttle.failed(user, address, utcnow()) if name or password else None
        if refused is not None:
            return _throttled_page(request, next_page, name, refused)
        return _sign_in_page(
            request,
            next_page,
            _("The user name or the password is wrong."),
            name=name,
            status=401,
        )
    throttle.succeeded(name.lower())
    response = RedirectResponse(next_page, status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int(LIFETIME.total_seconds()),
        path="/ui",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(SIGNIN_COOKIE, path="/ui")
    return response


@router.post("/ui/logout")
def sign_out_post(
    request: Request, user: SignedInUser, form: PostedForm, store: StoreDep
) -> RedirectResponse:
    sign_out(store, user, utcnow())
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.post("/ui/language")
def choose_language(
    request: Request, user: SignedInUser, form: PostedForm, store: StoreDep
) -> RedirectResponse:
    language = form.one("language")
    back = safe_next(form.one("back", HOME))
    response = RedirectResponse(back, status_code=303)
    if language in LANGUAGES:
        with store.unit_of_work() as session:
            WebSessions(session).set_language(user.name, language)
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=_YEAR,
            path="/ui",
            samesite="lax",
            secure=_secure(request),
        )
    return response
