"""auth failures: the throttle of failed sign-ins, shared by every process

Revision ID: 0017_auth_failures
Revises: 0016_loop_faults
Create Date: 2026-12-05 13:30:00

Failed authentications are counted per user name and per client address in the database, so
that the limit holds however many `claimbridge serve` processes answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_auth_failures"
down_revision: str | Sequence[str] | None = "0016_loop_faults"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failures")),
        sa.UniqueConstraint("key", name=op.f("uq_auth_failures_key")),
    )
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_failures_window_started_at"), ["window_started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_failures_window_started_at"))
    op.drop_table("auth_failures")
