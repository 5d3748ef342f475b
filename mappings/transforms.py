"""The closed list of steps a mapping field may apply, in order, to its value.

Every step takes the value produced so far and returns the next one. Empty input (None or "")
passes through conversion steps as None, so that `default` and the required-field check decide
what an empty value means. A step that cannot convert raises `FieldError` with the reason.

A step is written in YAML either as its bare name (`strip`) or as a one-key mapping with its
argument (`alpha_in: 10`, `date: "%d/%m/%Y"`). docs/mapping-reference.md lists them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mappings.errors import FieldError

__all__ = ["STEPS", "Step", "StepType", "build_step"]

Step = Callable[[Any], Any]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _empty(value: Any) -> bool:
    return value is None or value == ""


# --- text -----------------------------------------------------------------------------------


def _strip(_: None) -> Step:
    def step(value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    return step


def _upper(_: None) -> Step:
    return lambda value: value.upper() if isinstance(value, str) else value


def _lower(_: None) -> Step:
    return lambda value: value.lower() if isinstance(value, str) else value


def _text(_: None) -> Step:
    def step(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return format(value, "f")
        return str(value)

    return step


def _truncate(width: int) -> Step:
    return lambda value: value[:width] if isinstance(value, str) else value


class _Replace(_Args):
    old: str
    new: str = ""


def _replace(args: _Replace) -> Step:
    old, new = args.old, args.new
    return lambda value: value.replace(old, new) if isinstance(value, str) else value


def _alpha_in(width: int) -> Step:
    """SAP's ALPHA input conversion: a purely numeric value is zero-padded to `width`;
    anything else is left as it is (upper-cased, as SAP stores it)."""

    def step(value: Any) -> Any:
        if _empty(value):
            return value
        text = str(value).strip()
        if text.isdigit():
            if len(text) > width:
                stripped = text.lstrip("0")
                if len(stripped) > width:
                    raise FieldError(f"more than {width} digits", value)
                text = stripped
            return text.rjust(width, "0")
        return text.upper()

    return step


def _alpha_out(_: None) -> Step:
    """SAP's ALPHA output conversion: leading zeros of a numeric value are removed."""

    def step(value: Any) -> Any:
        if isinstance(value, str) and value.isdigit():
            return value.lstrip("0") or "0"
        return value

    return step


class _Pad(_Args):
    width: int = Field(gt=0)
    char: str = Field(default="0", min_length=1, max_length=1)


def _pad_left(args: _Pad) -> Step:
    width, char = args.width, args.char
    return lambda value: value if _empty(value) else str(value).rjust(width, char)


def _hash(length: int) -> Step:
    """A short, stable SHA-256 hex digest of the value (e.g. an event id from a row's content)."""

    def step(value: Any) -> Any:
        if _empty(value):
            return value
        return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:length]

    return step


# --- numbers -------------------------------------------------------------------------------


class _DecimalArgs(_Args):
    decimal_separator: str = Field(default=".", min_length=1, max_length=1)
    thousands_separator: str = Field(default="", max_length=1)


def to_decimal(value: Any, decimal_separator: str = ".", thousands: str = "") -> Decimal | None:
    """Parse an amount as ERPs write them: `1234.56`, `1.234,56`, SAP's trailing minus `12.50-`.

    Raises:
        FieldError: not a number (floats are taken through their shortest repr).
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise FieldError("expected an amount, got a boolean", value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if not text:
        return None
    if thousands:
        text = text.replace(thousands, "")
    if decimal_separator != ".":
        if "." in text:
            raise FieldError(
                f"unexpected '.' in an amount written with {decimal_separator!r}", value
            )
        text = text.replace(decimal_separator, ".")
    negative = text.endswith("-")
    if negative:
        text = text[:-1].rstrip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FieldError("not a number", value) from None
    if not number.is_finite():
        raise FieldError("not a finite number", value)
    return -number if negative else number


def _decimal(args: _DecimalArgs) -> Step:
    sep, thousands = args.decimal_separator, args.thousands_separator
    if thousands == sep:
        raise ValueError("thousands_separator must differ from decimal_separator")
    return lambda value: to_decimal(value, sep, thousands)


def _int(_: None) -> Step:
    def step(value: Any) -> Any:
        if _empty(value):
            return None
        if isinstance(value, bool):
            raise FieldError("expected an integer, got a boolean", value)
        if isinstance(value, int):
            return value
        try:
            number = to_decimal(value)
        except FieldError:
            raise FieldError("not an integer", value) from None
        if number is None:
            return None
        if number != number.to_integral_value():
            raise FieldError("not an integer", value)
        return int(number)

    return step


def _negate(_: None) -> Step:
    def step(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal | int):
            value = to_decimal(value)
        return -value

    return step


class _Scale(_Args):
    places: int = Field(ge=-18, le=18)


def _scale(args: _Scale) -> Step:
    """Multiply by 10**places: amounts an ERP writes in cents become units with `places: -2`."""
    places = args.places

    def step(value: Any) -> Any:
        number = value if isinstance(value, Decimal) else to_decimal(value)
        return None if number is None else number.scaleb(places)

    return step


# --- dates ---------------------------------------------------------------------------------


def parse_date(value: Any, fmt: str) -> date | None:
    """Parse a date with a strptime format; 'iso' means YYYY-MM-DD. SAP's initial date
    (00000000) and empty values are None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text or not text.strip("0"):
        return None
    try:
        if fmt == "%Y%m%d" and len(text) == 8 and text.isdigit():
            # SAP's DATS, millions of times per extraction: what strptime does, without it.
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if fmt == "iso":
            return date.fromisoformat(text)
        return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time zone
    except ValueError:
        expected = "YYYY-MM-DD" if fmt == "iso" else fmt
        raise FieldError(f"not a date in the format {expected}", value) from None


def _date(fmt: str) -> Step:
    if fmt != "iso":
        try:
            datetime.strptime(datetime(2001, 2, 3).strftime(fmt), fmt)  # noqa: DTZ001, DTZ007
        except ValueError as exc:
            raise ValueError(f"invalid date format {fmt!r}: {exc}") from None
    return lambda value: parse_date(value, fmt)


class _DatetimeArgs(_Args):
    format: str = "iso"
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


def parse_datetime(value: Any, fmt: str, zone: ZoneInfo) -> datetime | None:
    """Parse an instant; a value without an offset is taken in `zone`. A bare date is its
    midnight. The result is always aware, in UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - zone below
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            if fmt == "iso":
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            else:
                moment = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone below
        except ValueError:
            expected = "ISO 8601" if fmt == "iso" else fmt
            raise FieldError(f"not a date-time in the format {expected}", value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _datetime(args: _DatetimeArgs) -> Step:
    fmt, zone = args.format, ZoneInfo(args.timezone)
    return lambda value: parse_datetime(value, fmt, zone)


def _year(_: None) -> Step:
    return lambda value: value.year if isinstance(value, date) else value


def _format_date(fmt: str) -> Step:
    def step(value: Any) -> Any:
        if isinstance(value, date):
            return value.strftime(fmt) if fmt != "iso" else value.isoformat()
        return value

    return step


class _FormatDecimal(_Args):
    decimal_separator: str = Field(default=".", min_length=1, max_length=1)
    places: int | None = Field(default=None, ge=0, le=18)


def _format_decimal(args: _FormatDecimal) -> Step:
    sep, places = args.decimal_separator, args.places

    def step(value: Any) -> Any:
        if not isinstance(value, Decimal | int):
            return value
        number = Decimal(value)
        if places is not None:
            quantum = Decimal(1).scaleb(-places)
            if number.quantize(quantum) != number:
                raise FieldError(f"has more than {places} decimals", value)
            number = number.quantize(quantum)
        text = format(number, "f")
        return text.replace(".", sep) if sep != "." else text

    return step


# --- choices -------------------------------------------------------------------------------


class _Lookup(_Args):
    values: dict[str, Any] = Field(min_length=1)
    default: Any = None
    strict: bool = True


def _lookup(args: _Lookup) -> Step:
    """Translate a code through a table. With `strict` (the default) an unknown code is an
    error naming the allowed codes; otherwise it becomes `default`."""
    table = {str(k): v for k, v in args.values.items()}
    default, strict = args.default, args.strict
    allowed = ", ".join(sorted(table))

    def step(value: Any) -> Any:
        if _empty(value):
            return default
        key = value.value if hasattr(value, "value") else str(value)
        if key in table:
            return table[key]
        if strict and default is None:
            raise FieldError(f"unknown code (allowed: {allowed})", value)
        return default

    return step


class _Bool(_Args):
    # Not `true:`/`false:`: YAML 1.1 reads those keys as booleans.
    true_values: list[str] = Field(
        default_factory=lambda: ["1", "true", "yes", "x", "y", "j", "oui"]
    )
    false_values: list[str] = Field(
        default_factory=lambda: ["0", "false", "no", "", "n", "non", "nein"]
    )


def _bool(args: _Bool) -> Step:
    true = {t.lower() for t in args.true_values}
    false = {f.lower() for f in args.false_values}

    def step(value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return bool(value)
        text = str(value).strip().lower()
        if text in true:
            return True
        if text in false:
            return False
        raise FieldError("not a yes/no value", value)

    return step


def _format_bool(args: _Bool) -> Step:
    yes, no = (args.true_values or ["1"])[0], (args.false_values or ["0"])[0]
    return lambda value: (yes if value else no) if isinstance(value, bool) else value


def _default(default: Any) -> Step:
    return lambda value: default if _empty(value) else value


def _required(_: None) -> Step:
    def step(value: Any) -> Any:
        if _empty(value):
            raise FieldError("missing value")
        return value

    return step


def _add_days(days: int) -> Step:
    def step(value: Any) -> Any:
        return value + timedelta(days=days) if isinstance(value, date) else value

    return step


# --- registry ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepType:
    """A step's name, the type of its argument (None: takes none), its factory, and a line of
    documentation."""

    name: str
    arg: Any
    build: Callable[[Any], Step]
    doc: str


STEPS: Mapping[str, StepType] = {
    s.name: s
    for s in (
        StepType("strip", None, _strip, "remove spaces around the value"),
        StepType("upper", None, _upper, "upper-case"),
        StepType("lower", None, _lower, "lower-case"),
        StepType("text", None, _text, "turn numbers and dates into text"),
        StepType("truncate", int, _truncate, "keep at most N characters"),
        StepType("replace", _Replace, _replace, "replace `old` with `new`"),
        StepType("alpha_in", int, _alpha_in, "SAP ALPHA input: zero-pad a numeric value to N"),
        StepType("alpha_out", None, _alpha_out, "SAP ALPHA output: drop leading zeros"),
        StepType("pad_left", _Pad, _pad_left, "pad on the left to `width` with `char`"),
        StepType("hash", int, _hash, "a stable SHA-256 hex id of N characters"),
        StepType("decimal", _DecimalArgs, _decimal, "parse an amount (separators, trailing minus)"),
        StepType("int", None, _int, "parse a whole number"),
        StepType("negate", None, _negate, "change the sign of an amount"),
        StepType("scale", _Scale, _scale, "multiply an amount by 10^places"),
        StepType("date", str, _date, "parse a date with a strptime format, or 'iso'"),
        StepType("datetime", _DatetimeArgs, _datetime, "parse a date-time (format, timezone)"),
        StepType("year", None, _year, "the year of a date"),
        StepType("add_days", int, _add_days, "add N days to a date"),
        StepType("format_date", str, _format_date, "write a date with a strftime format"),
        StepType("format_decimal", _FormatDecimal, _format_decimal, "write an amount"),
        StepType("lookup", _Lookup, _lookup, "translate codes through a table"),
        StepType("bool", _Bool, _bool, "parse yes/no values"),
        StepType("format_bool", _Bool, _format_bool, "write a yes/no value"),
        StepType("default", Any, _default, "the value to use when empty"),
        StepType("required", None, _required, "refuse an empty value"),
    )
}


def build_step(name: str, raw_arg: Any) -> Step:
    """Validate a step's argument and build it.

    Raises:
        ValueError: unknown step, or an argument of the wrong shape (the message says which).
    """
    kind = STEPS.get(name)
    if kind is None:
        raise ValueError(f"unknown step {name!r} (allowed: {', '.join(sorted(STEPS))})")
    if kind.arg is None:
        if raw_arg is not None:
            raise ValueError(f"step {name!r} takes no argument")
        return kind.build(None)
    if kind.arg is Any:
        return kind.build(raw_arg)
    if isinstance(kind.arg, type) and issubclass(kind.arg, BaseModel):
        try:
            return kind.build(kind.arg.model_validate(raw_arg if raw_arg is not None else {}))
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'argument'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ValueError(f"step {name!r}: {details}") from None
    if not isinstance(raw_arg, kind.arg) or isinstance(raw_arg, bool):
        raise ValueError(f"step {name!r} needs a {kind.arg.__name__} argument, got {raw_arg!r}")
    return kind.build(raw_arg)
