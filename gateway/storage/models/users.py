"""People who use the accounting and IT endpoints, and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.models.base import Base, UtcDateTime, utcnow

__all__ = ["AuthFailureRow", "UserRow", "UserTokenRow", "WebSessionRow"]


class UserRow(Base):
    """A person and their role (accounting | integrator | it). Never deleted: their name stays
    in the history of the cases they decided on; `disable` switches them off."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The web console: a scrypt hash (gateway.domain.passwords; none: the user cannot sign in
    # in a browser) and the language the pages are shown in (none: the browser's).
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)


class UserTokenRow(Base):
    """An API token of a user: the SHA-256 of the token, never the token itself."""

    __tablename__ = "user_tokens"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WebSessionRow(Base):
    """A signed-in browser: the SHA-256 of its session cookie, never the cookie itself. Ended
    by signing out, by expiry, or when the user is disabled or changes password."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AuthFailureRow(Base):
    """Failed authentications of one key (`user:<name>` or `address:<client address>`) in
    the current window: the state of the throttle of failed sign-ins, shared by every
    process (gateway.ops.failed_logins). Rows whose window is over are deleted as new
    failures are recorded."""

    __tablename__ = "auth_failures"
    __table_args__ = (Index(None, "window_started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(Integer)
