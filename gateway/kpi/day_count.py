"""Whole days between two instants, in SQL, the same on SQLite and PostgreSQL: the difference
of their UTC calendar dates (so an average of days is exact: a sum of integers over a count)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, cast, func

__all__ = ["days_between", "days_from_dates"]


def days_between(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    if dialect == "sqlite":
        # Instants are stored as naive UTC text; date() takes their calendar day.
        return cast(func.julianday(func.date(end)) - func.julianday(func.date(start)), Integer)
    # timezone('UTC', timestamptz) is the UTC wall time, whatever the session's time zone.
    return cast(
        cast(func.timezone("UTC", end), Date) - cast(func.timezone("UTC", start), Date), Integer
    )


def days_from_dates(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """`end` − `start` in days, for two DATE columns."""
    if dialect == "sqlite":
        return cast(func.julianday(end) - func.julianday(start), Integer)
    return cast(end - start, Integer)
