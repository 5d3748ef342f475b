"""Who may call the accounting and IT endpoints: bearer tokens of users, and their roles.

Every accounting and IT request carries `Authorization: Bearer cbu_<token id>_<secret>`, a token
made with `claimbridge user add` / `claimbridge user token`. No token, or one that is unknown,
revoked or belongs to a disabled user → 401 with `WWW-Authenticate`; a valid token of a role
the endpoint does not admit → 403 naming the roles it needs.

The role matrix (also in docs/it.md, "Users and roles"):

| dependency        | admits to                                   | accounting | integrator | it  |
|-------------------|---------------------------------------------|------------|------------|-----|
| `accounting_user` | business data: cases, timelines, policies   | yes        | yes        | yes |
| `deciding_user`   | decisions: approve, hold, recall...         | yes        | yes        | no  |
| `it_user`         | transfer log, retries, jobs and their runs  | no         | yes        | yes |

The integrator configures and operates claimbridge, so may do everything. IT's job is to watch
transfers and retry the failed ones (and run a job now): it may read the business data that
explains a transfer, but never decides on a case. Accounting decides on cases; the plumbing of
transfers and jobs is not theirs.

Tests replace these dependencies with FastAPI's `app.dependency_overrides`
(`app.dependency_overrides[accounting_user] = lambda: "alice"`,
`app.dependency_overrides[it_user] = lambda: ItUser("it-operator")`).

Secrets never reach a log or an answer: a refused token is named by its public token id at
most, and the answers do not say which of unknown / revoked / disabled it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from gateway.api.deps import get_config, get_store
from gateway.config import Config
from gateway.domain.users import DECIDERS, OPERATORS, READERS, Role
from gateway.ops.failed_logins import FailedLogins
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.users import Users

__all__ = [
    "AccountingUser",
    "ApiUser",
    "DecidingUser",
    "ItUser",
    "accounting_user",
    "current_user",
    "deciding_user",
    "it_user",
    "refused_token",
    "snapshot_user",
]

log = logging.getLogger(__name__)

_CHALLENGE = 'Bearer realm="claimbridge"'

_bearer = HTTPBearer(
    scheme_name="user token",
    description="A user's token: `Authorization: Bearer cbu_<token id>_<secret>` "
    "(made with `claimbridge user add` or `claimbridge user token`).",
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class ApiUser:
    """The authenticated person making a request."""

    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class ItUser:
    """An authenticated IT operator (or integrator)."""

    name: str


def _unauthorized(detail: str, *, invalid: bool) -> HTTPException:
    challenge = f'{_CHALLENGE}, error="invalid_token"' if invalid else _CHALLENGE
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge}
    )


def refused_token(request: Request, store: Store, config: Config, detail: str) -> HTTPException:
    """The answer to a wrong user token or agency key: 401, or 429 with Retry-After once the
    client's address is past `security.failed_logins.per_address` (gateway.ops.failed_logins).
    """
    address = request.client.host if request.client else None
    throttled = FailedLogins(store, config.model.security.failed_logins).failed(
        None, address, utcnow()
    )
    if throttled is None:
        return _unauthorized(detail, invalid=True)
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"too many failed authentications from this address: retry in {throttled.retry_after} s",
        headers={"Retry-After": str(throttled.retry_after)},
    )


def current_user(
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    config: Annotated[Config, Depends(get_config)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiUser:
    """The user whose token the request carries.

    Raises:
        HTTPException: 401 without a valid token of an active user; 429 (Retry-After) when
            the client's address has failed too often (gateway.ops.failed_logins).
    """
    if credentials is None:
        raise _unauthorized(
            "this endpoint needs a user token: `Authorization: Bearer cbu_...`", invalid=False
        )
    with store.unit_of_work(read_only=True) as session:
        check = Users(session).authenticate(credentials.credentials)
    holder = check.holder
    if not check.well_formed:
        raise refused_token(
            request, store, config, "the bearer token is not a claimbridge user token"
        )
    if holder is None:
        log.info("user token %s refused (unknown, wrong, revoked or user disabled)", check.token_id)
        raise refused_token(
            request, store, config, "the token is unknown or revoked, or its user is disabled"
        )
    now = utcnow()
    if Users.needs_mark(holder, now):
        try:
            with store.unit_of_work() as session:
                Users(session).mark_used(holder.token_pk, now)
        except SQLAlchemyError as exc:  # the request must not fail over a usage timestamp
            log.warning("could not record the use of token %s: %s", check.token_id, exc)
    return ApiUser(holder.user_name, holder.role)


Authenticated = Annotated[ApiUser, Depends(current_user)]


def _admit(user: ApiUser, roles: frozenset[Role], what: str) -> None:
    if user.role not in roles:
        needed = " or ".join(sorted(r.value for r in roles))
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{what} needs the role {needed}; user {user.name} has the role {user.role.value}",
            headers={"WWW-Authenticate": f'{_CHALLENGE}, error="insufficient_scope"'},
        )


def accounting_user(user: Authenticated) -> str:
    """The name of the user reading business data (cases, timelines, policies): any role."""
    _admit(user, READERS, "reading cases and policies")
    return user.name


def deciding_user(user: Authenticated) -> str:
    """The name of the user deciding on a case (accounting or integrator)."""
    _admit(user, DECIDERS, "deciding on a case")
    return user.name


def it_user(user: Authenticated) -> ItUser:
    """The operator watching transfers and jobs, or retrying them (IT or integrator)."""
    _admit(user, OPERATORS, "the transfer log and jobs")
    return ItUser(user.name)


def snapshot_user(user: Authenticated) -> str:
    """The name of the user deciding on a held snapshot (accounting, IT or integrator)."""
    _admit(user, DECIDERS | OPERATORS, "deciding on a held snapshot")
    return user.name


AccountingUser = Annotated[str, Depends(accounting_user)]
DecidingUser = Annotated[str, Depends(deciding_user)]
