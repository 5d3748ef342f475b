"""From an agency's report (a mapped file line, an API payload) to a case event.

Checks what only the case can tell: the currency of a payment is the case's, and its parts
add up. Shared by every way agencies report (files, the REST API)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.money import CurrencyError, Money, to_minor
from mappings import FieldError, RecordError

__all__ = ["agency_event"]

_MONEY_FIELDS = ("amount", "principal", "interest", "fees", "commission")


def agency_event(values: Mapping[str, Any], case_currency: str) -> CaseEvent:
    """Build the event an agency reports.

    `values` holds the canonical agency-event fields (event_id, occurred_at, kind, amounts as
    Decimal, currency, recipient, note). A payment the agency says the creditor received is a
    DIRECT_PAYMENT_REPORTED (a note): the ERP, not the agency, tells what the creditor got.

    Raises:
        RecordError: naming each field that does not fit the case.
    """
    kind = EventKind(values["kind"])
    errors: list[FieldError] = []
    minor: dict[str, int] = {}
    is_money = kind in (EventKind.PAYMENT, EventKind.PAYMENT_REVERSAL)
    is_promise = kind is EventKind.PROMISE
    currency = values.get("currency") or case_currency
    if (is_money or is_promise) and currency != case_currency:
        what = "promise" if is_promise else "payment"
        errors.append(
            FieldError(
                f"the case is in {case_currency}, the {what} in {currency}", currency, "currency"
            )
        )
    for name in _MONEY_FIELDS:
        value: Decimal | None = values.get(name)
        if value is None:
            continue
        if value < 0:
            errors.append(
                FieldError("must not be negative (report a payment_reversal instead)", value, name)
            )
            continue
        try:
            minor[name] = to_minor(value, case_currency)
        except CurrencyError as exc:
            errors.append(FieldError(str(exc), value, name))
    if is_money and not errors:
        parts = minor.get("interest", 0) + minor.get("fees", 0)
        if "amount" not in minor and "principal" not in minor:
            errors.append(FieldError("a payment needs an amount or a principal", None, "amount"))
        elif "principal" not in minor:
            minor["principal"] = minor["amount"] - parts
            if minor["principal"] < 0:
                errors.append(
                    FieldError(
                        "interest and fees exceed the amount", values.get("amount"), "amount"
                    )
                )
        elif "amount" not in minor:
            minor["amount"] = minor["principal"] + parts
        elif minor["amount"] != minor["principal"] + parts:
            errors.append(
                FieldError(
                    f"amount {Money(minor['amount'], case_currency)} is not principal + interest + "
                    f"fees ({Money(minor['principal'] + parts, case_currency)})",
                    values.get("amount"),
                    "amount",
                )
            )
        if not errors and minor["amount"] == 0:
            errors.append(FieldError("a payment of zero", values.get("amount"), "amount"))
    if is_promise and not errors:
        if not minor.get("amount"):
            errors.append(FieldError("a promise needs the amount promised", None, "amount"))
        if values.get("due_on") is None:
            errors.append(FieldError("a promise needs the day it is due (due_on)", None, "due_on"))
    if errors:
        raise RecordError(errors)
    if kind is EventKind.PAYMENT and values.get("recipient") == "creditor":
        kind = EventKind.DIRECT_PAYMENT_REPORTED
    return CaseEvent(
        kind=kind,
        origin=EventOrigin.AGENCY,
        external_id=str(values["event_id"]),
        occurred_at=values["occurred_at"],
        amount=minor.get("amount", 0),
        principal=minor.get("principal", 0) if is_money else 0,
        interest=minor.get("interest", 0) if is_money else 0,
        fees=minor.get("fees", 0) if is_money else 0,
        commission=minor.get("commission", 0) if is_money else 0,
        note=values.get("note") or "",
        due_on=values.get("due_on") if is_promise else None,
    )
