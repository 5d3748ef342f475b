"""Agency API keys: issued once, kept as SHA-256, at most two active per agency (rotation).

A key reads `cbk_<key id>_<secret>`: the key id finds the row, the secret is checked against
its stored hash with `hmac.compare_digest`. The secret itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.storage.models import AgencyApiKeyRow

__all__ = [
    "MAX_ACTIVE_KEYS",
    "SCOPES",
    "AgencyKeys",
    "IssuedKey",
    "KeyLimitReached",
    "parse_token",
]

SCOPES = ("cases:read", "events:write", "notices:read")
MAX_ACTIVE_KEYS = 2
PREFIX = "cbk_"


class KeyLimitReached(Exception):
    """The agency already has its two active keys."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    agency: str
    token: str  # shown once, to the integrator, never stored
    scopes: tuple[str, ...]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a `cbk_<key id>_<secret>` token; None if it is not one."""
    if not token.startswith(PREFIX):
        return None
    key_id, sep, secret = token[len(PREFIX) :].partition("_")
    if not sep or not key_id or not secret or len(key_id) > 32:
        return None
    return key_id, secret


class AgencyKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def active(self, agency: str) -> list[AgencyApiKeyRow]:
        query = (
            select(AgencyApiKeyRow)
            .where(AgencyApiKeyRow.agency == agency, AgencyApiKeyRow.revoked_at.is_(None))
            .order_by(AgencyApiKeyRow.id)
        )
        return list(self.session.scalars(query))

    def all(self, agency: str | None = None) -> list[AgencyApiKeyRow]:
        query = select(AgencyApiKeyRow).order_by(AgencyApiKeyRow.agency, AgencyApiKeyRow.id)
        if agency is not None:
            query = query.where(AgencyApiKeyRow.agency == agency)
        return list(self.session.scalars(query))

    def issue(self, agency: str, scopes: Iterable[str], now: datetime) -> IssuedKey:
        """A new key for `agency`.

        Raises:
            KeyLimitReached: the agency has MAX_ACTIVE_KEYS active keys already.
            ValueError: an unknown scope.
        """
        wanted = tuple(dict.fromkeys(scopes)) or SCOPES
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scope {unknown[0]!r} (scopes: {', '.join(SCOPES)})")
        count = self.session.scalar(
            select(func.count()).where(
                AgencyApiKeyRow.agency == agency, AgencyApiKeyRow.revoked_at.is_(None)
            )
        )
        if (count or 0) >= MAX_ACTIVE_KEYS:
            raise KeyLimitReached(
                f"agency {agency} already has {MAX_ACTIVE_KEYS} active keys: revoke one first "
                f"(claimbridge agency keys {agency}; claimbridge agency revoke {agency} KEY_ID)"
            )
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        self.session.add(
            AgencyApiKeyRow(
                key_id=key_id,
                agency=agency,
                secret_sha256=_digest(secret),
                scopes=" ".join(wanted),
                created_at=now,
            )
        )
        self.session.flush()
        return IssuedKey(key_id, agency, f"{PREFIX}{key_id}_{secret}", wanted)

    def revoke(self, agency: str, key_id: str, now: datetime) -> bool:
        """Revoke a key of `agency`; False if it has no such active key."""
        row = self.session.scalars(
            select(AgencyApiKeyRow).where(
                AgencyApiKeyRow.agency == agency,
                AgencyApiKeyRow.key_id == key_id,
                AgencyApiKeyRow.revoked_at.is_(None),
            )
        ).first()
        if row is None:
            return False
        row.revoked_at = now
        return True

    def verify(self, token: str) -> AgencyApiKeyRow | None:
        """The active key `token` stands for, or None (unknown, wrong secret, revoked)."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        row = self.session.scalars(
            select(AgencyApiKeyRow).where(AgencyApiKeyRow.key_id == key_id)
        ).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_sha256, _digest(secret)):
            return None
        return row
