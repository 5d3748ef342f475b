"""Users with real tokens for the API tests, made the way `claimbridge user` makes them."""

from __future__ import annotations

from gateway.domain.users import Role
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.users import Users


def add_user(store: Store, name: str, role: Role | str) -> str:
    """A new user of `role`; returns their first token."""
    with store.unit_of_work() as session:
        users = Users(session)
        now = utcnow()
        return users.new_token(users.add(name, Role(role), now), now).value


def new_token(store: Store, name: str) -> str:
    with store.unit_of_work() as session:
        users = Users(session)
        return users.new_token(users.get(name), utcnow()).value


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
