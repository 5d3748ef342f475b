"""The FI-AR reading functions of the simulated system: open and cleared items, customer and
company code details, and the customer list function of docs/sap.md.

BAPI_AR_ACC_GETOPENITEMS returns a customer's items open at the key date (posted on or before
it, not cleared or cleared after it), noted items only with NOTEDITEMS = 'X'.
BAPI_AR_ACC_GETBALANCEDITEMS returns the items cleared between DATE_FROM and DATE_TO, the
clearing documents' lines beside the items they cleared. Both check, in this order: the company
code exists (F5/165), the RFC user may read it (F_BKPF_BUK: F5/155), the customer exists in it
(F2/155), the user may read the customer's authorization group (F_BKPF_BEK: F2/543); the first
failure is the RETURN (type E) and no line items come back.
"""

from __future__ import annotations

from typing import Any

from simulators.sap.ddic import (
    BAPI0002_2,
    BAPICUSTOMER_04,
    BAPICUSTOMER_05,
    BAPICUSTOMER_KNA1,
    BAPIRET1,
    BAPIRETURN,
)
from simulators.sap.ledger import COMPANY_CODES, Customer
from simulators.sap.messages import bapiret1, bapiret2, bapireturn
from simulators.sap.session import SapSession

__all__ = [
    "company_code_detail",
    "customer_detail",
    "get_balanced_items",
    "get_open_items",
    "open_customers",
]


def _readable(
    sim: SapSession, company_code: str, number: str
) -> tuple[tuple[str, str, tuple[str, ...]] | None, Customer | None]:
    problem = sim.company_code_problem(company_code)
    if problem is not None:
        ident, no, variable = problem
        return (ident, no, (variable,)), None
    customer = sim.ledger.find_customer(company_code, number)
    if customer is None:
        return ("F2", "155", (number, company_code)), None
    if sim.ledger.master_data(customer)["auth_group"] in sim.state.denied_auth_groups:
        return ("F2", "543", ()), None
    return None, customer


def get_open_items(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    problem, customer = _readable(sim, p["COMPANYCODE"], p["CUSTOMER"])
    if problem is not None or customer is None:
        ident, number, variables = problem or ("F2", "155", ())
        return {"RETURN": bapireturn("E", ident, number, *variables), "LINEITEMS": []}
    key_date, noted = p["KEYDATE"], p["NOTEDITEMS"] == "X"
    rows = [
        row
        for row in sim.customer_items(customer, cached=True)
        if key_date
        and row["PSTNG_DATE"] <= key_date
        and (not row["CLEAR_DATE"] or row["CLEAR_DATE"] > key_date)
        and (noted or row["DOC_STATUS"] != "S")
    ]
    return {"RETURN": BAPIRETURN.initial(), "LINEITEMS": rows}


def get_balanced_items(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    problem, customer = _readable(sim, p["COMPANYCODE"], p["CUSTOMER"])
    if problem is not None or customer is None:
        ident, number, variables = problem or ("F2", "155", ())
        return {"RETURN": bapireturn("E", ident, number, *variables), "LINEITEMS": []}
    first, last = p["DATE_FROM"], p["DATE_TO"]
    rows = [
        row
        for row in sim.customer_items(customer, cached=True)
        if row["CLEAR_DATE"]
        and first <= row["CLEAR_DATE"]
        and (not last or row["CLEAR_DATE"] <= last)
    ]
    return {"RETURN": BAPIRETURN.initial(), "LINEITEMS": rows}


def customer_detail(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    number, company_code = p["CUSTOMERNO"], p["COMPANYCODE"]
    codes = [company_code] if company_code else list(COMPANY_CODES)
    customer = None
    for code in codes:
        if sim.company_code_problem(code) is None:
            customer = sim.ledger.find_customer(code, number) or customer
    if customer is None:
        problem = sim.company_code_problem(company_code) if company_code else None
        ident, no, variables = (
            (problem[0], problem[1], (problem[2],))
            if problem
            else ("F2", "155", (number, company_code))
        )
        return {"RETURN": bapiret1("E", ident, no, *variables)}
    master = sim.ledger.master_data(customer)
    if master["auth_group"] in sim.state.denied_auth_groups:
        return {"RETURN": bapiret1("E", "F2", "543")}
    name = master["name"]
    return {
        "CUSTOMERADDRESS": BAPICUSTOMER_04.complete(
            {
                "TITLE_P": "" if master["person"] else "Company",
                "NAME": name,
                "STREET": master["street"],
                "POSTL_COD1": master["postal_code"],
                "CITY": master["city"],
                "COUNTRY": master["country"],
                "COUNTRYISO": master["country"],
                "LANGU": master["language"],
                "LANGU_ISO": master["language_iso"],
                "TELEPHONE": master["telephone"],
                "E_MAIL": master["email"],
            }
        ),
        "CUSTOMERGENERALDETAIL": BAPICUSTOMER_KNA1.complete(
            {
                "ACCNT_GRP": "KUNA",
                "AUTH_GROUP": master["auth_group"],
                "VAT_REG_NO": master["vat"],
                "NATURAL_PERSON": "X" if master["person"] else "",
            }
        ),
        "CUSTOMERCOMPANYDETAIL": BAPICUSTOMER_05.complete(
            {
                "RECON_ACCOUNT": "0000140000",
                "PMNTTRMS": "ZB30",
                "DUNN_PROC": "0001",
                "POST_BLOCK": master["posting_block"],
            }
        ),
        "RETURN": BAPIRET1.initial(),
        "CUSTOMERBANKDETAIL": [],
    }


def company_code_detail(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    code = p["COMPANYCODEID"]
    if code not in COMPANY_CODES:  # displaying T001 needs no F_BKPF_BUK: existence only
        return {"RETURN": bapireturn("E", "F5", "165", code)}
    cc = COMPANY_CODES[code]
    return {
        "COMPANYCODE_DETAIL": BAPI0002_2.complete(
            {
                "COMP_CODE": cc.code,
                "COMP_NAME": cc.name,
                "CITY": cc.city,
                "COUNTRY": cc.country,
                "CURRENCY": cc.currency,
                "LANGU": cc.language,
                "CHRT_ACCTS": "INT",
                "FY_VARIANT": "K4",
                "COUNTRY_ISO": cc.country,
                "CURRENCY_ISO": cc.currency,
                "LANGU_ISO": cc.language_iso,
            }
        ),
        "RETURN": BAPIRETURN.initial(),
    }


def open_customers(sim: SapSession, p: dict[str, Any]) -> dict[str, Any]:
    """Z_CLAIMBRIDGE_OPEN_CUSTOMERS: the customers of a company code with open items. The
    simulator lists every customer of the company code (each has items; those whose items are
    all cleared then return none)."""
    code = p["I_BUKRS"]
    problem = sim.company_code_problem(code)
    if problem is not None:
        return {"RETURN": [bapiret2("E", problem[0], problem[1], problem[2])], "ET_CUSTOMERS": []}
    customers = [{"KUNNR": c.number} for c in sim.ledger.customers_of(code)]
    return {"ET_CUSTOMERS": customers, "RETURN": []}
