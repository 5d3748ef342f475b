"""Accounting's view of the handover policies: each policy and its version, a dry run (the
cases it would make now, what each criterion keeps out, what changed since the last run), and
why an item is or is not handed over. Nothing here changes anything."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict

from gateway.api.deps import ConfigDep, ReadSession, get_store
from gateway.api.security import AccountingUser
from gateway.pipeline.context import RunContext
from gateway.pipeline.select.dry_run import dry_run
from gateway.pipeline.select.explain import explain_item, parse_item_key
from gateway.pipeline.select.reports import (
    DryRunReport,
    ExplanationReport,
    dry_run_report,
    explanation_report,
)
from gateway.storage.database import Store
from gateway.storage.repositories.policies import PolicyRepository

__all__ = ["router"]

router = APIRouter(prefix="/v1/policies", tags=["policies"])

StoreDep = Annotated[Store, Depends(get_store)]
AsOf = Annotated[date | None, Query(description="business date (YYYY-MM-DD); default: today")]


class PolicySummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    agencies: list[str]  # the default first
    approval: str
    version: str
    version_sha256: str
    versions_used: int  # versions of this policy that have made cases


def _today(as_of: date | None) -> date:
    # The business date is the server's local calendar date, as for the CLI.
    return as_of or date.today()  # noqa: DTZ011


def _policy_name(config: ConfigDep, name: str) -> str:
    if name not in config.policies:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no policy {name!r} (policies: {', '.join(config.policies)})",
        )
    return name


@router.get("", summary="The handover policies and their current versions")
def list_policies(
    config: ConfigDep, session: ReadSession, user: AccountingUser
) -> list[PolicySummary]:
    versions = PolicyRepository(session)
    found = []
    for name in config.policies:
        policy = config.policy(name)
        found.append(
            PolicySummary(
                name=name,
                description=policy.config.description,
                agencies=policy.config.agencies(),
                approval=policy.config.approval.mode,
                version=policy.version.short,
                version_sha256=policy.version.sha256,
                versions_used=len(versions.versions(name)),
            )
        )
    return found


@router.get("/{name}/dry-run", summary="What the policy would select now (nothing is written)")
def policy_dry_run(
    name: str,
    config: ConfigDep,
    store: StoreDep,
    user: AccountingUser,
    as_of: AsOf = None,
    cases: Annotated[int, Query(ge=0, le=1000, description="largest cases to list")] = 100,
) -> DryRunReport:
    context = RunContext(config, store, _today(as_of))
    return dry_run_report(dry_run(context, _policy_name(config, name), list_cases=cases))


@router.get("/{name}/explain", summary="Why an item is or is not handed over")
def policy_explain(
    name: str,
    config: ConfigDep,
    session: ReadSession,
    user: AccountingUser,
    item: Annotated[
        str,
        Query(description="SOURCE:COMPANY/DOCUMENT/YEAR/LINE, e.g. erp:1000/1800001000/2026/001"),
    ],
    as_of: AsOf = None,
) -> ExplanationReport:
    try:
        key = parse_item_key(item)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    policy = config.policy(_policy_name(config, name))
    found = explain_item(session, policy, _today(as_of), key, config.rates)
    if found.facts is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{item}: {found.status}")
    return explanation_report(found)
