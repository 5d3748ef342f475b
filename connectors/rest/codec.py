"""How typed values travel in JSON: amounts exact, dates as dates.

- `plain`: amounts are strings (or numbers, when they round-trip exactly), dates ISO 8601,
  instants ISO 8601 in UTC; numbers with a fraction are read as Decimal, never float.
- `tryton`: Tryton's JSON-RPC objects, `{"__class__": "Decimal", "decimal": "595.00"}`,
  `{"__class__": "date", "year": 2026, "month": 6, "day": 15}`, datetime, time, timedelta,
  bytes; read back as Decimal, date, datetime (aware UTC), time, timedelta, bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

__all__ = ["ValueCodec", "codec_for"]


class ValueCodec:
    """Encodes request payloads and decodes answers for one value format."""

    def __init__(
        self, name: str, encode_value: Callable[[Any], Any], object_hook: Callable[..., Any] | None
    ) -> None:
        self.name = name
        self._encode_value = encode_value
        self._object_hook = object_hook

    def dumps(self, payload: Any) -> bytes:
        """The payload as compact UTF-8 JSON, typed values encoded."""
        return json.dumps(
            self._prepare(payload), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")

    def loads(self, content: bytes) -> Any:
        """Parse an answer. Raises ValueError if it is not JSON."""
        return json.loads(content, parse_float=Decimal, object_hook=self._object_hook)

    def _prepare(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): self._prepare(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._prepare(v) for v in value]
        if value is None or isinstance(value, str | bool | int | float):
            return value
        return self._encode_value(value)


def _plain_encoder(decimals: Literal["string", "number"]) -> Callable[[Any], Any]:
    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            if decimals == "number":
                number = float(value)
                # only when the number written is exactly the amount (it is for amounts of up
                # to 15 significant digits); otherwise the text keeps it exact
                if Decimal(repr(number)) == value:
                    return number
            return format(value, "f")
        if isinstance(value, datetime):
            moment = value.astimezone(UTC) if value.tzinfo else value
            return moment.isoformat().replace("+00:00", "Z")
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, timedelta):
            return value.total_seconds()
        raise TypeError(f"cannot write a {type(value).__name__} in JSON")

    return encode


def _tryton_encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": format(value, "f")}
    if isinstance(value, datetime):
        # Tryton's datetimes are naive UTC
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return {
            "__class__": "datetime",
            "year": moment.year,
            "month": moment.month,
            "day": moment.day,
            "hour": moment.hour,
            "minute": moment.minute,
            "second": moment.second,
            "microsecond": moment.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, time):
        return {
            "__class__": "time",
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, bytes):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot write a {type(value).__name__} for Tryton")


def _tryton_object(obj: dict[str, Any]) -> Any:
    kind = obj.get("__class__")
    if kind is None:
        return obj
    try:
        if kind == "Decimal":
            return Decimal(str(obj["decimal"]))
        if kind == "date":
            return date(obj["year"], obj["month"], obj["day"])
        if kind == "datetime":
            return datetime(
                obj["year"],
                obj["month"],
                obj["day"],
                obj.get("hour", 0),
                obj.get("minute", 0),
                obj.get("second", 0),
                obj.get("microsecond", 0),
                tzinfo=UTC,
            )
        if kind == "time":
            return time(
                obj.get("hour", 0),
                obj.get("minute", 0),
                obj.get("second", 0),
                obj.get("microsecond", 0),
            )
        if kind == "timedelta":
            return timedelta(seconds=float(obj["seconds"]))
        if kind == "bytes":
            return base64.b64decode(obj["base64"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed Tryton {kind} value {obj!r}: {exc}") from None
    return obj


def codec_for(
    value_format: Literal["plain", "tryton"], decimals: Literal["string", "number"] = "string"
) -> ValueCodec:
    """The codec of a value format (see the module docstring)."""
    if value_format == "tryton":
        return ValueCodec("tryton", _tryton_encode, _tryton_object)
    return ValueCodec("plain", _plain_encoder(decimals), None)
