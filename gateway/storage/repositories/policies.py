"""Policy versions, selection runs and case approvals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.storage.models import CaseApprovalRow, PolicyVersionRow, SelectionRunRow

__all__ = ["ApprovalRepository", "PolicyRepository", "approver_key"]


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_version(self, name: str, sha256: str) -> PolicyVersionRow | None:
        return self.session.scalars(
            select(PolicyVersionRow).where(
                PolicyVersionRow.name == name, PolicyVersionRow.sha256 == sha256
            )
        ).first()

    def version(self, name: str, sha256: str, definition: str, now: datetime) -> PolicyVersionRow:
        """The stored version of this definition, stored now if it is new."""
        found = self.find_version(name, sha256)
        if found is not None:
            return found
        row = PolicyVersionRow(name=name, sha256=sha256, definition=definition, first_used_at=now)
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:  # stored meanwhile by a concurrent run
            found = self.find_version(name, sha256)
            if found is None:
                raise
            return found
        return row

    def get_version(self, version_id: int) -> PolicyVersionRow | None:
        return self.session.get(PolicyVersionRow, version_id)

    def versions(self, name: str) -> list[PolicyVersionRow]:
        return list(
            self.session.scalars(
                select(PolicyVersionRow)
                .where(PolicyVersionRow.name == name)
                .order_by(PolicyVersionRow.id)
            )
        )

    def record_run(
        self,
        *,
        policy: str,
        version_id: int,
        as_of: date,
        ran_at: datetime,
        candidates: int,
        selected_items: int,
        cases: int,
        figures: dict[str, Any],
    ) -> SelectionRunRow:
        row = SelectionRunRow(
            policy=policy,
            policy_version_id=version_id,
            as_of=as_of,
            ran_at=ran_at,
            candidates=candidates,
            selected_items=selected_items,
            cases=cases,
            figures=figures,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def last_run(self, policy: str) -> SelectionRunRow | None:
        return self.session.scalars(
            select(SelectionRunRow)
            .where(SelectionRunRow.policy == policy)
            .order_by(SelectionRunRow.id.desc())
            .limit(1)
        ).first()


_LEGACY_CLI_SUFFIX = " (cli)"  # how the command line once marked its (unproven) names


def approver_key(name: str) -> str:
    """A person as the four-eyes rule compares people: without regard to case or surrounding
    blanks, and without the suffix " (cli)" older versions of the command line added
    ("Alice ", "alice" and "alice (cli)" are one person)."""
    person = name.strip().casefold()
    if person.endswith(_LEGACY_CLI_SUFFIX):
        person = person.removesuffix(_LEGACY_CLI_SUFFIX).strip()
    return person


class ApprovalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def approvals(self, case_id: int) -> list[CaseApprovalRow]:
        return list(
            self.session.scalars(
                select(CaseApprovalRow)
                .where(CaseApprovalRow.case_id == case_id)
                .order_by(CaseApprovalRow.id)
            )
        )

    def add(self, case_id: int, decision_id: str, approver: str, at: datetime) -> None:
        """Record `approver`'s approval.

        Raises:
            IntegrityError: the person approved the case already (the unique
                (case_id, approver_key)): the caller locks the case and checks first, so this
                is the database's guard, not the way the rule is told to a person.
        """
        self.session.add(
            CaseApprovalRow(
                case_id=case_id,
                decision_id=decision_id,
                approver=approver,
                approver_key=approver_key(approver),
                approved_at=at,
            )
        )
        self.session.flush()
