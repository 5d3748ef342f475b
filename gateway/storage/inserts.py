"""`INSERT ... ON CONFLICT DO NOTHING` on SQLite and PostgreSQL alike.

For rows that must exist once (an event of a case, an outbox message): one statement instead
of a look-up, a savepoint and an insert, safe against a concurrent transaction inserting the
same key (PostgreSQL waits for it, then does nothing), and no autoflush of the session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

__all__ = ["insert_new"]


_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def _statement(dialect: str, table: Table, unique: tuple[str, ...]) -> Any:
    # Built once per table: the values travel as parameters, so SQLAlchemy's compiled cache
    # is hit instead of keying a new statement for every row.
    cached = _STATEMENTS.get((dialect, table.name, unique))
    if cached is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        key = next(iter(table.primary_key.columns))
        cached = insert(table).on_conflict_do_nothing(index_elements=list(unique)).returning(key)
        _STATEMENTS[(dialect, table.name, unique)] = cached
    return cached


def insert_new(
    session: Session, table: Table, values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """Insert one row unless a row with the same `unique` columns exists; True if inserted."""
    statement = _statement(session.get_bind().dialect.name, table, tuple(unique))
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT whose keys SQLAlchemy fetches.
    return session.execute(statement, dict(values)).first() is not None
