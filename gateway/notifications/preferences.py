"""Each user's notification settings: the address, the kinds of e-mail, the daily digest. The
CLI (`claimbridge notify prefs`) and the console's settings page both go through here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.config.notifications import NOTIFICATION_KINDS
from gateway.storage.models import NotificationPreferenceRow, UserRow

__all__ = ["Preferences", "PreferencesRefused", "preferences_of", "set_preferences"]

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PreferencesRefused(ValueError):
    """The settings cannot be saved; the message says why."""


@dataclass(frozen=True, slots=True)
class Preferences:
    email: str
    kinds: tuple[str, ...]
    digest: bool


def _user(session: Session, name: str) -> UserRow:
    user = session.scalars(select(UserRow).where(UserRow.name == name)).first()
    if user is None:
        raise PreferencesRefused(f"no user {name!r}")
    return user


def preferences_of(session: Session, name: str) -> Preferences | None:
    user = _user(session, name)
    row = session.scalars(
        select(NotificationPreferenceRow).where(NotificationPreferenceRow.user_id == user.id)
    ).first()
    if row is None:
        return None
    return Preferences(row.email, tuple(k for k in row.kinds.split(",") if k), row.digest)


def set_preferences(
    session: Session,
    name: str,
    now: datetime,
    *,
    email: str | None = None,
    kinds: Sequence[str] | None = None,
    digest: bool | None = None,
) -> Preferences:
    """Change what is given, keep the rest.

    Raises:
        PreferencesRefused: no such user, a bad address, an unknown kind, or no address yet.
    """
    unknown = [k for k in kinds or () if k not in NOTIFICATION_KINDS]
    if unknown:
        raise PreferencesRefused(
            f"unknown kinds {', '.join(unknown)} (kinds: {', '.join(NOTIFICATION_KINDS)})"
        )
    if email is not None and not _ADDRESS.match(email):
        raise PreferencesRefused(f"{email!r} is not an e-mail address")
    user = _user(session, name)
    row = session.scalars(
        select(NotificationPreferenceRow).where(NotificationPreferenceRow.user_id == user.id)
    ).first()
    if row is None:
        if email is None:
            raise PreferencesRefused("an e-mail address is needed first")
        row = NotificationPreferenceRow(
            user_id=user.id, email=email, kinds="", digest=True, updated_at=now
        )
        session.add(row)
    if email is not None:
        row.email = email
    if kinds is not None:
        row.kinds = ",".join(k for k in NOTIFICATION_KINDS if k in kinds)
    if digest is not None:
        row.digest = digest
    row.updated_at = now
    return Preferences(row.email, tuple(k for k in row.kinds.split(",") if k), row.digest)
