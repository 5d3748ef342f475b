"""one head again: agency API and users

Revision ID: 0012_heads
Revises: 0010_agency_api, 0011_users
Create Date: 2026-11-22 17:49:18.438888
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012_heads"
down_revision: str | Sequence[str] | None = ("0010_agency_api", "0011_users")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
