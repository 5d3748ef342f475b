"""The signed-in user's notification settings: where their e-mails go, which kinds they want
and the daily digest (gateway.notifications.preferences)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from gateway.config.notifications import NOTIFICATION_KINDS
from gateway.domain.users import Role
from gateway.notifications.preferences import (
    PreferencesRefused,
    preferences_of,
    set_preferences,
)
from gateway.storage.models import utcnow
from gateway.web.auth import PostedForm, SignedInUser, StoreDep
from gateway.web.nav import N_, NavEntry
from gateway.web.render import gettext, render

__all__ = ["KIND_LABELS", "NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/settings/notifications", N_("My e-mails"), frozenset(Role), order=90)]
KIND_LABELS = {
    "proposals": N_("Cases proposed for handover"),
    "payments": N_("Payments collected by agencies"),
    "disputes": N_("Disputes"),
    "uncollectible": N_("Cases returned uncollectible"),
    "broken_promises": N_("Broken promises to pay"),
}
PATH = "/ui/settings/notifications"


def _page(
    request: Request,
    name: str,
    store: StoreDep,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    with store.unit_of_work(read_only=True) as session:
        found = preferences_of(session, name)
    return render(
        request,
        "notification_settings.html",
        {
            "found": found,
            "kinds": [(k, KIND_LABELS[k]) for k in NOTIFICATION_KINDS],
            "message": message,
            "error": error,
        },
        status,
    )


@router.get(PATH)
def settings(request: Request, user: SignedInUser, store: StoreDep) -> HTMLResponse:
    return _page(request, user.name, store)


@router.post(PATH)
def save(request: Request, user: SignedInUser, form: PostedForm, store: StoreDep) -> HTMLResponse:
    _ = gettext(request)
    email = form.one("email").strip()
    try:
        with store.unit_of_work() as session:
            set_preferences(
                session,
                user.name,
                utcnow(),
                email=email,
                kinds=[k for k in form.all("kind") if k in NOTIFICATION_KINDS],
                digest=form.one("digest") == "on",
            )
    except PreferencesRefused:
        return _page(
            request, user.name, store, error=_("Please give a valid e-mail address."), status=422
        )
    return _page(request, user.name, store, message=_("Your settings are saved."))
