"""A workspace with cases waiting for approval, and users with passwords, for the console's
tests (in-process and in the browser)."""

from __future__ import annotations

from gateway.domain.passwords import hash_password
from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.users import Users
from gateway.storage.repositories.web_sessions import WebSessions
from tests.conftest import Workspace

PASSWORD = "correct horse battery staple"


def manual_approval(workspace: Workspace, second_above: str | None = None) -> None:
    approval = (
        f'{{mode: manual, second_approval_above: "{second_above}"}}' if second_above else "manual"
    )
    text = workspace.config_path.read_text().replace("approval: automatic", f"approval: {approval}")
    workspace.config_path.write_text(text)


def add_person(store: Store, name: str, role: Role, password: str = PASSWORD) -> None:
    """A user with a password, as `claimbridge user add` and `user password` make them."""
    with store.unit_of_work() as session:
        users = Users(session)
        user = users.add(name, role, utcnow())
        WebSessions(session).set_password(user, hash_password(password), utcnow())


def proposed_cases(workspace: Workspace, store: Store, second_above: str | None = None) -> None:
    """Extract the sample export and select: cases wait for accounting's approval."""
    manual_approval(workspace, second_above)
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
