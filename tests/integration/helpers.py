"""Small helpers shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from gateway.storage.database import Store
from gateway.storage.models import (
    CaseEventRow,
    CaseRow,
    OpenItemRow,
    OutboxMessageRow,
    QuarantinedRecordRow,
    TransferRow,
)

HEADER = (
    "company_code,document_number,fiscal_year,line_item,customer_number,customer_name,"
    "document_date,due_date,currency,open_amount,dunning_level\n"
)


def export(folder: Path, name: str, lines: list[str]) -> Path:
    """Write a generic-opos export into the workspace's ERP folder."""
    path = folder / "erp" / "exports" / name
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def item_line(
    doc: str,
    amount: str = "100.00",
    debtor: str = "C1",
    level: int = 3,
    due: str = "2026-08-01",
    currency: str = "EUR",
) -> str:
    return (
        f"1000,{doc},2026,001,{debtor},Debtor {debtor},2026-07-01,{due},{currency},{amount},{level}"
    )


def counts(store: Store) -> dict[str, int]:
    tables = {
        "items": OpenItemRow,
        "cases": CaseRow,
        "events": CaseEventRow,
        "outbox": OutboxMessageRow,
        "transfers": TransferRow,
        "quarantined": QuarantinedRecordRow,
    }
    with store.unit_of_work(read_only=True) as session:
        return {
            k: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for k, t in tables.items()
        }


def files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.suffix != ".db" and not p.name.endswith(("-wal", "-shm"))
    }
