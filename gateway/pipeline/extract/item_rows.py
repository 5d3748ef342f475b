"""From a mapped record to the row that is stored: money to minor units, defaults filled in,
lengths checked. Every problem names the field, so a bad line is quarantined with a reason an
integrator can act on."""

from __future__ import annotations

from typing import Any

from gateway.domain.items import ItemKey
from gateway.domain.money import CurrencyError, to_minor
from mappings import FieldError, RecordError

__all__ = [
    "APPLIES_TARGETS",
    "DEBTOR_TARGETS",
    "ITEM_TARGETS",
    "KEY_TARGETS",
    "build_debtor",
    "build_item",
    "fits_the_store",
    "item_key_of",
]

KEY_TARGETS = ("company_code", "document_number", "fiscal_year", "line_item", "document_date")
# A line that applies to another item (a partial payment or credit memo referring to an
# invoice) is folded into that item's open amount when the snapshot holds it.
APPLIES_TARGETS = ("applies_to_document", "applies_to_year", "applies_to_line")

# Column widths of the store (PostgreSQL enforces them; checked here for both databases so that
# a long value quarantines one line instead of failing a whole file).
_WIDTHS = {
    "debtor_sales_rep": 254,
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

# The targets of an item, in the order `ItemRowBuilder.build` takes them.
ITEM_TARGETS = (
    "company_code",
    "document_number",
    "fiscal_year",
    "line_item",
    "debtor_number",
    "document_date",
    "posting_date",
    "net_due_date",
    "currency",
    "amount",
    "open_amount",
    "dunning_level",
    "last_dunning_date",
    "dunning_block",
    "disputed",
    "payment_promised_until",
    "reference",
    "document_type",
    "text",
)
# The debtor's targets, in DEBTOR_COLUMNS order (see storage.repositories.items).
DEBTOR_TARGETS = (
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
    "debtor_sales_rep",
)
_ITEM_WIDTHS = tuple(
    (ITEM_TARGETS.index(name), name, width)
    for name, width in _WIDTHS.items()
    if name in ITEM_TARGETS
)
_DEBTOR_WIDTHS = tuple(
    (DEBTOR_TARGETS.index(name), name, width)
    for name, width in _WIDTHS.items()
    if name in DEBTOR_TARGETS
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


def _too_long(
    values: tuple[Any, ...], widths: tuple[tuple[int, str, int], ...]
) -> list[FieldError]:
    return [
        FieldError(f"longer than {width} characters", values[i], name)
        for i, name, width in widths
        if values[i] is not None and len(values[i]) > width
    ]


def build_item(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The staged row (STAGING_COLUMNS order) of an item mapped to ITEM_TARGETS.

    Raises:
        RecordError: naming each field that does not fit (amount decimals, widths).
    """
    (
        company_code,
        document_number,
        fiscal_year,
        line_item,
        debtor_number,
        document_date,
        posting_date,
        net_due_date,
        currency,
        amount,
        open_amount,
        dunning_level,
        last_dunning_date,
        dunning_block,
        disputed,
        promised,
        reference,
        document_type,
        text,
    ) = values
    # The widths, unrolled: this runs for every line of every export.
    errors = (
        _too_long(values, _ITEM_WIDTHS)
        if (
            len(company_code) > 16
            or len(document_number) > 32
            or len(line_item or "") > 8
            or len(debtor_number) > 64
            or len(dunning_block or "") > 4
            or len(document_type or "") > 8
        )
        else []
    )
    try:
        open_minor = to_minor(open_amount, currency)
    except CurrencyError as exc:
        errors.append(FieldError(str(exc), open_amount, "open_amount"))
        open_minor = 0
    amount_minor = open_minor
    # Most items are still wholly open: their amount is the open amount, converted already.
    if amount is not None and (errors or amount != open_amount):
        try:
            amount_minor = to_minor(amount, currency)
        except CurrencyError as exc:
            errors.append(FieldError(str(exc), amount, "amount"))
    if errors:
        raise RecordError(errors)
    return (
        company_code,
        document_number,
        fiscal_year if fiscal_year is not None else document_date.year,
        line_item or "",
        debtor_number,
        document_date,
        posting_date or document_date,
        net_due_date,
        currency,
        amount_minor,
        open_minor,
        dunning_level,
        last_dunning_date,
        dunning_block or "",
        bool(disputed),
        promised,
        reference or "",
        document_type or "",
        text or "",
    )


def build_debtor(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The debtor's stored values (DEBTOR_COLUMNS order) from DEBTOR_TARGETS values."""
    errors = _too_long(values, _DEBTOR_WIDTHS)
    if errors:
        raise RecordError(errors)
    return tuple("" if v is None else v for v in values)
