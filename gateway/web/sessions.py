"""Signing in to the web console: passwords checked, sessions opened, found and ended.

The browser holds a random 256-bit secret in the `cb_session` cookie (HttpOnly, SameSite=Lax,
Path=/ui, Secure when the console is served over HTTPS); the database holds its SHA-256 and the
session's times. A session ends when its user signs out, after `IDLE` without a request, after
`LIFETIME` at most, when its user is disabled, or when their password is changed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from gateway.domain.passwords import hash_password, needs_rehash, verify_password
from gateway.domain.users import Role
from gateway.storage.database import Store
from gateway.storage.repositories.users import Users
from gateway.storage.repositories.web_sessions import SEEN_PRECISION, WebSessions

__all__ = [
    "COOKIE",
    "IDLE",
    "LIFETIME",
    "SignedIn",
    "find_session",
    "sign_in",
    "sign_out",
]

log = logging.getLogger(__name__)

COOKIE = "cb_session"
IDLE = timedelta(hours=1)
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The person behind a request of the console."""

    name: str
    role: Role
    language: str | None  # their chosen language; None: the browser's
    session_pk: int
    secret: str  # the cookie's value (for the CSRF token; never logged)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def sign_in(store: Store, name: str, password: str, now: datetime) -> str | None:
    """A new session's cookie value if `name` and `password` are right and the user is
    active and has a password; None otherwise (without saying which was wrong)."""
    with store.unit_of_work() as session:
        user = Users(session).by_name(name.strip().lower())
        stored = user.password_hash if user is not None else None
        if not verify_password(password, stored) or user is None or not user.active:
            return None
        if stored and needs_rehash(stored):
            user.password_hash = hash_password(password)
        secret = secrets.token_urlsafe(32)
        WebSessions(session).open(user, digest(secret), now, LIFETIME)
        return secret


def find_session(store: Store, secret: str, now: datetime) -> SignedIn | None:
    """The signed-in user of a session cookie, or None if it is unknown, ended, expired or
    idle too long, or its user is disabled."""
    if not secret or len(secret) > 100:
        return None
    with store.unit_of_work(read_only=True) as session:
        holder = WebSessions(session).holder(digest(secret))
    if (
        holder is None
        or holder.ended
        or not holder.user_active
        or now >= holder.expires_at
        or now - holder.last_seen_at >= IDLE
    ):
        return None
    if now - holder.last_seen_at >= SEEN_PRECISION:
        try:
            with store.unit_of_work() as session:
                WebSessions(session).seen(holder.session_pk, now)
        except SQLAlchemyError as exc:  # a page must not fail over a "last seen" time
            log.warning("could not record the use of a console session: %s", exc)
    return SignedIn(holder.user_name, holder.role, holder.language, holder.session_pk, secret)


def sign_out(store: Store, signed_in: SignedIn, now: datetime) -> None:
    with store.unit_of_work() as session:
        WebSessions(session).end(signed_in.session_pk, now)
