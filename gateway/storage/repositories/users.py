"""Users and their API tokens: who they are, which tokens they hold, and rotation.

A user holds at most `MAX_ACTIVE_TOKENS` tokens at once: one in use and its successor while the
person's tools move over (make the new one, switch, revoke the old one). A third would mean an
old token was forgotten, so it is refused until one is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.domain.users import (
    IssuedToken,
    Role,
    check_user_name,
    issue_token,
    parse_token,
    secret_digest,
    secret_matches,
)
from gateway.storage.models import UserRow, UserTokenRow

__all__ = ["MAX_ACTIVE_TOKENS", "TokenCheck", "TokenHolder", "UserError", "Users"]

MAX_ACTIVE_TOKENS = 2
# `last_used_at` is written at most this often per token, so that reading does not write.
LAST_USED_PRECISION = timedelta(minutes=1)
# Compared against when the token id is unknown, so that an unknown id costs what a wrong
# secret costs.
_NOBODY = secret_digest("cbu_000000000000_nobody")


class UserError(ValueError):
    """A user command that cannot be done (the message says why and what to do)."""


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """A token as found for authentication, with its user."""

    token_pk: int
    digest: str
    revoked: bool
    last_used_at: datetime | None
    user_name: str
    role: Role
    user_active: bool


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What a presented token turned out to be: `holder` is set only when it is valid (a
    known, unrevoked token of an active user whose secret matches). `token_id` names a token
    that has the form of one (for logs: it is public), valid or not."""

    holder: TokenHolder | None
    token_id: str | None
    well_formed: bool


class Users:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_name(self, name: str) -> UserRow | None:
        return self.session.scalars(select(UserRow).where(UserRow.name == name)).first()

    def get(self, name: str) -> UserRow:
        """The user `name`.

        Raises:
            UserError: there is none.
        """
        user = self.by_name(name)
        if user is None:
            raise UserError(f"no user {name!r} (see `claimbridge user list`)")
        return user

    def all(self) -> list[UserRow]:
        return list(self.session.scalars(select(UserRow).order_by(UserRow.name)))

    def add(self, name: str, role: Role, now: datetime) -> UserRow:
        try:
            check_user_name(name)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if self.by_name(name) is not None:
            raise UserError(f"user {name!r} exists already")
        user = UserRow(name=name, role=role.value, active=True, created_at=now)
        self.session.add(user)
        self.session.flush()
        return user

    def tokens(self, user: UserRow) -> list[UserTokenRow]:
        """All the user's tokens, revoked ones too, oldest first."""
        query = (
            select(UserTokenRow).where(UserTokenRow.user_id == user.id).order_by(UserTokenRow.id)
        )
        return list(self.session.scalars(query))

    def active_tokens(self, user: UserRow) -> list[UserTokenRow]:
        return [t for t in self.tokens(user) if t.revoked_at is None]

    def new_token(self, user: UserRow, now: datetime) -> IssuedToken:
        """A new token for `user`; the caller shows `value` once.

        Raises:
            UserError: the user is disabled, or already holds two active tokens.
        """
        if not user.active:
            raise UserError(f"user {user.name!r} is disabled")
        active = self.active_tokens(user)
        if len(active) >= MAX_ACTIVE_TOKENS:
            ids = ", ".join(t.token_id for t in active)
            raise UserError(
                f"user {user.name!r} has {len(active)} active tokens already ({ids}): revoke "
                f"the one no longer used with `claimbridge user revoke {user.name} TOKEN_ID`"
            )
        issued = issue_token()
        self.session.add(
            UserTokenRow(
                token_id=issued.token_id,
                user_id=user.id,
                secret_sha256=issued.digest,
                created_at=now,
            )
        )
        self.session.flush()
        return issued

    def revoke(self, user: UserRow, token_id: str, now: datetime) -> UserTokenRow:
        """Revoke one of the user's tokens (revoking a revoked token changes nothing).

        Raises:
            UserError: the user has no token of that id.
        """
        token = next((t for t in self.tokens(user) if t.token_id == token_id), None)
        if token is None:
            raise UserError(f"user {user.name!r} has no token {token_id!r}")
        if token.revoked_at is None:
            token.revoked_at = now
        return token

    def disable(self, user: UserRow, now: datetime) -> None:
        """Switch the user off: their tokens stop working at once (they stay listed)."""
        if user.active:
            user.active = False
            user.disabled_at = now

    def holder(self, token_id: str) -> TokenHolder | None:
        """The token of that public id and its user, for authentication (one query)."""
        query = (
            select(UserTokenRow, UserRow)
            .join(UserRow, UserRow.id == UserTokenRow.user_id)
            .where(UserTokenRow.token_id == token_id)
        )
        found = self.session.execute(query).first()
        if found is None:
            return None
        token, user = found
        return TokenHolder(
            token_pk=token.id,
            digest=token.secret_sha256,
            revoked=token.revoked_at is not None,
            last_used_at=token.last_used_at,
            user_name=user.name,
            role=Role(user.role),
            user_active=user.active,
        )

    def authenticate(self, value: str) -> TokenCheck:
        """Check a presented user token (`cbu_<token id>_<secret>`), in constant time whatever
        is wrong with it. The API (gateway.api.security) and the command line's decisions
        (gateway.cli.identity) both authenticate through here."""
        parts = parse_token(value)
        if parts is None:
            return TokenCheck(None, None, well_formed=False)
        holder = self.holder(parts.token_id)
        matches = secret_matches(parts.value, holder.digest if holder else _NOBODY)
        valid = holder is not None and matches and not holder.revoked and holder.user_active
        return TokenCheck(holder if valid else None, parts.token_id, well_formed=True)

    def mark_used(self, token_pk: int, now: datetime) -> None:
        """Record that the token was used now (unless that is already known to the minute)."""
        self.session.execute(
            update(UserTokenRow)
            .where(
                UserTokenRow.id == token_pk,
                (UserTokenRow.last_used_at.is_(None))
                | (UserTokenRow.last_used_at < now - LAST_USED_PRECISION),
            )
            .values(last_used_at=now)
        )

    @staticmethod
    def needs_mark(holder: TokenHolder, now: datetime) -> bool:
        return holder.last_used_at is None or holder.last_used_at < now - LAST_USED_PRECISION
