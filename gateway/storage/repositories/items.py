"""Open items and debtors: bulk staging of an extraction, and its merge into the store.

An extraction streams its rows into `extraction_staging` in batches, then a few set-based
statements merge them into `open_items` (the whole snapshot at once), find duplicate keys,
and mark the items the snapshot no longer holds as cleared. Measured on SQLite, this costs
little more than inserting the rows into a bare table; fetching rows into Python to compare
them would cost ten times more (see docs/operations.md, "extraction performance").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update

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
    UtcDateTime,
    extraction_staging,
    utcnow,
)

__all__ = [
    "DEBTOR_COLUMNS",
    "STAGING_COLUMNS",
    "ActiveItem",
    "DebtorBuffer",
    "ItemRepository",
    "StagingWriter",
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
_DATE_POSITIONS = tuple(
    i
    for i, name in enumerate(STAGING_COLUMNS)
    if name
    in (
        "document_date",
        "posting_date",
        "net_due_date",
        "last_dunning_date",
        "payment_promised_until",
    )
)
_DISPUTED = STAGING_COLUMNS.index("disputed")
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
)
_TERMINAL_STATES = tuple(sorted(s.value for s in TERMINAL))


class StagingWriter:
    """Buffers staged rows and inserts them in batches with the driver's executemany.

    Rows are tuples in `STAGING_COLUMNS` order with Python values; SQLite gets dates as ISO
    text and booleans as 0/1 (what SQLAlchemy's types store there), PostgreSQL gets them as is.
    """

    BATCH = 5_000

    def __init__(self, session: Session, transfer_id: int) -> None:
        self.session = session
        self.transfer_id = transfer_id
        self.rows = 0
        self.seen_only = 0
        self._buffer: list[tuple[Any, ...]] = []
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        columns = ("transfer_id", "line", "seen_only", *STAGING_COLUMNS)
        marker = "?" if self._sqlite else "%s"
        self._sql = (
            f"INSERT INTO extraction_staging ({', '.join(columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))})"
        )

    def add(self, line: int, values: Sequence[Any]) -> None:
        if self._sqlite:
            row = list(values)
            for i in _DATE_POSITIONS:
                if row[i] is not None:
                    row[i] = row[i].isoformat()
            row[_DISPUTED] = 1 if row[_DISPUTED] else 0
            self._buffer.append((self.transfer_id, line, 0, *row))
        else:
            self._buffer.append((self.transfer_id, line, False, *values))
        self.rows += 1
        if len(self._buffer) >= self.BATCH:
            self.flush()

    def add_seen_only(self, line: int, key: ItemKey) -> None:
        """A quarantined record whose key is known: it keeps its item from being cleared."""
        filler: list[Any] = [None] * (len(STAGING_COLUMNS) - len(_KEY))
        values = (key.company_code, key.document_number, key.fiscal_year, key.line_item, *filler)
        flag = 1 if self._sqlite else True
        self._buffer.append((self.transfer_id, line, flag, *values))
        self.seen_only += 1
        if len(self._buffer) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            connection = self.session.connection()
            connection.exec_driver_sql(self._sql, self._buffer)
            self._buffer = []


class DebtorBuffer:
    """Debtor data of an extraction, last line wins, upserted in batches.

    Memory is bounded by `LIMIT` debtors, not by the number of items: when full, the buffer is
    written out and starts again (a later write of the same debtor overwrites, so the last
    line still wins).
    """

    LIMIT = 20_000

    def __init__(self, session: Session, source: str) -> None:
        self.session = session
        self.source = source
        self._buffer: dict[str, tuple[Any, ...]] = {}

    def add(self, number: str, values: tuple[Any, ...]) -> None:
        self._buffer[number] = values
        if len(self._buffer) >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        now = utcnow()
        rows = [
            {
                "source": self.source,
                "number": number,
                **dict(zip(DEBTOR_COLUMNS, values, strict=True)),
                "updated_at": now,
            }
            for number, values in self._buffer.items()
        ]
        statement = upsert(DebtorRow)
        statement = statement.on_conflict_do_update(
            index_elements=["source", "number"],
            set_={c: statement.excluded[c] for c in (*DEBTOR_COLUMNS, "updated_at")},
        )
        self.session.execute(statement, rows)
        self._buffer = {}


@dataclass(frozen=True, slots=True)
class ActiveItem:
    """An item that belongs to a case still in play, with its open amount."""

    item_id: int
    case_id: int
    case_item_id: int
    open_amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    line: int
    first_line: int
    key: ItemKey


class ItemRepository:
    """Merges staged extractions and reads items back."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    # --- the merge -----------------------------------------------------------------------

    def merge(self, source: str, transfer_id: int, now: datetime) -> int:
        """Upsert the staged rows of `transfer_id` into open_items; the first line of a key
        wins. Returns how many items were written (fewer than staged rows: duplicates)."""
        columns = ", ".join(STAGING_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in STAGING_COLUMNS if c not in _KEY)
        if self._dialect == "postgresql":
            rows = (
                f"SELECT DISTINCT ON ({', '.join(_KEY)}) {columns}, line FROM extraction_staging "
                f"WHERE transfer_id = :t AND NOT seen_only ORDER BY {', '.join(_KEY)}, line"
            )
        else:
            rows = (
                f"SELECT {columns}, line FROM extraction_staging "
                "WHERE transfer_id = :t AND NOT seen_only ORDER BY line"
            )
        statement = text(
            f"INSERT INTO open_items (source, {columns}, last_seen_line, is_open, cleared_on, "
            "first_seen_transfer_id, last_seen_transfer_id, updated_at) "
            f"SELECT :source, {columns}, line, :true, NULL, :t, :t, :now FROM ({rows}) AS staged "
            f"WHERE true ON CONFLICT ({', '.join(('source', *_KEY))}) DO UPDATE SET {updates}, "
            "last_seen_line = excluded.last_seen_line, is_open = excluded.is_open, "
            "cleared_on = NULL, last_seen_transfer_id = excluded.last_seen_transfer_id, "
            "updated_at = excluded.updated_at "
            "WHERE open_items.last_seen_transfer_id <> excluded.last_seen_transfer_id"
        ).bindparams(bindparam("now", type_=UtcDateTime()))
        result = self.session.execute(
            statement, {"source": source, "t": transfer_id, "now": now, "true": True}
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def duplicates(self, source: str, transfer_id: int) -> list[Duplicate]:
        """Staged lines whose key an earlier line of the same snapshot already had."""
        key_match = " AND ".join(f"o.{c} = s.{c}" for c in _KEY)
        query = text(
            f"SELECT s.line, o.last_seen_line, {', '.join('s.' + c for c in _KEY)} "
            "FROM extraction_staging s JOIN open_items o "
            f"ON o.source = :source AND {key_match} "
            "WHERE s.transfer_id = :t AND NOT s.seen_only AND o.last_seen_line <> s.line "
            "ORDER BY s.line"
        )
        found = []
        for line, first, cc, doc, year, item in self.session.execute(
            query, {"source": source, "t": transfer_id}
        ):
            found.append(Duplicate(line, first, ItemKey(source, cc, doc, year, item)))
        return found

    def mark_seen_only(self, source: str, transfer_id: int) -> None:
        """Items named by quarantined lines count as seen by this snapshot."""
        key = ", ".join(_KEY)
        self.session.execute(
            text(
                f"UPDATE open_items SET last_seen_transfer_id = :t WHERE source = :source "
                f"AND ({key}) IN (SELECT {key} FROM extraction_staging "
                "WHERE transfer_id = :t AND seen_only)"
            ),
            {"source": source, "t": transfer_id},
        )

    def clear_staging(self, transfer_id: int) -> None:
        self.session.execute(
            delete(extraction_staging).where(extraction_staging.c.transfer_id == transfer_id)
        )

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
