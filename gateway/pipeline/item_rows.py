"""From a mapped record to the row that is stored: money to minor units, defaults filled in,
lengths checked. Every problem names the field, so a bad line is quarantined with a reason an
integrator can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.domain.items import ItemKey
from gateway.domain.money import CurrencyError, to_minor
from mappings import FieldError, RecordError
from mappings.targets import OPEN_ITEM_TARGETS

__all__ = ["KEY_TARGETS", "ItemRow", "ItemRowBuilder", "fits_the_store", "item_key_of"]

KEY_TARGETS = ("company_code", "document_number", "fiscal_year", "line_item", "document_date")

# Column widths of the store (PostgreSQL enforces them; checked here for both databases so that
# a long value quarantines one line instead of failing a whole file).
_WIDTHS = {
    "company_code": 16,
    "document_number": 32,
    "line_item": 8,
    "debtor_number": 64,
    "dunning_block": 4,
    "document_type": 8,
    "debtor_vat_id": 32,
    "debtor_registration": 64,
    "debtor_postal_code": 16,
    "debtor_phone": 64,
    "debtor_language": 8,
    "debtor_segment": 32,
}

_DEBTOR_TARGETS = (
    "debtor_name",
    "debtor_name2",
    "debtor_kind",
    "debtor_vat_id",
    "debtor_registration",
    "debtor_street",
    "debtor_postal_code",
    "debtor_city",
    "debtor_country",
    "debtor_email",
    "debtor_phone",
    "debtor_language",
    "debtor_segment",
)


def item_key_of(source: str, key: dict[str, Any] | None) -> ItemKey | None:
    """The key of a record that failed as a whole, if its key fields are readable."""
    if not key or not key["company_code"] or not key["document_number"]:
        return None
    year = key["fiscal_year"]
    if year is None:
        if key["document_date"] is None:
            return None
        year = key["document_date"].year
    line_item = key["line_item"] or ""
    return ItemKey(source, key["company_code"], key["document_number"], year, line_item)


def fits_the_store(key: ItemKey) -> bool:
    return (
        len(key.company_code) <= _WIDTHS["company_code"]
        and len(key.document_number) <= _WIDTHS["document_number"]
        and len(key.line_item) <= _WIDTHS["line_item"]
    )


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A storable item: values in STAGING_COLUMNS order, and its debtor's data."""

    company_code: str
    staged: tuple[Any, ...]
    debtor_number: str
    debtor: tuple[Any, ...]


class ItemRowBuilder:
    """Turns the tuple an `open_items` mapping produces into an `ItemRow`."""

    def __init__(self, targets: Sequence[str] | None = None) -> None:
        names = tuple(targets or (t.name for t in OPEN_ITEM_TARGETS))
        self._p = {name: i for i, name in enumerate(names)}
        self._widths = [(self._p[name], name, width) for name, width in _WIDTHS.items()]
        self._debtor = tuple(self._p[name] for name in _DEBTOR_TARGETS)

    def build(self, values: tuple[Any, ...]) -> ItemRow:
        """Raises RecordError naming the failing fields."""
        p = self._p
        errors: list[FieldError] = []
        for position, name, width in self._widths:
            value = values[position]
            if value is not None and len(value) > width:
                errors.append(FieldError(f"longer than {width} characters", value, name))
        currency = values[p["currency"]]
        open_amount = values[p["open_amount"]]
        amount = values[p["amount"]]
        open_minor = amount_minor = 0
        try:
            open_minor = to_minor(open_amount, currency)
        except CurrencyError as exc:
            errors.append(FieldError(str(exc), open_amount, "open_amount"))
        if amount is None:
            amount_minor = open_minor
        else:
            try:
                amount_minor = to_minor(amount, currency)
            except CurrencyError as exc:
                errors.append(FieldError(str(exc), amount, "amount"))
        if errors:
            raise RecordError(errors)
        document_date = values[p["document_date"]]
        fiscal_year = values[p["fiscal_year"]]
        posting_date = values[p["posting_date"]]
        company_code = values[p["company_code"]]
        debtor_number = values[p["debtor_number"]]
        staged = (
            company_code,
            values[p["document_number"]],
            fiscal_year if fiscal_year is not None else document_date.year,
            values[p["line_item"]] or "",
            debtor_number,
            document_date,
            posting_date or document_date,
            values[p["net_due_date"]],
            currency,
            amount_minor,
            open_minor,
            values[p["dunning_level"]],
            values[p["last_dunning_date"]],
            values[p["dunning_block"]] or "",
            bool(values[p["disputed"]]),
            values[p["payment_promised_until"]],
            values[p["reference"]] or "",
            values[p["document_type"]] or "",
            values[p["text"]] or "",
        )
        debtor = tuple(values[i] if values[i] is not None else "" for i in self._debtor)
        return ItemRow(company_code, staged, debtor_number, debtor)
