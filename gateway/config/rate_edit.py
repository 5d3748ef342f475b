"""`claimbridge rates add`: a reference rate written into the configuration file's
`reference_rates` section, where an integrator would write it by hand.

The file is edited as text, so that its comments and layout stay as they are: the entry goes
under its series in the block-style `reference_rates:` section (made at the end of the file if
there is none), replacing an entry of the same half-year. The result is loaded again before it
replaces the file (at once); if it does not load, the file is left untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from gateway.rules.rates import RateSeries

__all__ = ["RateEdit", "RateEditError", "add_rate_text", "stage_file"]

_SECTION = re.compile(r"^reference_rates:\s*(#.*)?$")
_TOP_LEVEL = re.compile(r"^[^\s#]")


class RateEditError(ValueError):
    """The configuration file cannot take the rate as it is written (the message says why)."""


@dataclass(frozen=True, slots=True)
class RateEdit:
    text: str
    replaced: str | None  # the rate that was there before for that half-year, if any


def _entry(indent: str, half_year: date, rate: Decimal, note: str) -> str:
    comment = f"   # {note}" if note else ""
    return f'{indent}{half_year.isoformat()}: "{rate}"{comment}\n'


def add_rate_text(
    text: str, series: RateSeries, half_year: date, rate: Decimal, note: str = ""
) -> RateEdit:
    """`text` (a configuration file) with the rate of `series` for `half_year` set.

    Raises:
        RateEditError: `reference_rates` (or the series) is written in flow style ({...}).
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if _SECTION.match(line)), None)
    if start is None:
        if any(line.startswith("reference_rates:") for line in lines):
            raise RateEditError(
                "reference_rates is written on one line ({...}): write it as a block to add "
                "rates with this command"
            )
        block = f"\nreference_rates:\n  {series.value}:\n" + _entry("    ", half_year, rate, note)
        return RateEdit("".join(lines) + block, None)
    end = start + 1
    while end < len(lines) and not _TOP_LEVEL.match(lines[end]):
        end += 1
    series_line = re.compile(rf"^(\s+){re.escape(series.value)}:\s*(#.*)?$")
    for i in range(start + 1, end):
        found = series_line.match(lines[i])
        if found is None:
            if re.match(rf"^\s+{re.escape(series.value)}:\s*\S", lines[i]):
                raise RateEditError(
                    f"reference_rates.{series.value} is written on one line ({{...}}): write "
                    "it as a block to add rates with this command"
                )
            continue
        indent = found.group(1)
        child = f"{indent}  "
        j = i + 1
        while j < end and (lines[j].startswith(child) or not lines[j].strip()):
            if lines[j].startswith(child):
                child = lines[j][: len(lines[j]) - len(lines[j].lstrip())]
            j += 1
        entry_line = re.compile(rf"^\s+'?\"?{half_year.isoformat()}'?\"?\s*:\s*(.*)$")
        for k in range(i + 1, j):
            old = entry_line.match(lines[k])
            if old is not None:
                before = old.group(1).split("#")[0].strip().strip("\"'")
                lines[k] = _entry(child, half_year, rate, note)
                return RateEdit("".join(lines), before)
        lines.insert(i + 1, _entry(child, half_year, rate, note))
        return RateEdit("".join(lines), None)
    first_child = next(
        (lines[k] for k in range(start + 1, end) if lines[k].strip() and lines[k][0] == " "),
        "  ",
    )
    indent = first_child[: len(first_child) - len(first_child.lstrip())] or "  "
    addition = f"{indent}{series.value}:\n" + _entry(indent + "  ", half_year, rate, note)
    lines.insert(start + 1, addition)
    return RateEdit("".join(lines), None)


def stage_file(path: Path, text: str) -> Path:
    """`text` written beside `path` (same folder, so that relative paths in it resolve the
    same, same permissions), to be checked before `os.replace` puts it in place at once."""
    part = path.with_name(f".{path.name}.part")
    part.write_text(text, encoding="utf-8")
    if path.exists():
        part.chmod(path.stat().st_mode & 0o777)
    return part
