"""The CSV dialect of a file: what the mapping file says, overridden by the connector options."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mappings import FileFormat

__all__ = ["CsvDialect", "CsvDialectOptions"]


class CsvDialectOptions(BaseModel):
    """Overrides of the mapping file's `file:` section; anything left out is taken from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    quotechar: str | None = Field(default=None, min_length=1, max_length=1)
    escapechar: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None
    header: bool | None = None
    columns: list[str] | None = Field(
        default=None, description="column names, for files without a header line"
    )
    skip_lines: int | None = Field(
        default=None, ge=0, description="lines before the header to ignore"
    )
    header_starts_with: str | None = Field(
        default=None,
        min_length=1,
        description="the header is the first line whose first column is this (a preamble)",
    )

    @field_validator("encoding")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"unknown encoding {v!r}") from None
        return v


@dataclass(frozen=True, slots=True)
class CsvDialect:
    delimiter: str = ","
    quotechar: str = '"'
    escapechar: str | None = None
    encoding: str = "utf-8"
    header: bool = True
    columns: tuple[str, ...] | None = None
    skip_lines: int = 0
    line_terminator: str = "\r\n"
    header_starts_with: str | None = None

    @classmethod
    def resolve(cls, file: FileFormat | None, options: CsvDialectOptions) -> CsvDialect:
        base = file or FileFormat()
        header = options.header if options.header is not None else base.header
        return cls(
            delimiter=options.delimiter or base.delimiter,
            quotechar=options.quotechar or base.quotechar,
            escapechar=options.escapechar,
            encoding=options.encoding or base.encoding,
            header=header,
            columns=tuple(options.columns) if options.columns else None,
            skip_lines=options.skip_lines if options.skip_lines is not None else base.skip_lines,
            line_terminator=base.line_terminator,
            header_starts_with=options.header_starts_with or base.header_starts_with,
        )

    @property
    def read_encoding(self) -> str:
        """UTF-8 files are read as utf-8-sig: a byte-order mark, if any, is dropped."""
        name = codecs.lookup(self.encoding).name
        return "utf-8-sig" if name == "utf-8" else self.encoding
