"""one head again: rules and operations

Revision ID: 0009_heads
Revises: 0006_rules, 0008_ops
Create Date: 2026-11-22 16:38:20.694712
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009_heads"
down_revision: str | Sequence[str] | None = ("0006_rules", "0008_ops")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
