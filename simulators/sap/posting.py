"""Posting in the simulated system: BAPI_ACC_DOCUMENT_POST and the transaction BAPIs.

BAPI_ACC_DOCUMENT_POST checks the document (company code, required header fields, each line's
account: customers exist and are not blocked for posting, G/L accounts exist in the chart;
amounts fit their currency; the document balances to zero per currency) and answers in RETURN
(BAPIRET2): RW/605 "Document posted successfully: BKPFF <key> <system>" with OBJ_TYPE, OBJ_KEY
(document number, company code, fiscal year) and OBJ_SYS; or RW/609 "Error in document" followed
by the reasons. The document is only kept after BAPI_TRANSACTION_COMMIT on the same connection
(it is written in the update task); BAPI_TRANSACTION_ROLLBACK, or closing the connection,
drops it. As in SAP, posting a payment this way does not clear the invoice: the customer line
is a new open credit item.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from simulators.sap.ddic import BAPIRET2
from simulators.sap.ledger import CURRENCY_DIGITS, customer_line
from simulators.sap.messages import bapiret2
from simulators.sap.session import Change, SapSession
from simulators.sap.state import SimState, item_key

__all__ = ["GL_ACCOUNTS", "commit", "document_post", "rollback"]

# The simulated chart of accounts (G/L accounts that may be posted to directly).
GL_ACCOUNTS = frozenset({"0000113100", "0000113109", "0000800000", "0000880000"})
_BUSINESS_TRANSACTIONS = frozenset({"RFBU"})


def document_post(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    header = p["DOCUMENTHEADER"]
    company_code = header["COMP_CODE"]
    errors: list[dict[str, Any]] = []

    def error(
        ident: str, number: str, *variables: str, parameter: str, row: int = 0, field: str = ""
    ) -> None:
        errors.append(
            bapiret2(
                "E",
                ident,
                number,
                *variables,
                parameter=parameter,
                row=row,
                field=field,
                system=sim.logical_system,
            )
        )

    for field in ("BUS_ACT", "COMP_CODE", "DOC_TYPE", "PSTNG_DATE"):
        if not header[field]:
            error("F5", "808", field, "DOCUMENTHEADER", parameter="DOCUMENTHEADER", field=field)
    if header["BUS_ACT"] and header["BUS_ACT"] not in _BUSINESS_TRANSACTIONS:
        error("F5", "808", "BUS_ACT", "DOCUMENTHEADER", parameter="DOCUMENTHEADER", field="BUS_ACT")
    problem = sim.company_code_problem(company_code) if company_code else None
    if problem is not None:
        error(problem[0], problem[1], problem[2], parameter="DOCUMENTHEADER", field="COMP_CODE")

    amounts = {row["ITEMNO_ACC"]: (i, row) for i, row in enumerate(p["CURRENCYAMOUNT"], 1)}
    lines: list[tuple[str, dict[str, Any], Decimal, str]] = []
    for parameter in ("ACCOUNTGL", "ACCOUNTRECEIVABLE"):
        for i, line in enumerate(p.get(parameter, []), 1):
            found = amounts.get(line["ITEMNO_ACC"])
            if found is None:
                error(
                    "F5",
                    "808",
                    "AMT_DOCCUR",
                    f"item {line['ITEMNO_ACC']}",
                    parameter="CURRENCYAMOUNT",
                )
                continue
            amount_row = found[1]
            currency, amount = amount_row["CURRENCY"], amount_row["AMT_DOCCUR"]
            digits = CURRENCY_DIGITS.get(currency)
            if digits is None:
                error(
                    "F5",
                    "808",
                    "CURRENCY",
                    "CURRENCYAMOUNT",
                    parameter="CURRENCYAMOUNT",
                    row=found[0],
                    field="CURRENCY",
                )
                continue
            if amount != amount.quantize(Decimal(1).scaleb(-digits)):
                error(
                    "F5",
                    "101",
                    str(amount),
                    currency,
                    parameter="CURRENCYAMOUNT",
                    row=found[0],
                    field="AMT_DOCCUR",
                )
            lines.append((parameter, line, amount, currency))
            if problem is not None:
                continue
            if parameter == "ACCOUNTGL" and line["GL_ACCOUNT"] not in GL_ACCOUNTS:
                error(
                    "F5",
                    "268",
                    line["GL_ACCOUNT"],
                    company_code,
                    parameter=parameter,
                    row=i,
                    field="GL_ACCOUNT",
                )
            if parameter == "ACCOUNTRECEIVABLE":
                customer = sim.ledger.find_customer(company_code, line["CUSTOMER"])
                if customer is None:
                    error(
                        "F2",
                        "155",
                        line["CUSTOMER"],
                        company_code,
                        parameter=parameter,
                        row=i,
                        field="CUSTOMER",
                    )
                elif sim.ledger.master_data(customer)["posting_block"]:
                    error(
                        "F5",
                        "351",
                        line["CUSTOMER"],
                        company_code,
                        parameter=parameter,
                        row=i,
                        field="CUSTOMER",
                    )
    if not lines:
        error("F5", "808", "CURRENCYAMOUNT", "BAPI_ACC_DOCUMENT_POST", parameter="CURRENCYAMOUNT")
    balance: dict[str, Decimal] = defaultdict(Decimal)
    for _, _, amount, currency in lines:
        balance[currency] += amount
    for currency, total in sorted(balance.items()):
        if total:
            error("F5", "702", currency, str(total), parameter="CURRENCYAMOUNT")
    if errors:
        head = bapiret2(
            "E", "RW", "609", "BKPFF", "$", sim.logical_system, system=sim.logical_system
        )
        return {"RETURN": [head, *errors]}

    posted = _date(header["PSTNG_DATE"])
    year = header["FISC_YEAR"] if header["FISC_YEAR"] != "0000" else f"{posted.year:04}"
    document = sim.state.next_number(company_code, year, "49")
    rows: list[tuple[str, dict[str, Any]]] = []
    for number, (parameter, line, amount, currency) in enumerate(lines, 1):
        if parameter != "ACCOUNTRECEIVABLE":
            continue
        customer = sim.ledger.find_customer(company_code, line["CUSTOMER"])
        if customer is None:  # refused above; keeps the type checker informed
            continue
        row = customer_line(
            customer, document, year, posted, currency, amount, "S" if amount > 0 else "H"
        )
        row.update(
            ITEM_NUM=f"{number:03d}",
            DOC_TYPE=header["DOC_TYPE"],
            POST_KEY="01" if amount > 0 else "15",
            DOC_DATE=header["DOC_DATE"] or header["PSTNG_DATE"],
            REF_DOC_NO=header["REF_DOC_NO"],
            ALLOC_NMBR=line["ALLOC_NMBR"],
            ITEM_TEXT=line["ITEM_TEXT"],
            BLINE_DATE=line["BLINE_DATE"] or header["PSTNG_DATE"],
            PMNTTRMS=line["PMNTTRMS"],
        )
        rows.append((item_key(company_code, document, year, row["ITEM_NUM"]), row))
    key = f"{document}{company_code}{year}"

    def apply(state: SimState) -> None:
        for item, row in rows:
            state.documents[item] = row

    sim.defer(
        Change(
            {
                "function": "BAPI_ACC_DOCUMENT_POST",
                "document": key,
                "reference": header["REF_DOC_NO"],
                "header_text": header["HEADER_TXT"],
            },
            apply,
            tuple(item for item, _ in rows),
        )
    )
    success = bapiret2(
        "S", "RW", "605", "BKPFF", key, sim.logical_system, system=sim.logical_system
    )
    return {
        "RETURN": [success],
        "OBJ_TYPE": "BKPFF",
        "OBJ_KEY": key,
        "OBJ_SYS": sim.logical_system,
    }


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def commit(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    sim.commit()
    return {"RETURN": BAPIRET2.initial()}


def rollback(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    sim.rollback()
    return {"RETURN": BAPIRET2.initial()}
