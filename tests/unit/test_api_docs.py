"""The API guides stay true: every accounting endpoint and every role is documented."""

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from gateway.api import case_decisions, case_timeline, cases
from gateway.domain.users import Role

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(
    "route",
    [
        r
        for r in [*cases.router.routes, *case_timeline.router.routes, *case_decisions.router.routes]
        if isinstance(r, APIRoute)
    ],
    ids=lambda r: f"{sorted(r.methods)[0]} {r.path}",
)
def test_every_case_endpoint_is_in_the_accounting_guide(route: APIRoute) -> None:
    guide = (DOCS / "accounting.md").read_text(encoding="utf-8")
    assert f"`{sorted(route.methods)[0]} {route.path}`" in guide


@pytest.mark.parametrize("role", list(Role))
def test_every_role_is_in_the_it_guide(role: Role) -> None:
    guide = (DOCS / "it.md").read_text(encoding="utf-8")
    assert f"| `{role.value}` |" in guide
