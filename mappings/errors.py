"""Errors of the mapping language.

    MappingError
    ├── MappingSpecError   a mapping file is invalid (names the file, the key, the problem)
    ├── ColumnsError       an input lacks columns a mapping needs (names them)
    └── RecordError        one record could not be mapped (names each field and why)

`FieldError` is raised by a single step or coercion; the engine gathers them into a
`RecordError` for the record.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ColumnsError", "FieldError", "MappingError", "MappingSpecError", "RecordError"]


class MappingError(Exception):
    """Base of every mapping error."""


class MappingSpecError(MappingError):
    """A mapping file does not validate."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"mapping {source} is invalid:\n{lines}")


class ColumnsError(MappingError):
    """The input's columns do not include those the mapping reads."""

    def __init__(self, mapping: str, missing: Sequence[str], found: Sequence[str]) -> None:
        self.missing = list(missing)
        shown = ", ".join(found[:30]) + (", ..." if len(found) > 30 else "")
        super().__init__(
            f"columns required by mapping {mapping!r} are missing: {', '.join(missing)} "
            f"(found: {shown})"
        )


class FieldError(ValueError):
    """A value could not be converted. `field` is filled in by the engine."""

    def __init__(self, reason: str, value: object = None, field: str = "") -> None:
        self.reason = reason
        self.value = value
        self.field = field
        super().__init__(reason)

    def __str__(self) -> str:
        shown = "" if self.value in (None, "") else f" (value {self.value!r})"
        prefix = f"{self.field}: " if self.field else ""
        return f"{prefix}{self.reason}{shown}"


class RecordError(MappingError):
    """One record failed; `errors` lists every field that failed and why."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.errors]
