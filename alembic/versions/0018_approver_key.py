"""approver key: one approval per person and case, held by the database

Revision ID: 0018_approver_key
Revises: 0017_auth_failures
Create Date: 2026-12-05 13:30:00

`case_approvals.approver_key` is the approver as the four-eyes rule compares people (without
regard to case, surrounding blanks or the " (cli)" suffix of older command lines), unique per
case. Approvals that concurrent requests stored twice for one person before this revision are
kept once (the first).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_approver_key"
down_revision: str | Sequence[str] | None = "0017_auth_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_approvals = sa.table(
    "case_approvals",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("approver", sa.String()),
    sa.column("approver_key", sa.String()),
)


def _approver_key(name: str) -> str:
    """As gateway.storage.repositories.policies.approver_key (a migration keeps its own copy)."""
    person = name.strip().casefold()
    if person.endswith(" (cli)"):
        person = person.removesuffix(" (cli)").strip()
    return person


def upgrade() -> None:
    with op.batch_alter_table("case_approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approver_key", sa.String(length=128), nullable=True))
    connection = op.get_bind()
    seen: set[tuple[int, str]] = set()
    rows = connection.execute(
        sa.select(_approvals.c.id, _approvals.c.case_id, _approvals.c.approver).order_by(
            _approvals.c.id
        )
    ).all()
    for id_, case_id, approver in rows:
        key = _approver_key(approver)
        if (case_id, key) in seen:
            connection.execute(sa.delete(_approvals).where(_approvals.c.id == id_))
            continue
        seen.add((case_id, key))
        connection.execute(
            sa.update(_approvals).where(_approvals.c.id == id_).values(approver_key=key)
        )
    with op.batch_alter_table("case_approvals", schema=None) as batch_op:
        batch_op.alter_column("approver_key", existing_type=sa.String(length=128), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_case_approvals_case_id_approver_key"), ["case_id", "approver_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("case_approvals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_case_approvals_case_id_approver_key"), type_="unique"
        )
        batch_op.drop_column("approver_key")
