"""ABAP types as they cross RFC through pyrfc: what a value must be going in, and what comes
back out. The simulator checks every parameter against its function's interface this way, so a
mapping that would fail against SAP fails against the simulator too.

Source: pyrfc's `_cyrfc.pyx` (SAP/PyRFC 3.3), functions `fillVariable` and `wrapVariable`, with
the connection defaults `dtime=False` and `rstrip=True` (doc/client.rst):

    type        Python in (else TypeError, pyrfc's text)       Python out
    C, CUKY     str ('an string is required, received')         str, right-stripped
    N (NUMC)    str of digits ('a numeric string is required')  str of `length` digits
    D (DATS)    date or 'YYYYMMDD' str; empty: left initial     'YYYYMMDD', '' when initial
    P (packed)  Decimal, float or numeric str                   Decimal with its decimals
    I (INT4)    int ('an integer required, received')           int
    STRING      str                                             str
    structure   dict ('dictionary required for structure ...')  dict
    table       list of dicts ('list required for table ...')   list of dicts

Not confirmed in public sources, and modelled the ABAP way: a CHAR value longer than its field
is truncated; a NUMC value shorter than its field is zero-padded on the left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.sap.rfc_errors import RFC_INVALID_PARAMETER, ExternalRuntimeError

__all__ = [
    "Abap",
    "Component",
    "Structure",
    "char",
    "dats",
    "int4",
    "numc",
    "packed",
    "string",
    "unknown_field",
]


@dataclass(frozen=True, slots=True)
class Abap:
    """An elementary ABAP type: kind C, N, D, P, I or STRING, its length and decimals."""

    kind: str
    length: int = 0
    decimals: int = 0

    def initial(self) -> Any:
        """The initial value, as pyrfc returns it."""
        if self.kind == "N":
            return "0" * self.length
        if self.kind == "P":
            return Decimal(0).scaleb(-self.decimals) if self.decimals else Decimal(0)
        if self.kind == "I":
            return 0
        return ""

    def accept(self, value: Any) -> Any:
        """An input value as the function receives it (in the output form).

        Raises:
            TypeError: as pyrfc does for a value of the wrong Python type.
        """
        kind = self.kind
        if kind == "C" or kind == "STRING":
            if type(value) is not str:
                raise TypeError("an string is required, received", value, "of type", type(value))
            return value[: self.length].rstrip() if kind == "C" else value
        if kind == "N":
            if type(value) is not str or not value.isdigit():
                raise TypeError(
                    "a numeric string is required, received", value, "of type", type(value)
                )
            return value[-self.length :].rjust(self.length, "0")
        if kind == "D":
            if not value:
                return ""
            if type(value) is date:
                return f"{value.year:04}{value.month:02}{value.day:02}"
            if type(value) is str and len(value) == 8:
                try:
                    date(int(value[:4]), int(value[4:6]), int(value[6:8]))
                except ValueError:
                    pass
                else:
                    return value
            raise TypeError("date value required, received", value, "of type", type(value))
        if kind == "P":
            try:
                number = Decimal(str(value)) if type(value) in (float, Decimal, str) else None
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                raise TypeError("a decimal value required, received", value, "of type", type(value))
            return number.quantize(Decimal(1).scaleb(-self.decimals))
        if kind == "I":
            if type(value) is not int:
                raise TypeError("an integer required, received", value, "of type", type(value))
            return value
        raise TypeError(f"unknown ABAP kind {kind}")


def char(length: int) -> Abap:
    return Abap("C", length)


def numc(length: int) -> Abap:
    return Abap("N", length)


def packed(length: int, decimals: int = 0) -> Abap:
    return Abap("P", length, decimals)


def dats() -> Abap:
    return Abap("D", 8)


def int4() -> Abap:
    return Abap("I", 10)


def string() -> Abap:
    return Abap("STRING")


Component = tuple[str, Abap]


def unknown_field(name: str) -> ExternalRuntimeError:
    """What pyrfc raises for a parameter or component the function does not have."""
    return ExternalRuntimeError(
        f"field '{name}' not found", code=RFC_INVALID_PARAMETER, key="RFC_INVALID_PARAMETER"
    )


@dataclass(frozen=True, slots=True)
class Structure:
    """A DDIC structure: its name and components, in order."""

    name: str
    components: tuple[Component, ...]

    def initial(self) -> dict[str, Any]:
        return {name: abap.initial() for name, abap in self.components}

    def complete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A full row: the given values (already in output form), initial values elsewhere."""
        return {name: values.get(name, abap.initial()) for name, abap in self.components}

    def accept(self, value: Any) -> dict[str, Any]:
        """An input structure as the function receives it (every component, in output form).

        Raises:
            TypeError: not a dict, or a component of the wrong Python type.
            ExternalRuntimeError: a component the structure does not have (RFC_INVALID_PARAMETER).
        """
        if type(value) is not dict:
            raise TypeError(
                "dictionary required for structure parameter, received", str(type(value))
            )
        types = dict(self.components)
        row = self.initial()
        for name, item in value.items():
            abap = types.get(name)
            if abap is None:
                raise unknown_field(name)
            row[name] = abap.accept(item)
        return row

    def accept_table(self, value: Any) -> list[dict[str, Any]]:
        if type(value) is not list:
            raise TypeError("list required for table parameter, received", str(type(value)))
        return [self.accept(row) for row in value]

    @property
    def names(self) -> Sequence[str]:
        return [name for name, _ in self.components]
