"""What the function modules of the simulated system see of it: the session's state, its
ledger, and its logical unit of work (changes wait there until BAPI_TRANSACTION_COMMIT).

`SimulatedSap` (simulators.sap.system) implements `SapSession`; the function modules
(basis, fi_ar, posting, zfunctions) are written against this protocol, so that the system can
import them without their importing it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from simulators.sap.ledger import Customer, Ledger
from simulators.sap.state import SimState

__all__ = ["Change", "Handler", "SapSession"]


@dataclass(frozen=True, slots=True)
class Change:
    """A change waiting in the session's unit of work: what the change log says, and how it
    is applied to the state at commit."""

    log: dict[str, str]
    apply: Callable[[SimState], None]
    # Items whose rows the change alters (a block, a posted line): to lay it over them.
    items: tuple[str, ...] = ()


class SapSession(Protocol):
    """One RFC session of the simulated system, as a function module uses it."""

    system_id: str
    logical_system: str
    state: SimState
    ledger: Ledger
    user: str

    def defer(self, change: Change) -> None:
        """Keep a change for the session's commit."""

    def commit(self) -> None:
        """Apply the session's changes, log them, and write the state."""

    def rollback(self) -> None:
        """Drop the session's changes."""

    def company_code_problem(self, company_code: str) -> tuple[str, str, str] | None:
        """(message class, number, variable) if the company code cannot be read."""

    def customer_items(self, customer: Customer, *, cached: bool = False) -> list[dict[str, Any]]:
        """The customer's line items with every committed change laid over them."""

    def find_item(
        self, company_code: str, document: str, year: str, item: str
    ) -> tuple[dict[str, Any], Customer] | None:
        """An item by its key, with the changes laid over it, and its customer."""


# A function module: the session and the checked parameters in, the result out.
Handler = Callable[[SapSession, dict[str, Any]], dict[str, Any]]
