"""SimulatedSap: an SAP system in the process, answering RFC calls as SAP does through pyrfc.

A call goes through what a real one goes through: the logon (user and password, or the
partner unreachable), the function's existence (FU_NOT_FOUND) and the RFC authorization
(S_RFC), every parameter checked against the function's interface as pyrfc checks it (unknown
names: RFC_INVALID_PARAMETER; wrong Python types: TypeError), the timeout (RFC_CANCELED, and
the session's uncommitted work lost), then the function itself; the result holds every EXPORT,
CHANGING and TABLES parameter in pyrfc's shapes. Changes wait in the session's logical unit of
work until BAPI_TRANSACTION_COMMIT, and are dropped by BAPI_TRANSACTION_ROLLBACK or when the
connection closes. Committed changes reach the state file when the connection closes (a
write-back commits once per action: writing the whole file each time would make a large
delivery quadratic); a process that dies before closing loses them, as a simulator may.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulators.sap.abap import Structure, unknown_field
from simulators.sap.ddic import FUNCTIONS, Parameter
from simulators.sap.functions import HANDLERS
from simulators.sap.ledger import COMPANY_CODES, Customer, Ledger, customer_line, dats
from simulators.sap.rfc_errors import (
    RFC_ABAP_EXCEPTION,
    RFC_ABAP_RUNTIME_FAILURE,
    RFC_CANCELED,
    RFC_COMMUNICATION_FAILURE,
    ABAPApplicationError,
    ABAPRuntimeError,
    CommunicationError,
    LogonError,
)
from simulators.sap.session import Change
from simulators.sap.state import DEFAULT_USER, SimState, item_key

if TYPE_CHECKING:
    from connectors.sap_rfc.options import RfcClientOptions

__all__ = ["SimulatedSap"]

SYSTEM_ID = "SIM"
LOGICAL_SYSTEM = "SIMCLNT100"
FOUND_CACHE = 64  # customers whose generated items stay at hand for item look-ups


class SimulatedSap:
    """A simulated SAP system reached through one RFC connection (an `RfcClient`)."""

    system_id = SYSTEM_ID
    logical_system = LOGICAL_SYSTEM

    def __init__(
        self,
        state: SimState,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.state = state
        self.ledger = Ledger(
            state.seed,
            state.base_date,
            state.customers_per_company_code,
            state.items_per_customer,
            state.fixed_items,
            state.posting_blocks,
        )
        # Without credentials the simulator logs its default user on (tests, the demo).
        self.user = (user or DEFAULT_USER).upper()
        self._password = password
        self._check_logon = user is not None
        self.timeout = timeout
        # What tests turn on: the network down, functions that take this long (seconds).
        self.unreachable = False
        self.delays: dict[str, float] = {}
        self.calls: list[str] = []  # functions called, in order
        self.connections_opened = 0
        self._connected = False
        self._luw: list[Change] = []
        self._touched: dict[tuple[str, str], set[str]] | None = None
        self._unsaved = False
        self._generated: OrderedDict[Customer, list[dict[str, Any]]] = OrderedDict()

    # --- making one ------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        seed: int = 20261120,
        base_date: date | None = None,
        customers_per_company_code: int = 1_500,
        items_per_customer: float = 12.0,
        fixed_items: bool = False,
        posting_blocks: bool = True,
        path: Path | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
    ) -> SimulatedSap:
        """A system read from `path` if that file exists; otherwise a new one (written to
        `path` if given). `base_date` is the system's 'today' for its generated data."""
        if path is not None and path.exists():
            state = SimState.load(path)
        else:
            state = SimState(
                seed=seed,
                base_date=base_date or date.today(),  # noqa: DTZ011 - a business date
                customers_per_company_code=customers_per_company_code,
                items_per_customer=items_per_customer,
                fixed_items=fixed_items,
                posting_blocks=posting_blocks,
                path=path,
            )
            state.save()
        return cls(state, user=user, password=password, timeout=timeout)

    @classmethod
    def from_options(cls, options: RfcClientOptions, base_dir: Path) -> SimulatedSap:
        """The system `client: simulator` options describe."""
        sim = options.simulator
        connection = options.connection
        return cls.create(
            seed=sim.seed,
            base_date=sim.base_date,
            customers_per_company_code=sim.customers_per_company_code,
            items_per_customer=sim.items_per_customer,
            fixed_items=sim.fixed_items,
            path=(base_dir / sim.state) if sim.state else None,
            user=connection.user if connection else None,
            password=connection.passwd.get_secret_value() if connection else None,
            timeout=options.timeout_seconds,
        )

    # --- RfcClient -----------------------------------------------------------------------

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        self._connect()
        self.calls.append(function)
        interface = FUNCTIONS.get(function)
        if interface is None:
            raise ABAPApplicationError(
                f"ID:FL Type:E Number:046 {function}",
                code=RFC_ABAP_EXCEPTION,
                key="FU_NOT_FOUND",
                msg_class="FL",
                msg_type="E",
                msg_number="046",
                msg_v1=function,
            )
        if function in self.state.denied_functions:
            raise ABAPRuntimeError(
                f"User {self.user} has no RFC authorization for function module {function}.",
                code=RFC_ABAP_RUNTIME_FAILURE,
                key="RFC_ERROR_SYSTEM_FAILURE",
            )
        given = self._accept(interface, params)
        delay = self.delays.get(function, 0.0)
        if self.timeout is not None and delay > self.timeout:
            # pyrfc cancels the call and opens a new connection: the session's work is lost.
            self._luw.clear()
            self.connections_opened += 1
            raise CommunicationError(
                f"Connection was canceled after {self.timeout:g} s",
                code=RFC_CANCELED,
                key="RFC_CANCELED",
            )
        result = HANDLERS[function](self, given)
        return self._result(interface, given, result)

    def close(self) -> None:
        """Close the connection: uncommitted work is rolled back, as SAP does; what was
        committed is written to the state file."""
        self._luw.clear()
        self._connected = False
        self.save()

    def save(self) -> None:
        """Write committed changes to the state file now."""
        if self._unsaved:
            self.state.save()
            self._unsaved = False

    def _connect(self) -> None:
        if self.unreachable:
            self._connected = False
            raise CommunicationError(
                "partner 'simsap:3300' not reached (connection refused)",
                code=RFC_COMMUNICATION_FAILURE,
                key="RFC_COMMUNICATION_FAILURE",
            )
        if self._connected:
            return
        if self._check_logon and self.state.users.get(self.user) != self._password:
            raise LogonError("Name or password is incorrect (repeat logon)")
        self._connected = True
        self.connections_opened += 1

    def _accept(self, interface: tuple[Parameter, ...], params: dict[str, Any]) -> dict[str, Any]:
        by_name = {p.name: p for p in interface}
        given: dict[str, Any] = {}
        for name, value in params.items():
            parameter = by_name.get(name)
            if parameter is None:
                raise unknown_field(name)
            kind = parameter.type
            if isinstance(kind, Structure):
                given[name] = (
                    kind.accept_table(value) if parameter.direction == "T" else kind.accept(value)
                )
            else:
                given[name] = kind.accept(value)
        for parameter in interface:  # parameters not given: their initial value
            if parameter.name not in given and parameter.direction in ("I", "C"):
                kind = parameter.type
                given[parameter.name] = kind.initial()
        return given

    def _result(
        self, interface: tuple[Parameter, ...], given: dict[str, Any], result: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for parameter in interface:
            if parameter.direction == "I":
                continue
            name = parameter.name
            if name in result:
                out[name] = result[name]
            elif parameter.direction == "T":
                out[name] = given.get(name, [])
            else:
                out[name] = parameter.type.initial()
        return out

    # --- what the functions use ----------------------------------------------------------

    def defer(self, change: Change) -> None:
        """Keep a change for the session's commit."""
        self._luw.append(change)

    def commit(self) -> None:
        """Apply the session's changes, log them, and write the state."""
        for change in self._luw:
            change.apply(self.state)
            self.state.changes.append(change.log)
            for key in change.items:
                self._index(key)
        self._luw.clear()
        self._unsaved = True

    def rollback(self) -> None:
        self._luw.clear()

    def company_code_problem(self, company_code: str) -> tuple[str, str, str] | None:
        """(message class, number, variable) if the company code cannot be read."""
        if company_code not in COMPANY_CODES:
            return ("F5", "165", company_code)
        if company_code in self.state.denied_company_codes:
            return ("F5", "155", company_code)
        return None

    def customer_items(self, customer: Customer, *, cached: bool = False) -> list[dict[str, Any]]:
        """The customer's line items with every committed change laid over them. `cached`
        keeps the generated rows of the last customers at hand (for look-ups by item, which
        come customer after customer); a read of all customers once does without."""
        if cached:
            generated = self._generated.get(customer)
            if generated is None:
                generated = self._generated[customer] = self.ledger.items(customer)
                if len(self._generated) > FOUND_CACHE:
                    self._generated.popitem(last=False)
            else:
                self._generated.move_to_end(customer)
            rows = [dict(row) for row in generated]
        else:
            rows = self.ledger.items(customer)
        keys = self._touched_keys().get((customer.company_code, customer.number))
        if not keys:
            return rows
        state = self.state
        rows += [dict(state.documents[k]) for k in sorted(keys) if k in state.documents]
        for row in rows:
            key = item_key(row["COMP_CODE"], row["DOC_NO"], row["FISC_YEAR"], row["ITEM_NUM"])
            if key not in keys:
                continue
            cleared = state.cleared.get(key)
            if cleared is not None:
                row["CLEAR_DATE"], row["CLR_DOC_NO"] = cleared
            if key in state.blocks:
                row["DUNN_BLOCK"] = state.blocks[key]
        return rows

    def find_item(
        self, company_code: str, document: str, year: str, item: str
    ) -> tuple[dict[str, Any], Customer] | None:
        """An item by its key, with the changes laid over it, and its customer."""
        key = item_key(company_code, document, year, item)
        posted = self.state.documents.get(key)
        customer = (
            self.ledger.find_customer(company_code, posted["CUSTOMER"])
            if posted is not None
            else self.ledger.owner_of(company_code, document)
        )
        if customer is None:
            return None
        for row in self.customer_items(customer, cached=True):
            if (row["DOC_NO"], row["FISC_YEAR"], row["ITEM_NUM"]) == (document, year, item):
                return row, customer
        return None

    def _touched_keys(self) -> dict[tuple[str, str], set[str]]:
        """(company code, customer) → the keys of its items that changed."""
        if self._touched is None:
            self._touched = {}
            state = self.state
            for key in {*state.cleared, *state.blocks, *state.documents}:
                self._index(key)
        return self._touched

    def _index(self, key: str) -> None:
        if self._touched is None:
            return  # built from the state when first needed
        company_code, document = key.split("/")[:2]
        posted = self.state.documents.get(key)
        if posted is not None:
            number = posted["CUSTOMER"]
        else:
            owner = self.ledger.owner_of(company_code, document)
            if owner is None:
                return
            number = owner.number
        self._touched.setdefault((company_code, number), set()).add(key)

    # --- what a clerk does in SAP GUI (the demo's next day, and tests) --------------------

    def add_invoice(
        self,
        customer: Customer,
        document: str,
        amount: Decimal,
        currency: str,
        posted: date,
        *,
        net_days: int = 30,
        dunning_level: int = 0,
        year: str | None = None,
        baseline: date | None = None,
        document_date: date | None = None,
    ) -> str:
        """Post an invoice line (FB70) for the customer; returns its item key. `baseline`
        (default: the posting date) may be left initial with `date.min` (a line migrated from
        a legacy system); `document_date` defaults to the posting date."""
        row = customer_line(
            customer, document, year or f"{posted.year:04}", posted, currency, amount, "S"
        )
        row.update(DOC_TYPE="RV", POST_KEY="01", PMNTTRMS="ZB30", NETTERMS=Decimal(net_days))
        if document_date is not None:
            row["DOC_DATE"] = dats(document_date)
        if baseline is not None:
            row["BLINE_DATE"] = "00000000" if baseline == date.min else dats(baseline)
        row["DUNN_LEVEL"] = str(dunning_level)
        if dunning_level:
            row["LAST_DUNN"] = dats(posted + timedelta(days=net_days + 10))
        key = item_key(row["COMP_CODE"], document, row["FISC_YEAR"], "001")
        self.state.documents[key] = row
        self._touched = None
        self.state.save()
        return key

    def pay_in_full(self, key: str, on: date) -> str:
        """The customer paid the item: post the incoming payment and clear the item with it
        (F-28); returns the clearing document number."""
        found = self.find_item(*key.split("/"))
        if found is None:
            raise KeyError(f"no item {key}")
        row, customer = found
        year = f"{on.year:04}"
        document = self.state.next_number(customer.company_code, year, "14")
        payment = customer_line(
            customer, document, year, on, row["CURRENCY"], row["AMT_DOCCUR"], "H"
        )
        payment.update(DOC_TYPE="DZ", POST_KEY="15", ITEM_TEXT="Incoming payment")
        payment_key = item_key(customer.company_code, document, year, "001")
        for cleared_key, line in ((key, row), (payment_key, payment)):
            line["CLEAR_DATE"], line["CLR_DOC_NO"] = dats(on), document
            self.state.cleared[cleared_key] = [dats(on), document]
        self.state.documents[payment_key] = payment
        self.state.changes.append({"function": "F-28", "item": key, "document": document})
        self._touched = None
        self.state.save()
        return document

    def pay_in_part(self, key: str, amount: Decimal, on: date) -> str:
        """The customer paid part of the item: a partial payment referring to it (the
        invoice stays open in full, SAP's partial-payment method); returns its item key."""
        found = self.find_item(*key.split("/"))
        if found is None:
            raise KeyError(f"no item {key}")
        row, customer = found
        year = f"{on.year:04}"
        document = self.state.next_number(customer.company_code, year, "14")
        payment = customer_line(customer, document, year, on, row["CURRENCY"], amount, "H")
        payment.update(DOC_TYPE="DZ", POST_KEY="15", ITEM_TEXT="Partial payment")
        payment.update(INV_REF=row["DOC_NO"], INV_YEAR=row["FISC_YEAR"], INV_ITEM=row["ITEM_NUM"])
        payment_key = item_key(customer.company_code, document, year, "001")
        self.state.documents[payment_key] = payment
        self.state.changes.append({"function": "F-28", "item": key, "document": document})
        self._touched = None
        self.state.save()
        return payment_key
