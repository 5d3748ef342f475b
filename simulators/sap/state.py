"""What changed in the simulated system since its data was generated, kept in a JSON file.

The generated ledger is fixed by its seed; everything that happens afterwards is recorded
here: items cleared (by a payment the demo makes, or a test), dunning blocks, notes and
collection statuses the write-back set, documents posted (payments), the change log, number
ranges, and the system's settings (users, what the RFC user may not do, locks held by other
users). With a `path`, the state is read when the system is opened and written at each commit,
so that the demo's two cycles, and the source and the write-back, see one system.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USER", "SimState", "item_key"]

DEFAULT_USER = "CLAIMBRIDGE"
DEFAULT_PASSWORD = "claimbridge"  # noqa: S105 - the simulator's documented demo password
_DECIMAL = "__decimal__"


def item_key(company_code: str, document: str, year: str, item: str) -> str:
    """An item's key in the state: company code/document/fiscal year/line item."""
    return f"{company_code}/{document}/{year}/{item}"


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_DECIMAL}:
            return Decimal(value[_DECIMAL])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


@dataclass
class SimState:
    """The simulated system's settings and every change since its data was generated."""

    seed: int
    base_date: date
    customers_per_company_code: int
    items_per_customer: float
    fixed_items: bool
    # A customer now and then blocked for posting (its payments refused: F5/351); off in the
    # demo's system, whose loop ends clean.
    posting_blocks: bool = True
    users: dict[str, str] = field(default_factory=lambda: {DEFAULT_USER: DEFAULT_PASSWORD})
    # What the RFC user is not authorized for (S_RFC functions, F_BKPF_BUK company codes,
    # F_BKPF_BEK customer authorization groups).
    denied_functions: list[str] = field(default_factory=list)
    denied_company_codes: list[str] = field(default_factory=list)
    denied_auth_groups: list[str] = field(default_factory=lambda: ["VIP"])
    locks: dict[str, str] = field(default_factory=dict)  # "cc/doc/year" → user holding it
    cleared: dict[str, list[str]] = field(default_factory=dict)  # item → [date, clearing doc]
    blocks: dict[str, str] = field(default_factory=dict)  # item → dunning block
    notes: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # item → BAPI3007_2 row
    changes: list[dict[str, str]] = field(default_factory=list)  # the change log, in order
    counters: dict[str, int] = field(default_factory=dict)  # number ranges
    path: Path | None = field(default=None, compare=False)

    def next_number(self, company_code: str, year: str, prefix: str) -> str:
        """The next document number of a number range (eight digits after the prefix)."""
        name = f"{company_code}/{year}/{prefix}"
        value = self.counters.get(name, 0) + 1
        self.counters[name] = value
        return f"{prefix}{value:08d}"

    # --- persistence ---------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> SimState:
        data = _decode(json.loads(path.read_text(encoding="utf-8")))
        data["base_date"] = date.fromisoformat(data["base_date"])
        state = cls(**data)
        state.path = path
        return state

    def save(self) -> None:
        """Write the state to its file atomically (nothing to do without a file)."""
        if self.path is None:
            return
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "path"}
        data["base_date"] = self.base_date.isoformat()
        text = json.dumps(_encode(data), ensure_ascii=False, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".sapsim-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
