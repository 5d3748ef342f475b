"""Who may see a page or do an action of the console: the signed-in user and their role.

The roles are the API's (gateway.domain.users: `READERS`, `DECIDERS`, `OPERATORS`, which
gateway.api.security admits by), so a page admits exactly whom the endpoint behind it admits:

    @router.get("/ui/cases")
    def work_list(request: Request, user: Reader) -> HTMLResponse: ...

    @router.post("/ui/cases/decide")
    def decide(request: Request, user: Decider, form: PostedForm) -> HTMLResponse: ...

Without a valid session a page answers a redirect to the sign-in page (which comes back after);
with one of a role the page does not admit, 403. `PostedForm` reads the form and refuses it
(403) without the session's CSRF token or from another origin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.config import Config
from gateway.domain.users import DECIDERS, OPERATORS, READERS, Role
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.web.csrf import check_origin, check_token, session_token
from gateway.web.forms import Form, read_form
from gateway.web.sessions import COOKIE, SignedIn, find_session

__all__ = [
    "ConfigDep",
    "Decider",
    "NotAdmitted",
    "Operator",
    "PostedForm",
    "Reader",
    "SignInRequired",
    "SignedInUser",
    "StoreDep",
    "signed_in",
]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _config(request: Request) -> Config:
    config: Config = request.app.state.config
    return config


StoreDep = Annotated[Store, Depends(_store)]
ConfigDep = Annotated[Config, Depends(_config)]


class SignInRequired(Exception):
    """No valid session: the answer sends the browser to the sign-in page."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


class NotAdmitted(Exception):
    """A signed-in user whose role the page does not admit."""

    def __init__(self, user: SignedIn, roles: frozenset[Role]) -> None:
        super().__init__(user.name)
        self.user = user
        self.roles = roles


def signed_in(request: Request, store: StoreDep) -> SignedIn:
    found = find_session(store, request.cookies.get(COOKIE, ""), utcnow())
    if found is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(back if request.method == "GET" else request.url.path)
    request.state.signed_in = found
    return found


SignedInUser = Annotated[SignedIn, Depends(signed_in)]


def _admitting(roles: frozenset[Role]) -> object:
    def admit(user: SignedInUser) -> SignedIn:
        if user.role not in roles:
            raise NotAdmitted(user, roles)
        return user

    return admit


Reader = Annotated[SignedIn, Depends(_admitting(READERS))]
Decider = Annotated[SignedIn, Depends(_admitting(DECIDERS))]
Operator = Annotated[SignedIn, Depends(_admitting(OPERATORS))]


async def posted_form(request: Request, user: SignedInUser) -> Form:
    form = await read_form(request)
    check_origin(request)
    check_token(request, form, session_token(user.secret))
    return form


PostedForm = Annotated[Form, Depends(posted_form)]
