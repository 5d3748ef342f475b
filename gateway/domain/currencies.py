"""ISO 4217: the currencies an invoice can be in, and their minor units.

The source is ISO 4217's current list ("list one", published by SIX Financial Information, the
standard's maintenance agency), as shipped by the `iso4217` package (its `table.xml`; the
list's date is `ISO_4217_PUBLISHED`). Minor units are the standard's, not CLDR's display
digits: HUF, IDR and COP have 2 decimals, IQD 3 (CLDR, which formats amounts for display,
shows them with 0).

Refused, each with its reason:
- codes not on the current list: withdrawn currencies (DEM, FRF...) and unknown codes;
- codes on the list that are no currency to invoice in: those without minor units (precious
  metals XAU, XAG, XPT, XPD; the SDR XDR; bond-market units XBA-XBD; XSU, XUA; the testing
  code XTS; XXX, "no currency") and the fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI...).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from types import MappingProxyType

import iso4217

__all__ = ["ISO_4217_PUBLISHED", "TENDER_DIGITS", "currency_problem"]


def _list_one() -> tuple[dict[str, int], dict[str, str], date]:
    digits: dict[str, int] = {}
    refused: dict[str, str] = {}
    for entry in iso4217.raw_xml.findall("CcyTbl/CcyNtry"):
        code_node, name_node = entry.find("Ccy"), entry.find("CcyNm")
        if code_node is None or code_node.text is None or name_node is None:
            continue  # a territory without a currency of its own (Antarctica)
        code, name = code_node.text.strip(), (name_node.text or "").strip()
        units = (entry.findtext("CcyMnrUnts") or "").strip()
        if name_node.get("IsFund", "").lower() == "true":
            refused[code] = (
                f"{code} is an ISO 4217 fund code ({name}), not a currency to invoice in"
            )
        elif not units.isdigit():
            refused[code] = (
                f"{code} ({name}) has no minor unit in ISO 4217: it is not a currency to invoice in"
            )
        else:
            digits[code] = int(units)
    published = date.fromisoformat(iso4217.raw_xml.attrib["Pblshd"])
    return digits, refused, published


_DIGITS, _REFUSED, ISO_4217_PUBLISHED = _list_one()
# Every currency an invoice may be in → its number of minor-unit digits (EUR 2, JPY 0, KWD 3).
TENDER_DIGITS: Mapping[str, int] = MappingProxyType(_DIGITS)


@cache
def currency_problem(code: str) -> str | None:
    """Why `code` is not a currency an invoice can be in, or None if it is one."""
    if code in _DIGITS:
        return None
    reason = _REFUSED.get(code)
    if reason is not None:
        return reason
    return (
        f"unknown currency {code!r}: not on ISO 4217's current list (published "
        f"{ISO_4217_PUBLISHED}); {_former(code)}expected a code such as EUR"
    )


def _former(code: str) -> str:
    """'DEM (German Mark) is a former or unofficial code; ' for a code CLDR names."""
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        return ""
    from babel.numbers import get_currency_name

    name = get_currency_name(code, locale="en")
    return f"{code} ({name}) is a former or unofficial code; " if name != code else ""
