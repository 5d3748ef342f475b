"""work list indexes: the sorts by amount, age and debtor name read a page's ids from indexes

Revision ID: 0018_work_list_indexes
Revises: 0017_auth_failures
Create Date: 2026-12-05 14:30:00

At 100,000 cases the work list sorted by amount, oldest debt or debtor name sorted every waiting
case row to keep 51 (200-400 ms). With these covering indexes the page's ids come from the
indexes alone (tests/benchmarks/console.py prints the figures; docs/it.md, "Speed").
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018_work_list_indexes"
down_revision: str | Sequence[str] | None = "0017_auth_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_state_amount", "cases", ["state", "handed_over_minor", "currency", "id"]
    )
    op.create_index("ix_cases_state_due", "cases", ["state", "oldest_due_date", "id"])
    op.create_index("ix_cases_state_debtor", "cases", ["state", "source", "debtor_number", "id"])
    op.create_index(
        "ix_debtors_source_number_name", "debtors", ["source", "number", "name", "segment"]
    )


def downgrade() -> None:
    op.drop_index("ix_debtors_source_number_name", table_name="debtors")
    op.drop_index("ix_cases_state_debtor", table_name="cases")
    op.drop_index("ix_cases_state_due", table_name="cases")
    op.drop_index("ix_cases_state_amount", table_name="cases")
