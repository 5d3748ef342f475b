"""Open items of SAP FI-AR over RFC: the `sap-rfc` source.

One snapshot per run covers the configured company codes in full. For each company code the
source checks it exists (BAPI_COMPANYCODE_GETDETAIL), lists its customers (the configured list,
or the integrator's function), then for each customer, on one connection:

1. BAPI_AR_ACC_GETOPENITEMS (COMPANYCODE, CUSTOMER in ALPHA form, KEYDATE = the run's date,
   NOTEDITEMS blank: noted items are left out; any that come anyway are skipped);
2. the customer's master data (BAPI_CUSTOMER_GETDETAIL2 by default), added to each of its
   records under the function's export parameter names (CUSTOMERADDRESS.NAME...);
3. BAPI_AR_ACC_GETBALANCEDITEMS over the last `cleared_items.lookback_days`: each cleared line
   becomes a record with a `Clearing` (CLEAR_DATE, CLR_DOC_NO). The gateway clears the stored
   item with that date and reports a case's direct payment on the day the debtor paid, with
   the clearing document. Items that merely vanish (cleared before the window, archived) are
   still cleared by their absence from the snapshot, as for every source.

What fails where:
- the whole run fails (nothing is stored; the transfer says why; the next run tries again):
  SAP unreachable, logon refused, a call timed out (retriable); a company code SAP does not
  know, a function or parameter that does not exist, an ABAP dump, the customer list function
  failing (final until someone fixes it); and a company code where *every* customer fails the
  same way (e.g. no authorization for the company code: the cause is not one customer);
- one customer is quarantined, the rest goes on: a RETURN of type E or A for that customer
  (not defined in the company code, no authorization for its authorization group), or its
  master data failing. Its stored items are kept as they are (not cleared) until it reads
  again. Every message names the function, SAP's message and its variables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from connectors.base import (
    CheckResult,
    Clearing,
    ConfigurationError,
    ConnectorContext,
    ConnectorError,
    Outcome,
    RawRecord,
    RecordStream,
    RemoteRejected,
)
from connectors.sap_rfc.alpha import alpha_in, alpha_out
from connectors.sap_rfc.check import connection_checks, function_checks
from connectors.sap_rfc.client import open_client, rfc_client_missing
from connectors.sap_rfc.options import SapRfcSourceOptions
from connectors.sap_rfc.returns import ReturnMessage, failures
from connectors.sap_rfc.sdk import pyrfc_missing
from connectors.sap_rfc.session import RfcSession

__all__ = ["BALANCED_ITEMS", "COMPANY_CODE", "OPEN_ITEMS", "SapRfcSnapshot", "SapRfcSource"]

log = logging.getLogger(__name__)

OPEN_ITEMS = "BAPI_AR_ACC_GETOPENITEMS"
BALANCED_ITEMS = "BAPI_AR_ACC_GETBALANCEDITEMS"
COMPANY_CODE = "BAPI_COMPANYCODE_GETDETAIL"


def _dats(day: date) -> str:
    return f"{day.year:04}{day.month:02}{day.day:02}"


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _item(row: Mapping[str, Any]) -> str:
    return f"{row.get('DOC_NO')}/{row.get('FISC_YEAR')}/{row.get('ITEM_NUM')}"


def _failed(function: str, about: str, message: ReturnMessage) -> str:
    return f"{function} for {about}: {message.describe()}"


class SapRfcSnapshot:
    """One run of calls over the configured company codes (nothing to archive afterwards)."""

    def __init__(self, source: SapRfcSource, as_of: date) -> None:
        self._source = source
        self._as_of = as_of

    @property
    def label(self) -> str:
        codes = ",".join(self._source.options.company_codes)
        return f"{OPEN_ITEMS} company codes {codes} key date {self._as_of.isoformat()}"

    @property
    def channel(self) -> str:
        return "rfc"

    @property
    def sha256(self) -> str | None:
        return None

    @property
    def size(self) -> int | None:
        return None

    @property
    def company_codes(self) -> Sequence[str] | None:
        return self._source.options.company_codes

    def open(self) -> RecordStream:
        return RecordStream(None, self._source.records(self._as_of))

    def settle(self, outcome: Outcome, reason: str = "") -> None:
        """Nothing to move: the next run reads SAP again."""


class SapRfcSource:
    """The `sap-rfc` source (see the module's documentation)."""

    Options = SapRfcSourceOptions

    @staticmethod
    def variants() -> list[tuple[str, str]]:
        """The RFC clients, and why one cannot be used here ('' if it can)."""
        return [
            ("client: pyrfc", pyrfc_missing()),
            ("client: simulator", rfc_client_missing("simulator")),
        ]

    def __init__(self, options: SapRfcSourceOptions, context: ConnectorContext) -> None:
        self.name = context.name
        self.options = options
        # One connection for the whole run, closed by `close` (the pipeline calls it).
        self.session = RfcSession(open_client(options, context.base_dir))
        self.noted_skipped = 0

    def snapshots(self, as_of: date) -> Iterator[SapRfcSnapshot]:
        yield SapRfcSnapshot(self, as_of)

    def close(self) -> None:
        self.session.close()

    # --- reading -------------------------------------------------------------------------

    def records(self, as_of: date) -> Iterator[RawRecord]:
        """Every record of a run, customer by customer (one customer's items in memory)."""
        for company_code in self.options.company_codes:
            self._check_company_code(company_code)
            read = 0
            failed: list[str] = []
            for customer in self._customers(company_code, as_of):
                problem = None
                for record in self._customer(company_code, customer, as_of):
                    if record.whole_debtor and problem is None:
                        problem = record.problem
                    yield record
                if problem is None:
                    read += 1
                else:
                    failed.append(problem)
            if len(failed) > 1 and read == 0:
                raise RemoteRejected(
                    f"every one of the {len(failed)} customers of company code {company_code} "
                    f"failed, so the cause is not one customer; the first: {failed[0]}"
                )
            log.info(
                "%s: company code %s: %d customers read, %d failed, %d noted items left out",
                self.name,
                company_code,
                read,
                len(failed),
                self.noted_skipped,
            )

    def _check_company_code(self, company_code: str) -> None:
        result = self.session.call(COMPANY_CODE, COMPANYCODEID=company_code)
        errors = failures(result.get("RETURN"))
        if errors:
            raise ConfigurationError(
                _failed(COMPANY_CODE, f"company code {company_code}", errors[0])
                + " (check the source's company_codes and the RFC user's authorizations)"
            )

    def _customers(self, company_code: str, as_of: date) -> list[str]:
        selection = self.options.customers
        if selection.listed is not None:
            listed = selection.listed
            numbers = listed if isinstance(listed, list) else listed.get(company_code, [])
            return list(dict.fromkeys(numbers))
        function = selection.function
        if function is None:  # the options model guarantees one of them
            return []
        params: dict[str, Any] = dict(function.parameters)
        if function.company_code_parameter:
            params[function.company_code_parameter] = company_code
        if function.key_date_parameter:
            params[function.key_date_parameter] = _dats(as_of)
        result = self.session.call(function.function, **params)
        if function.return_parameter:
            errors = failures(result.get(function.return_parameter))
            if errors:
                raise RemoteRejected(
                    _failed(function.function, f"company code {company_code}", errors[0])
                )
        rows = result.get(function.table)
        if not isinstance(rows, list):
            raise ConfigurationError(
                f"{function.function}: no table parameter {function.table!r} in its result "
                f"(parameters: {', '.join(sorted(result))})"
            )
        return list(dict.fromkeys(str(row.get(function.field, "")) for row in rows if row))

    def _customer(self, company_code: str, number: str, as_of: date) -> Iterator[RawRecord]:
        try:
            customer = alpha_in(number)
        except ValueError as exc:
            yield self._unread(company_code, number, f"customer list: {exc}")
            return
        result = self.session.call(
            OPEN_ITEMS,
            COMPANYCODE=company_code,
            CUSTOMER=customer,
            KEYDATE=_dats(as_of),
            NOTEDITEMS="",
        )
        errors = failures(result.get("RETURN"))
        if errors:
            about = f"company code {company_code}, customer {alpha_out(customer)}"
            yield self._unread(company_code, customer, _failed(OPEN_ITEMS, about, errors[0]))
            return
        master, problem = self._master_data(company_code, customer)
        if problem:
            yield self._unread(company_code, customer, problem)
            return
        for row in result.get("LINEITEMS") or ():
            if row.get("DOC_STATUS") == "S":  # a noted item: not a receivable
                self.noted_skipped += 1
                continue
            row.update(master)
            yield RawRecord(f"{company_code}/{_item(row)}", row)
        days = self.options.cleared_items.lookback_days
        if not days:
            return
        balanced = self.session.call(
            BALANCED_ITEMS,
            COMPANYCODE=company_code,
            CUSTOMER=customer,
            DATE_FROM=_dats(as_of - timedelta(days=days)),
            DATE_TO=_dats(as_of),
        )
        errors = failures(balanced.get("RETURN"))
        if errors:
            # The open items are read; without the clearings, this customer's vanished items
            # wait for the next run rather than being cleared by absence on a partial picture.
            about = f"company code {company_code}, customer {alpha_out(customer)}"
            yield self._unread(company_code, customer, _failed(BALANCED_ITEMS, about, errors[0]))
            return
        for row in balanced.get("LINEITEMS") or ():
            cleared = row.get("CLEAR_DATE")
            if not cleared:
                continue
            clearing = Clearing(_date(cleared), str(row.get("CLR_DOC_NO") or ""))
            yield RawRecord(f"cleared {company_code}/{_item(row)}", row, clearing=clearing)

    def _master_data(self, company_code: str, customer: str) -> tuple[Mapping[str, Any], str]:
        options = self.options.master_data
        if options is None:
            return {}, ""
        params: dict[str, Any] = {options.customer_parameter: customer}
        if options.company_code_parameter:
            params[options.company_code_parameter] = company_code
        result = self.session.call(options.function, **params)
        if options.return_parameter:
            errors = failures(result.get(options.return_parameter))
            if errors:
                about = f"company code {company_code}, customer {alpha_out(customer)}"
                return {}, _failed(options.function, about, errors[0])
        return {name: result.get(name, {}) for name in options.exports}, ""

    @staticmethod
    def _unread(company_code: str, customer: str, problem: str) -> RawRecord:
        """A customer that could not be read: its items are kept as they are."""
        return RawRecord(
            f"{company_code}/{customer}",
            {"COMP_CODE": company_code, "CUSTOMER": customer},
            problem,
            whole_debtor=True,
        )

    # --- checking ------------------------------------------------------------------------

    def check(self) -> list[CheckResult]:
        results = connection_checks(self.session)
        if not all(r.ok for r in results):
            return results
        functions: dict[str, Sequence[str]] = {
            COMPANY_CODE: ["COMPANYCODEID"],
            OPEN_ITEMS: ["COMPANYCODE", "CUSTOMER", "KEYDATE", "NOTEDITEMS"],
        }
        if self.options.cleared_items.lookback_days:
            functions[BALANCED_ITEMS] = ["COMPANYCODE", "CUSTOMER", "DATE_FROM", "DATE_TO"]
        master = self.options.master_data
        if master is not None:
            functions[master.function] = [
                p for p in (master.customer_parameter, master.company_code_parameter) if p
            ]
        function = self.options.customers.function
        if function is not None:
            functions[function.function] = [
                p
                for p in (
                    function.company_code_parameter,
                    function.key_date_parameter,
                    function.table,
                    *function.parameters,
                )
                if p
            ]
        results += function_checks(self.session, functions)
        for company_code in self.options.company_codes:
            try:
                self._check_company_code(company_code)
            except ConnectorError as exc:
                results.append(CheckResult(f"company code {company_code}", False, str(exc)))
            else:
                results.append(CheckResult(f"company code {company_code}", True))
        return results
