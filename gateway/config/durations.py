"""Durations as the configuration writes them: `90s`, `5m`, `2h`, `400d` (or a number of
seconds)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(value: Any) -> timedelta:
    """A positive duration from `90s`, `5m`, `2h`, `7d`, a number of seconds or a timedelta.

    Raises:
        ValueError: anything else, with an example of what is accepted.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _PATTERN.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(
            f"{value!r} is not a duration: write a number and a unit, e.g. 90s, 5m, 2h or 400d"
        )
    if seconds <= 0:
        raise ValueError(f"{value!r}: a duration must be positive")
    return timedelta(seconds=seconds)


def _text(value: timedelta) -> str:
    return f"{value.total_seconds():g}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(_text)]
