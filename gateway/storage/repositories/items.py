"""Open items and debtors: writing an extraction in bulk, and reading items back.

An extraction's rows are upserted into `open_items` in batches with the driver's executemany,
each row stamped with the snapshot (its transfer) and its line; a key already written by the
same snapshot is not overwritten, so the first line of a key wins and the batch's row count
reveals duplicates. Afterwards one statement marks the items of the snapshot's company codes
that it did not hold as cleared. Measured on a million items, this was the fastest of the
designs tried (a staging table merged by SQL wrote every row twice); figures in docs/it.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, bindparam, delete, func, select, text, update

# The raw SQL below is assembled from the constant column names of this module only; every
# value travels as a bound parameter.
from sqlalchemy.orm import Session

from gateway.domain.cases import TERMINAL
from gateway.domain.items import Debtor, DebtorKind, ItemKey, OpenItem
from gateway.domain.money import Money
from gateway.storage.models import (
    CaseItemRow,
    CaseRow,
    DebtorRow,
    OpenItemRow,
    extraction_seen,
    utcnow,
)

__all__ = [
    "DEBTOR_COLUMNS",
    "STAGING_COLUMNS",
    "ActiveItem",
    "DebtorBuffer",
    "Duplicate",
    "ItemRepository",
    "ItemWriter",
    "debtor_from_row",
    "item_from_row",
]

# The order of values in a staged row (after transfer_id, line, seen_only).
STAGING_COLUMNS: tuple[str, ...] = (
    "company_code",
    "document_number",
    "fiscal_year",
    "line_item",
    "debtor_number",
    "document_date",
    "posting_date",
    "net_due_date",
    "currency",
    "amount_minor",
    "open_amount_minor",
    "dunning_level",
    "last_dunning_date",
    "dunning_block",
    "disputed",
    "payment_promised_until",
    "reference",
    "document_type",
    "text",
)
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_KEY = ("company_code", "document_number", "fiscal_year", "line_item")

DEBTOR_COLUMNS: tuple[str, ...] = (
    "name",
    "name2",
    "kind",
    "vat_id",
    "registration",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
    "language",
    "segment",
    "sales_rep",
)
_TERMINAL_STATES = tuple(sorted(s.value for s in TERMINAL))


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A line whose item key an earlier line of the same snapshot already had."""

    line: int
    first_line: int
    key: ItemKey


def _sqlite_instant(moment: datetime) -> str:
    # What SQLAlchemy's DateTime stores on SQLite (read back by UtcDateTime as UTC).
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class ItemWriter:
    """Upserts the items of one snapshot in batches; the first line of a key wins.

    Rows are tuples in `STAGING_COLUMNS` order with Python values; SQLite gets dates as ISO
    text and booleans as 0/1 (what SQLAlchemy's types store there), PostgreSQL gets them as is.
    """

    # Rows per executemany. Small enough that a batch is bound while its values are still in
    # the CPU's cache: 500 wrote a million items in 10.4 s, 5,000 in 12.2 s (binding touched
    # every value again after the whole batch had been built).
    BATCH = 500
    DATES = 20_000  # ISO texts of dates kept at most (about 55 years of days)

    def __init__(self, session: Session, source: str, transfer_id: int, now: datetime) -> None:
        self.session = session
        self.source = source
        self.transfer_id = transfer_id
        self.rows = 0  # rows given (counted as each batch is written)
        self.written = 0  # items inserted or updated
        self.seen_only = 0
        self.duplicates: list[Duplicate] = []
        self._buffer: list[tuple[Any, ...]] = []
        self._seen: list[tuple[Any, ...]] = []
        self._date_text: dict[date, str] = {}
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        if not _SOURCE_NAME.fullmatch(source):
            raise ValueError(f"invalid source name {source!r}")
        marker = "?" if self._sqlite else "%s"
        # What is the same for every row of the snapshot is written into the statement once
        # instead of being bound a million times: the source (a checked name), the transfer
        # (an int), the time (formatted here) and the open flag. Everything else is bound.
        stamp = _sqlite_instant(now) if self._sqlite else now.astimezone(UTC).isoformat()
        columns = (
            "source",
            *STAGING_COLUMNS,
            "last_seen_line",
            "is_open",
            "first_seen_transfer_id",
            "last_seen_transfer_id",
            "updated_at",
        )
        values = ", ".join([marker] * (len(STAGING_COLUMNS) + 1))
        constants = f"'{source}', {values}, TRUE, {int(transfer_id)}, {int(transfer_id)}, '{stamp}'"
        updates = ", ".join(
            f"{c} = excluded.{c}"
            for c in (
                *STAGING_COLUMNS[len(_KEY) :],
                "last_seen_line",
                "is_open",
                "last_seen_transfer_id",
                "updated_at",
            )
        )
        self._upsert = (
            f"INSERT INTO open_items ({', '.join(columns)}) VALUES ({constants}) "
            f"ON CONFLICT (source, {', '.join(_KEY)}) DO UPDATE SET {updates}, cleared_on = NULL "
            "WHERE open_items.last_seen_transfer_id <> excluded.last_seen_transfer_id"
        )
        self._find = (
            f"SELECT last_seen_line FROM open_items WHERE source = {marker} AND "
            + " AND ".join(f"{c} = {marker}" for c in _KEY)
        )
        self._insert_seen = (
            "INSERT INTO extraction_seen (transfer_id, line, company_code, document_number, "
            f"fiscal_year, line_item) VALUES ({', '.join([marker] * 6)})"
        )

    def add(self, line: int, values: Sequence[Any]) -> None:
        if self._sqlite:
            # Unrolled (this runs for every line): dates as ISO text, the flag as 0/1. The
            # document, posting and net due dates are never empty here. An export holds few
            # distinct dates, so their text is looked up rather than formatted each time.
            v = values
            text = self._date_text
            self._buffer.append(
                (
                    v[0],
                    v[1],
                    v[2],
                    v[3],
                    v[4],
                    text.get(v[5]) or self._date_to_text(v[5]),
                    text.get(v[6]) or self._date_to_text(v[6]),
                    text.get(v[7]) or self._date_to_text(v[7]),
                    v[8],
                    v[9],
                    v[10],
                    v[11],
                    None if v[12] is None else text.get(v[12]) or self._date_to_text(v[12]),
                    v[13],
                    1 if v[14] else 0,
                    None if v[15] is None else text.get(v[15]) or self._date_to_text(v[15]),
                    v[16],
                    v[17],
                    v[18],
                    line,
                )
            )
        else:
            self._buffer.append((*values, line))
        if len(self._buffer) >= self.BATCH:
            self.flush()

    def _date_to_text(self, day: date) -> str:
        if len(self._date_text) >= self.DATES:
            self._date_text.clear()  # memory stays bounded whatever the dates
        text = self._date_text[day] = day.isoformat()
        return text

    def add_seen_only(self, line: int, key: ItemKey) -> None:
        """A quarantined record whose key is known: it keeps its item from being cleared."""
        self._seen.append(
            (
                self.transfer_id,
                line,
                key.company_code,
                key.document_number,
                key.fiscal_year,
                key.line_item,
            )
        )
        self.seen_only += 1
        if len(self._seen) >= self.BATCH:
            self._flush_seen()

    def flush(self) -> None:
        batch, self._buffer = self._buffer, []
        self._flush_seen()
        if not batch:
            return
        self.rows += len(batch)
        cursor = self.session.connection().connection.cursor()
        try:
            cursor.executemany(self._upsert, batch)
            changed = cursor.rowcount
            self.written += changed
            if changed < len(batch):  # some keys were already written by this snapshot
                for row in batch:
                    key = row[: len(_KEY)]
                    cursor.execute(self._find, (self.source, *key))
                    found = cursor.fetchone()
                    line = row[len(STAGING_COLUMNS)]
                    if found is not None and found[0] != line:
                        self.duplicates.append(
                            Duplicate(line, int(found[0]), ItemKey(self.source, *key))
                        )
        finally:
            cursor.close()

    def _flush_seen(self) -> None:
        if self._seen:
            self.session.connection().exec_driver_sql(self._insert_seen, self._seen)
            self._seen = []


class DebtorBuffer:
    """Debtor data of an extraction, upserted in small batches.

    Every line of a snapshot carries its debtor's data, and every line's is checked (the
    pipeline quarantines a line whose debtor data is wrong, whichever line of the debtor it
    is). When a debtor's lines carry different data (an ERP that gives each invoice its own
    address), the line of the most recent document wins (`rank`: document date, number, year,
    line), so that the result does not depend on the order of the lines.

    Memory is bounded, not by the number of items: the data of at most `LIMIT` debtors is held
    before it is written, and at most `SEEN_LIMIT` debtors are remembered with the cells their
    data was mapped from and its rank (`taken`): a line with the same cells maps to the same
    data, so it need not be mapped again. Rows go to the driver's executemany with one
    statement prepared here, as items do (building it per batch through the ORM cost twenty
    times as much).
    """

    LIMIT = 2_000
    SEEN_LIMIT = 100_000

    def __init__(self, session: Session, source: str) -> None:
        self.session = session
        self.source = source
        self._buffer: dict[str, tuple[Any, ...]] = {}
        # Debtor → (the cells its data was mapped from, the rank of that line).
        self.taken: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        marker = "?" if self._sqlite else "%s"
        columns = ("source", "number", *DEBTOR_COLUMNS, "updated_at")
        updates = ", ".join(f"{c} = excluded.{c}" for c in (*DEBTOR_COLUMNS, "updated_at"))
        self._upsert = (
            f"INSERT INTO debtors ({', '.join(columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))}) "
            f"ON CONFLICT (source, number) DO UPDATE SET {updates}"
        )

    def add(
        self,
        number: str,
        values: tuple[Any, ...],
        cells: tuple[Any, ...] = (),
        rank: tuple[Any, ...] = (),
    ) -> None:
        """Checked data of a debtor, mapped from `cells` of a line of `rank`: kept unless a
        line of a higher rank gave other data."""
        kept = self.taken.get(number)
        if kept is not None and kept[1] > rank:
            return
        self._buffer[number] = values
        if len(self.taken) >= self.SEEN_LIMIT:
            self.taken.clear()
        self.taken[number] = (cells, rank)
        if len(self._buffer) >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        now = utcnow()
        stamp: Any = _sqlite_instant(now) if self._sqlite else now.astimezone(UTC)
        rows = [(self.source, number, *values, stamp) for number, values in self._buffer.items()]
        cursor = self.session.connection().connection.cursor()
        try:
            cursor.executemany(self._upsert, rows)
        finally:
            cursor.close()
        self._buffer = {}


@dataclass(frozen=True, slots=True)
class ActiveItem:
    """An item that belongs to a case still in play, with its open amount."""

    item_id: int
    case_id: int
    case_item_id: int
    open_amount_minor: int
    currency: str


class ItemRepository:
    """Merges staged extractions and reads items back."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    # --- after the rows ----------------------------------------------------------------

    def mark_seen_only(self, source: str, transfer_id: int) -> None:
        """Items named by quarantined lines count as seen by this snapshot."""
        key = ", ".join(_KEY)
        self.session.execute(
            text(
                f"UPDATE open_items SET last_seen_transfer_id = :t WHERE source = :source "
                f"AND ({key}) IN (SELECT {key} FROM extraction_seen WHERE transfer_id = :t)"
            ),
            {"source": source, "t": transfer_id},
        )
        self.session.execute(
            delete(extraction_seen).where(extraction_seen.c.transfer_id == transfer_id)
        )

    def keep_debtors(
        self, source: str, debtors: Iterable[tuple[str, str]], transfer_id: int
    ) -> int:
        """Open items of these (company code, debtor) pairs count as seen by this snapshot: the
        source could not read them, so their absence says nothing."""
        statement = text(
            "UPDATE open_items SET last_seen_transfer_id = :t WHERE source = :source "
            "AND company_code = :company_code AND debtor_number = :debtor AND is_open"
        )
        connection = self.session.connection()
        count = 0
        for company_code, debtor in debtors:
            parameters = {
                "t": transfer_id,
                "source": source,
                "company_code": company_code,
                "debtor": debtor,
            }
            count += int(connection.execute(statement, parameters).rowcount)
        return count

    def clear_reported(
        self,
        source: str,
        cleared: Sequence[tuple[ItemKey, date]],
        transfer_id: int,
        now: datetime,
    ) -> int:
        """Mark items the source reports cleared as cleared on the reported date, unless this
        snapshot also holds them open. Returns how many open items were cleared."""
        if not cleared:
            return 0
        # One core statement per item (compiled once): the driver's executemany does not
        # report reliable row counts on every database. Most reported clearings name lines
        # that are not stored (payments): the key index finds nothing at once.
        statement = text(
            "UPDATE open_items SET is_open = :closed, cleared_on = :on, updated_at = :now "
            "WHERE source = :source AND company_code = :company_code "
            "AND document_number = :document AND fiscal_year = :year AND line_item = :line "
            "AND is_open AND last_seen_transfer_id <> :t"
        ).bindparams(
            bindparam("closed", type_=Boolean()),
            bindparam("on", type_=Date()),
            bindparam("now", type_=OpenItemRow.__table__.c.updated_at.type),
        )
        connection = self.session.connection()
        count = 0
        for key, on in cleared:
            parameters = {
                "closed": False,
                "on": on,
                "now": now,
                "source": source,
                "company_code": key.company_code,
                "document": key.document_number,
                "year": key.fiscal_year,
                "line": key.line_item,
                "t": transfer_id,
            }
            count += int(connection.execute(statement, parameters).rowcount)
        return count

    def apply_to(
        self,
        source: str,
        transfer_id: int,
        key: tuple[str, str, int, str],
        currency: str,
        minor: int,
    ) -> bool:
        """Add `minor` to the open amount of the item `key` (company code, document, year,
        line item) as this snapshot wrote it, if it holds it in `currency`; whether it did."""
        statement = text(
            "UPDATE open_items SET open_amount_minor = open_amount_minor + :minor "
            "WHERE source = :source AND company_code = :company_code "
            "AND document_number = :document AND fiscal_year = :year AND line_item = :line "
            "AND currency = :currency AND last_seen_transfer_id = :t AND is_open"
        )
        company_code, document, year, line = key
        parameters = {
            "minor": minor,
            "source": source,
            "company_code": company_code,
            "document": document,
            "year": year,
            "line": line,
            "currency": currency,
            "t": transfer_id,
        }
        return int(self.session.connection().execute(statement, parameters).rowcount) == 1

    def keys_of(self, item_ids: Sequence[int]) -> dict[tuple[str, str, int, str], int]:
        """(company code, document, fiscal year, line item) → id, for these items."""
        found: dict[tuple[str, str, int, str], int] = {}
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            query = select(
                OpenItemRow.id,
                OpenItemRow.company_code,
                OpenItemRow.document_number,
                OpenItemRow.fiscal_year,
                OpenItemRow.line_item,
            ).where(OpenItemRow.id.in_(chunk))
            for item_id, company_code, document, year, line in self.session.execute(query):
                found[(company_code, document, year, line)] = item_id
        return found

    def active_items(
        self, source: str, company_codes: Iterable[str] | None = None
    ) -> list[ActiveItem]:
        """Open items of `source` that belong to a case still in play."""
        query = (
            select(
                OpenItemRow.id,
                CaseRow.id,
                CaseItemRow.id,
                OpenItemRow.open_amount_minor,
                OpenItemRow.currency,
            )
            .join(CaseItemRow, CaseItemRow.item_id == OpenItemRow.id)
            .join(CaseRow, CaseRow.id == CaseItemRow.case_id)
            .where(
                OpenItemRow.source == source,
                OpenItemRow.is_open.is_(True),
                CaseRow.state.not_in(_TERMINAL_STATES),
            )
        )
        if company_codes is not None:
            query = query.where(OpenItemRow.company_code.in_(list(company_codes)))
        return [ActiveItem(*row) for row in self.session.execute(query)]

    def open_amounts(self, item_ids: Sequence[int]) -> dict[int, tuple[int, int, bool]]:
        """item id → (open amount, last seen transfer, is open)."""
        found: dict[int, tuple[int, int, bool]] = {}
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            query = select(
                OpenItemRow.id,
                OpenItemRow.open_amount_minor,
                OpenItemRow.last_seen_transfer_id,
                OpenItemRow.is_open,
            ).where(OpenItemRow.id.in_(chunk))
            for item_id, amount, seen, is_open in self.session.execute(query):
                found[item_id] = (amount, seen, is_open)
        return found

    def clear_unseen(
        self,
        source: str,
        company_codes: Sequence[str],
        transfer_id: int,
        as_of: date,
        now: datetime,
    ) -> int:
        """Mark open items of these company codes that the snapshot did not hold as cleared."""
        if not company_codes:
            return 0
        statement = (
            update(OpenItemRow)
            .where(
                OpenItemRow.source == source,
                OpenItemRow.company_code.in_(list(company_codes)),
                OpenItemRow.is_open.is_(True),
                OpenItemRow.last_seen_transfer_id != transfer_id,
            )
            .values(is_open=False, cleared_on=as_of, updated_at=now)
        )
        return int(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]

    # --- what a snapshot would take away (its plausibility guard) ------------------------

    def open_totals(self, source: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(company code, currency) → (open items, open amount) of a source, now."""
        row = OpenItemRow
        query = (
            select(row.company_code, row.currency, func.count(), func.sum(row.open_amount_minor))
            .where(row.source == source, row.is_open.is_(True))
            .group_by(row.company_code, row.currency)
        )
        return {
            (code, currency): (int(n), int(amount or 0))
            for code, currency, n, amount in self.session.execute(query)
        }

    def snapshot_effect(
        self, source: str, company_codes: Sequence[str], transfer_id: int, reported_at: datetime
    ) -> dict[str, tuple[int, int, int, int]]:
        """Per currency, over the snapshot's company codes, before it clears the items it does
        not hold: those items (count, open amount); the open amount now of the items it held
        that were there before it; and the open amount of the items the source reported
        cleared in it (at `reported_at`)."""
        row = OpenItemRow
        where = (
            row.source == source,
            row.company_code.in_(list(company_codes)),
            row.is_open.is_(True),
        )
        found: dict[str, list[int]] = {}
        for currency, n, amount in self.session.execute(
            select(row.currency, func.count(), func.sum(row.open_amount_minor))
            .where(*where, row.last_seen_transfer_id != transfer_id)
            .group_by(row.currency)
        ):
            found.setdefault(currency, [0, 0, 0, 0])[:2] = [int(n), int(amount or 0)]
        for currency, amount in self.session.execute(
            select(row.currency, func.sum(row.open_amount_minor))
            .where(
                *where,
                row.last_seen_transfer_id == transfer_id,
                row.first_seen_transfer_id != transfer_id,
            )
            .group_by(row.currency)
        ):
            found.setdefault(currency, [0, 0, 0, 0])[2] = int(amount or 0)
        for currency, amount in self.session.execute(
            select(row.currency, func.sum(row.open_amount_minor))
            .where(
                row.source == source,
                row.company_code.in_(list(company_codes)),
                row.is_open.is_(False),
                row.updated_at == reported_at,
                row.last_seen_transfer_id != transfer_id,
            )
            .group_by(row.currency)
        ):
            found.setdefault(currency, [0, 0, 0, 0])[3] = int(amount or 0)
        return {c: (v[0], v[1], v[2], v[3]) for c, v in found.items()}

    # --- reading ---------------------------------------------------------------------------

    def get_items(self, item_ids: Sequence[int]) -> dict[int, OpenItem]:
        found: dict[int, OpenItem] = {}
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            for row in self.session.scalars(select(OpenItemRow).where(OpenItemRow.id.in_(chunk))):
                found[row.id] = item_from_row(row)
        return found

    def get_debtor(self, source: str, number: str) -> Debtor | None:
        row = self.session.scalars(
            select(DebtorRow).where(DebtorRow.source == source, DebtorRow.number == number)
        ).first()
        return debtor_from_row(row) if row else None

    def find(self, key: ItemKey) -> OpenItemRow | None:
        return self.session.scalars(
            select(OpenItemRow).where(
                OpenItemRow.source == key.source,
                OpenItemRow.company_code == key.company_code,
                OpenItemRow.document_number == key.document_number,
                OpenItemRow.fiscal_year == key.fiscal_year,
                OpenItemRow.line_item == key.line_item,
            )
        ).first()


def item_from_row(row: OpenItemRow) -> OpenItem:
    return OpenItem(
        key=ItemKey(
            row.source, row.company_code, row.document_number, row.fiscal_year, row.line_item
        ),
        debtor_number=row.debtor_number,
        document_date=row.document_date,
        posting_date=row.posting_date,
        net_due_date=row.net_due_date,
        amount=Money(row.amount_minor, row.currency),
        open_amount=Money(row.open_amount_minor, row.currency),
        dunning_level=row.dunning_level,
        last_dunning_date=row.last_dunning_date,
        dunning_block=row.dunning_block,
        disputed=row.disputed,
        payment_promised_until=row.payment_promised_until,
        reference=row.reference,
        document_type=row.document_type,
        text=row.text,
    )


def debtor_from_row(row: DebtorRow) -> Debtor:
    return Debtor(
        number=row.number,
        name=row.name,
        kind=DebtorKind(row.kind),
        name2=row.name2,
        vat_id=row.vat_id,
        registration=row.registration,
        street=row.street,
        postal_code=row.postal_code,
        city=row.city,
        country=row.country,
        email=row.email,
        phone=row.phone,
        language=row.language,
        segment=row.segment,
    )
