"""Browser sessions of the web console, and users' passwords and languages.

A session is found by the SHA-256 of its cookie (the cookie itself is never stored), with its
user, in one query per request. `last_seen_at` is written at most once a minute, so that reading
pages does not write on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.domain.users import Role
from gateway.storage.models import UserRow, WebSessionRow

__all__ = ["SEEN_PRECISION", "SessionHolder", "WebSessions"]

SEEN_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SessionHolder:
    """A session as found for a request, with its user."""

    session_pk: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended: bool
    user_name: str
    role: Role
    user_active: bool
    language: str | None


class WebSessions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open(self, user: UserRow, digest: str, now: datetime, lifetime: timedelta) -> None:
        self.session.add(
            WebSessionRow(
                secret_sha256=digest,
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
            )
        )
        self.session.flush()

    def holder(self, digest: str) -> SessionHolder | None:
        query = (
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.secret_sha256 == digest)
        )
        found = self.session.execute(query).first()
        if found is None:
            return None
        row, user = found
        return SessionHolder(
            session_pk=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            ended=row.ended_at is not None,
            user_name=user.name,
            role=Role(user.role),
            user_active=user.active,
            language=user.language,
        )

    def seen(self, session_pk: int, now: datetime) -> None:
        self.session.execute(
            update(WebSessionRow)
            .where(
                WebSessionRow.id == session_pk,
                WebSessionRow.last_seen_at < now - SEEN_PRECISION,
            )
            .values(last_seen_at=now)
        )

    def end(self, session_pk: int, now: datetime) -> None:
        self.session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.id == session_pk, WebSessionRow.ended_at.is_(None))
            .values(ended_at=now)
        )

    def end_all(self, user: UserRow, now: datetime) -> int:
        """End every open session of `user` (a new password, a disabled user)."""
        result = self.session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.user_id == user.id, WebSessionRow.ended_at.is_(None))
            .values(ended_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def set_password(self, user: UserRow, password_hash: str, now: datetime) -> int:
        """Give `user` a new password hash; ends their open sessions (returns how many)."""
        user.password_hash = password_hash
        user.password_changed_at = now
        return self.end_all(user, now)

    def set_language(self, user_name: str, language: str) -> None:
        self.session.execute(
            update(UserRow).where(UserRow.name == user_name).values(language=language)
        )
