"""SAP's ALPHA conversion of customer numbers (KUNNR, CHAR 10)."""

from __future__ import annotations

__all__ = ["alpha_in", "alpha_out"]


def alpha_in(value: str, width: int = 10) -> str:
    """The internal form: a purely numeric number is zero-padded to `width`; anything else is
    kept as written, upper-cased (as SAP stores it).

    Raises:
        ValueError: a number longer than `width` digits (once its leading zeros are dropped).
    """
    text = value.strip()
    if text.isdigit():
        digits = text.lstrip("0") or "0"
        if len(digits) > width:
            raise ValueError(f"customer number {value!r} has more than {width} digits")
        return digits.rjust(width, "0")
    if len(text) > width:
        raise ValueError(f"customer number {value!r} is longer than {width} characters")
    return text.upper()


def alpha_out(value: str) -> str:
    """The external form: leading zeros of a numeric number dropped."""
    return value.lstrip("0") or "0" if value.isdigit() else value
