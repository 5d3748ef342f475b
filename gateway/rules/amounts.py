"""Amounts written in a policy: one amount for every currency, or a table per currency.

A threshold is compared with integer minor units exactly: "at least 50.005 EUR" means at
least 5001 cents, never a rounded 5000 or 5001 by accident.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from gateway.domain.currencies import TENDER_DIGITS
from gateway.domain.money import currency_digits, is_known_currency, to_minor
from gateway.rules.fields import Op

__all__ = [
    "Threshold",
    "amount_for",
    "currencies_by_digits",
    "minor_bound",
    "parse_threshold",
    "threshold_text",
]

Threshold = Decimal | Mapping[str, Decimal]


def _decimal(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValueError(f'{where}: {raw!r} is not an amount (write it like "50.00")')
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f'{where}: {raw!r} is not an amount (write it like "50.00")') from None
    if not value.is_finite():
        raise ValueError(f"{where}: {raw!r} is not an amount")
    return value


def parse_threshold(raw: Any, where: str = "amount") -> Threshold:
    """An amount for every currency ("50.00") or per currency ({EUR: "50.00", GBP: "40.00"}).

    Raises:
        ValueError: not an amount, an unknown currency, or more decimals than a currency has.
    """
    if isinstance(raw, Mapping):
        if not raw:
            raise ValueError(f"{where}: the table of amounts per currency is empty")
        table: dict[str, Decimal] = {}
        for code, value in raw.items():
            currency = str(code).strip().upper()
            if not is_known_currency(currency):
                raise ValueError(f"{where}: {code!r} is not a currency (ISO code such as EUR)")
            amount = _decimal(value, f"{where}.{currency}")
            try:
                to_minor(amount, currency)
            except ValueError as exc:
                raise ValueError(f"{where}.{currency}: {exc}") from None
            table[currency] = amount
        return table
    return _decimal(raw, where)


def amount_for(threshold: Threshold, currency: str) -> Decimal | None:
    """The amount that applies to `currency`; None when a table does not list it."""
    if isinstance(threshold, Mapping):
        return threshold.get(currency)
    return threshold


def minor_bound(threshold: Threshold, currency: str, op: Op) -> int | None:
    """The bound in minor units such that `minor <op> bound` is exactly `amount <op> threshold`.

    None when the threshold does not name `currency` (the condition then fails).
    """
    amount = amount_for(threshold, currency)
    if amount is None:
        return None
    scaled = amount.scaleb(currency_digits(currency))
    if op in (Op.AT_LEAST, Op.LESS_THAN):
        return math.ceil(scaled)
    return math.floor(scaled)


def threshold_text(threshold: Threshold) -> str:
    if isinstance(threshold, Mapping):
        return " / ".join(f"{amount:f} {currency}" for currency, amount in threshold.items())
    return f"{threshold:f}"


@cache
def currencies_by_digits() -> Mapping[int, tuple[str, ...]]:
    """Every known currency, by its number of minor-unit digits (so that one amount for every
    currency compiles to SQL without first asking the database which currencies occur)."""
    found: dict[int, list[str]] = {}
    for code in sorted(TENDER_DIGITS):
        found.setdefault(currency_digits(code), []).append(code)
    return {digits: tuple(codes) for digits, codes in found.items()}
