"""The structures and function interfaces the simulator serves, with where each comes from.

Sources (read November 2026; the simulator follows them, it copies no SAP code):

- BAPI_AR_ACC_GETOPENITEMS, BAPI_AR_ACC_GETBALANCEDITEMS: parameters, their reference types
  and the RETURN structure BAPIRETURN (TYPE, CODE, MESSAGE, LOG_NO, LOG_MSG_NO, MESSAGE_V1..V4)
  from the function documentation at stechno.net (sap-functions.html?id=...);
- BAPI3007_2 (LINEITEMS): claimbridge's domain reference (domain.md §3), the component names
  and data elements of APAREBPP_BAPI3007_2 (sapdatasheet.org, the Biller Direct copy of
  BAPI3007_2) and of its vendor twin APAREBPP_BAPI3008_2 (consolut.com), in that order;
  components marked (*) below are from memory of the structure, not confirmed by those sources;
- BAPI_ACC_DOCUMENT_POST: parameters and reference types (BAPIACHE09, BAPIACGL09, BAPIACAR09,
  BAPIACCR09, RETURN BAPIRET2, exports OBJ_TYPE/OBJ_KEY/OBJ_SYS) from dev-workbench.com;
  customer-line components from BAPIACAR01 (sapdatasheet.org); only the components listed
  below are served (a mapping using others gets RFC_INVALID_PARAMETER from the simulator);
- BAPIRET2 / BAPIRET1: domain.md §3 and the BAPI documentation at stechno.net;
- BAPI_CUSTOMER_GETDETAIL2 and its structures (BAPICUSTOMER_04, _KNA1, _05): parameter names
  from memory, component names unconfirmed (*); map them with care against a real system;
- RFC_SYSTEM_INFO (RFCSI), RFC_GET_FUNCTION_INTERFACE (RFC_FUNINT), RFC_PING,
  BAPI_TRANSACTION_COMMIT/ROLLBACK, BAPI_COMPANYCODE_GETDETAIL (BAPI0002_2): standard
  interfaces, from memory (*);
- Z_CLAIMBRIDGE_*: claimbridge's own interfaces, specified in docs/sap.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from simulators.sap.abap import (
    Abap,
    Structure,
    char,
    dats,
    int4,
    numc,
    packed,
    string,
)

__all__ = ["FUNCTIONS", "STRUCTURES", "Parameter"]


def _amount() -> Abap:
    return packed(12, 4)  # DEC 23,4: BAPI amounts in external format (JPY 1234 → 1234.0000)


BAPIRETURN = Structure(
    "BAPIRETURN",
    (
        ("TYPE", char(1)),
        ("CODE", char(5)),
        ("MESSAGE", char(220)),
        ("LOG_NO", char(20)),
        ("LOG_MSG_NO", numc(6)),
        ("MESSAGE_V1", char(50)),
        ("MESSAGE_V2", char(50)),
        ("MESSAGE_V3", char(50)),
        ("MESSAGE_V4", char(50)),
    ),
)
_RET1 = (
    ("TYPE", char(1)),
    ("ID", char(20)),
    ("NUMBER", numc(3)),
    ("MESSAGE", char(220)),
    ("LOG_NO", char(20)),
    ("LOG_MSG_NO", numc(6)),
    ("MESSAGE_V1", char(50)),
    ("MESSAGE_V2", char(50)),
    ("MESSAGE_V3", char(50)),
    ("MESSAGE_V4", char(50)),
)
BAPIRET1 = Structure("BAPIRET1", _RET1)
BAPIRET2 = Structure(
    "BAPIRET2",
    (
        *_RET1,
        ("PARAMETER", char(32)),
        ("ROW", int4()),
        ("FIELD", char(30)),
        ("SYSTEM", char(10)),
    ),
)

BAPI3007_2 = Structure(
    "BAPI3007_2",
    (
        ("COMP_CODE", char(4)),
        ("CUSTOMER", char(10)),
        ("SP_GL_IND", char(1)),
        ("CLEAR_DATE", dats()),
        ("CLR_DOC_NO", char(10)),
        ("ALLOC_NMBR", char(18)),
        ("FISC_YEAR", numc(4)),
        ("DOC_NO", char(10)),
        ("ITEM_NUM", numc(3)),
        ("PSTNG_DATE", dats()),
        ("DOC_DATE", dats()),
        ("ENTRY_DATE", dats()),
        ("CURRENCY", char(5)),
        ("LOC_CURRCY", char(5)),
        ("REF_DOC_NO", char(16)),
        ("DOC_TYPE", char(2)),
        ("FIS_PERIOD", numc(2)),
        ("POST_KEY", char(2)),
        ("DB_CR_IND", char(1)),
        ("BUS_AREA", char(4)),
        ("TAX_CODE", char(2)),  # (*)
        ("LC_AMOUNT", _amount()),
        ("AMT_DOCCUR", _amount()),
        ("LC_TAX", _amount()),  # (*)
        ("TX_DOC_CUR", _amount()),  # (*)
        ("ITEM_TEXT", char(50)),
        ("BRANCH", char(10)),
        ("BLINE_DATE", dats()),
        ("PMNTTRMS", char(4)),
        ("DSCT_DAYS1", packed(2)),
        ("DSCT_DAYS2", packed(2)),
        ("NETTERMS", packed(2)),
        ("DSCT_PCT1", packed(3, 3)),
        ("DSCT_PCT2", packed(3, 3)),
        ("DISC_BASE", _amount()),  # (*)
        ("DSC_AMT_LC", _amount()),
        ("DSC_AMT_DC", _amount()),
        ("PYMT_METH", char(1)),
        ("PMNT_BLOCK", char(1)),
        ("FIXEDTERMS", char(1)),  # (*)
        ("INV_REF", char(10)),
        ("INV_YEAR", numc(4)),  # (*)
        ("INV_ITEM", numc(3)),  # (*)
        ("DUNN_KEY", char(1)),
        ("DUNN_BLOCK", char(1)),
        ("LAST_DUNN", dats()),
        ("DUNN_LEVEL", numc(1)),
        ("DUNN_AREA", char(2)),
        ("DOC_STATUS", char(1)),
        ("NXT_DOCTYP", char(2)),
        ("VAT_REG_NO", char(20)),  # (*)
        ("REASON_CDE", char(3)),  # (*)
        ("PMTMTHSUPL", char(2)),  # (*)
        ("REF_KEY_1", char(12)),  # (*)
        ("REF_KEY_2", char(12)),  # (*)
        ("REF_KEY_3", char(20)),  # (*)
    ),
)

BAPI0002_2 = Structure(  # (*)
    "BAPI0002_2",
    (
        ("COMP_CODE", char(4)),
        ("COMP_NAME", char(25)),
        ("CITY", char(25)),
        ("COUNTRY", char(3)),
        ("CURRENCY", char(5)),
        ("LANGU", char(1)),
        ("CHRT_ACCTS", char(4)),
        ("FY_VARIANT", char(2)),
        ("VAT_REG_NO", char(20)),
        ("COMPANY", char(6)),
        ("ADDR_NO", char(10)),
        ("COUNTRY_ISO", char(2)),
        ("CURRENCY_ISO", char(3)),
        ("LANGU_ISO", char(2)),
    ),
)

BAPICUSTOMER_04 = Structure(  # (*) every component
    "BAPICUSTOMER_04",
    (
        ("TITLE_P", char(15)),
        ("NAME", char(40)),
        ("NAME_2", char(40)),
        ("NAME_3", char(40)),
        ("NAME_4", char(40)),
        ("STREET", char(60)),
        ("POSTL_COD1", char(10)),
        ("CITY", char(40)),
        ("DISTRICT", char(40)),
        ("REGION", char(3)),
        ("COUNTRY", char(3)),
        ("COUNTRYISO", char(2)),
        ("LANGU", char(1)),
        ("LANGU_ISO", char(2)),
        ("TELEPHONE", char(30)),
        ("FAX_NUMBER", char(30)),
        ("E_MAIL", char(241)),
    ),
)
BAPICUSTOMER_KNA1 = Structure(  # (*) every component
    "BAPICUSTOMER_KNA1",
    (
        ("ACCNT_GRP", char(4)),
        ("AUTH_GROUP", char(4)),
        ("INDUSTRY", char(4)),
        ("VAT_REG_NO", char(20)),
        ("TAX_NO_1", char(16)),
        ("NATURAL_PERSON", char(1)),
    ),
)
BAPICUSTOMER_05 = Structure(  # (*) every component
    "BAPICUSTOMER_05",
    (
        ("RECON_ACCOUNT", char(10)),
        ("PMNTTRMS", char(4)),
        ("DUNN_PROC", char(4)),
        ("DUNN_BLOCK", char(1)),
        ("LAST_DUNN", dats()),
        ("DUNN_LEVEL", numc(1)),
        ("POST_BLOCK", char(1)),
    ),
)
BAPICUSTOMER_02 = Structure(  # (*)
    "BAPICUSTOMER_02",
    (("BANK_CTRY", char(3)), ("BANK_KEY", char(15)), ("BANK_ACCT", char(18))),
)

BAPIACHE09 = Structure(
    "BAPIACHE09",
    (
        ("OBJ_TYPE", char(5)),
        ("OBJ_KEY", char(20)),
        ("OBJ_SYS", char(10)),
        ("BUS_ACT", char(4)),
        ("USERNAME", char(12)),
        ("HEADER_TXT", char(25)),
        ("COMP_CODE", char(4)),
        ("DOC_DATE", dats()),
        ("PSTNG_DATE", dats()),
        ("TRANS_DATE", dats()),
        ("FISC_YEAR", numc(4)),
        ("FIS_PERIOD", numc(2)),
        ("DOC_TYPE", char(2)),
        ("REF_DOC_NO", char(16)),
        ("AC_DOC_NO", char(10)),
        ("OBJ_KEY_R", char(20)),
        ("REASON_REV", char(2)),
    ),
)
BAPIACGL09 = Structure(
    "BAPIACGL09",
    (
        ("ITEMNO_ACC", numc(10)),
        ("GL_ACCOUNT", char(10)),
        ("ITEM_TEXT", char(50)),
        ("REF_KEY_1", char(12)),
        ("REF_KEY_2", char(12)),
        ("REF_KEY_3", char(20)),
        ("ACCT_TYPE", char(1)),
        ("DOC_TYPE", char(2)),
        ("COMP_CODE", char(4)),
        ("BUS_AREA", char(4)),
        ("FIS_PERIOD", numc(2)),
        ("FISC_YEAR", numc(4)),
        ("PSTNG_DATE", dats()),
        ("VALUE_DATE", dats()),
        ("CUSTOMER", char(10)),
        ("ALLOC_NMBR", char(18)),
        ("TAX_CODE", char(2)),
        ("COSTCENTER", char(10)),
        ("PROFIT_CTR", char(10)),
    ),
)
BAPIACAR09 = Structure(
    "BAPIACAR09",
    (
        ("ITEMNO_ACC", numc(10)),
        ("CUSTOMER", char(10)),
        ("GL_ACCOUNT", char(10)),
        ("REF_KEY_1", char(12)),
        ("REF_KEY_2", char(12)),
        ("REF_KEY_3", char(20)),
        ("COMP_CODE", char(4)),
        ("BUS_AREA", char(4)),
        ("PMNTTRMS", char(4)),
        ("BLINE_DATE", dats()),
        ("DSCT_DAYS1", packed(2)),
        ("DSCT_DAYS2", packed(2)),
        ("NETTERMS", packed(2)),
        ("DSCT_PCT1", packed(3, 3)),
        ("DSCT_PCT2", packed(3, 3)),
        ("PYMT_METH", char(1)),
        ("DUNN_KEY", char(1)),
        ("DUNN_BLOCK", char(1)),
        ("PMNT_BLOCK", char(1)),
        ("VAT_REG_NO", char(20)),
        ("ALLOC_NMBR", char(18)),
        ("ITEM_TEXT", char(50)),
        ("SP_GL_IND", char(1)),
    ),
)
BAPIACCR09 = Structure(
    "BAPIACCR09",
    (
        ("ITEMNO_ACC", numc(10)),
        ("CURR_TYPE", char(2)),
        ("CURRENCY", char(5)),
        ("CURRENCY_ISO", char(3)),
        ("AMT_DOCCUR", _amount()),
        ("EXCH_RATE", packed(5, 5)),
        ("AMT_BASE", _amount()),
        ("DISC_BASE", _amount()),
        ("DISC_AMT", _amount()),
        ("TAX_AMT", _amount()),
    ),
)

RFCSI = Structure(  # (*)
    "RFCSI",
    (
        ("RFCPROTO", char(3)),
        ("RFCCHARTYP", char(4)),
        ("RFCINTTYP", char(3)),
        ("RFCFLOTYP", char(3)),
        ("RFCDEST", char(32)),
        ("RFCHOST", char(8)),
        ("RFCSYSID", char(8)),
        ("RFCDATABS", char(8)),
        ("RFCDBHOST", char(32)),
        ("RFCDBSYS", char(10)),
        ("RFCSAPRL", char(4)),
        ("RFCMACH", char(5)),
        ("RFCOPSYS", char(10)),
        ("RFCTZONE", char(6)),
        ("RFCDAYST", char(1)),
        ("RFCIPADDR", char(15)),
        ("RFCKERNRL", char(4)),
        ("RFCHOST2", char(32)),
        ("RFCSI_RESV", char(12)),
        ("RFCIPV6ADDR", char(45)),
    ),
)
RFC_FUNINT = Structure(  # (*)
    "RFC_FUNINT",
    (
        ("PARAMCLASS", char(1)),
        ("PARAMETER", char(30)),
        ("TABNAME", char(30)),
        ("FIELDNAME", char(30)),
        ("EXID", char(1)),
        ("POSITION", int4()),
        ("OFFSET", int4()),
        ("INTLENGTH", int4()),
        ("DECIMALS", int4()),
        ("DEFAULT", char(21)),
        ("PARAMTEXT", char(79)),
        ("OPTIONAL", char(1)),
    ),
)
ZCLAIMBRIDGE_S_CUSTOMER = Structure("ZCLAIMBRIDGE_S_CUSTOMER", (("KUNNR", char(10)),))

STRUCTURES: Mapping[str, Structure] = {
    s.name: s
    for s in (
        BAPIRETURN,
        BAPIRET1,
        BAPIRET2,
        BAPI3007_2,
        BAPI0002_2,
        BAPICUSTOMER_04,
        BAPICUSTOMER_KNA1,
        BAPICUSTOMER_05,
        BAPICUSTOMER_02,
        BAPIACHE09,
        BAPIACGL09,
        BAPIACAR09,
        BAPIACCR09,
        RFCSI,
        RFC_FUNINT,
        ZCLAIMBRIDGE_S_CUSTOMER,
    )
}


@dataclass(frozen=True, slots=True)
class Parameter:
    """A function module parameter: its class (I import, E export, T tables, C changing), its
    type (an elementary type, or a structure: a table's line type for class T), and whether
    the caller may leave it out."""

    name: str
    direction: str
    type: Abap | Structure
    optional: bool = False
    text: str = ""


def _i(name: str, abap: Abap | Structure, optional: bool = False, text: str = "") -> Parameter:
    return Parameter(name, "I", abap, optional, text)


def _e(name: str, abap: Abap | Structure, text: str = "") -> Parameter:
    return Parameter(name, "E", abap, False, text)


def _t(name: str, line: Structure, optional: bool = False, text: str = "") -> Parameter:
    return Parameter(name, "T", line, optional, text)


_ITEM_KEY = (
    _i("I_BUKRS", char(4), text="company code"),
    _i("I_BELNR", char(10), text="accounting document number"),
    _i("I_GJAHR", numc(4), text="fiscal year"),
    _i("I_BUZEI", numc(3), text="line item"),
)

FUNCTIONS: Mapping[str, tuple[Parameter, ...]] = {
    "RFC_PING": (),
    "RFC_SYSTEM_INFO": (
        _e("RFCSI_EXPORT", RFCSI),
        _e("CURRENT_RESOURCES", int4()),
        _e("MAXIMAL_RESOURCES", int4()),
        _e("RECOMMENDED_DELAY", int4()),
    ),
    "RFC_GET_FUNCTION_INTERFACE": (
        _i("FUNCNAME", char(30)),
        _i("LANGUAGE", char(1), optional=True),
        _i("NONE_UNICODE_LENGTH", char(1), optional=True),
        _e("REMOTE_CALL", char(1)),
        _e("UPDATE_TASK", char(1)),
        _t("PARAMS", RFC_FUNINT),
    ),
    "BAPI_COMPANYCODE_GETDETAIL": (
        _i("COMPANYCODEID", char(4)),
        _e("COMPANYCODE_DETAIL", BAPI0002_2),
        _e("RETURN", BAPIRETURN),
    ),
    "BAPI_AR_ACC_GETOPENITEMS": (
        _i("COMPANYCODE", char(4), text="Company code"),
        _i("CUSTOMER", char(10), text="Customer"),
        _i("KEYDATE", dats(), text="Key date"),
        _i("NOTEDITEMS", char(1), optional=True, text="Noted items requested"),
        _i("SECINDEX", char(1), optional=True, text="Secondary indexes required"),
        _e("RETURN", BAPIRETURN, text="Return code"),
        _t("LINEITEMS", BAPI3007_2, text="Line items"),
    ),
    "BAPI_AR_ACC_GETBALANCEDITEMS": (
        _i("COMPANYCODE", char(4), text="Company code"),
        _i("CUSTOMER", char(10), text="Customer"),
        _i("DATE_FROM", dats(), text="Date from"),
        _i("DATE_TO", dats(), text="Date to"),
        _e("RETURN", BAPIRETURN, text="Return code"),
        _t("LINEITEMS", BAPI3007_2, text="Line items"),
    ),
    "BAPI_CUSTOMER_GETDETAIL2": (
        _i("CUSTOMERNO", char(10)),
        _i("COMPANYCODE", char(4), optional=True),
        _e("CUSTOMERADDRESS", BAPICUSTOMER_04),
        _e("CUSTOMERGENERALDETAIL", BAPICUSTOMER_KNA1),
        _e("CUSTOMERCOMPANYDETAIL", BAPICUSTOMER_05),
        _e("RETURN", BAPIRET1),
        _t("CUSTOMERBANKDETAIL", BAPICUSTOMER_02, optional=True),
    ),
    "BAPI_ACC_DOCUMENT_POST": (
        _i("DOCUMENTHEADER", BAPIACHE09, text="Header"),
        _e("OBJ_TYPE", char(5), text="Reference procedure"),
        _e("OBJ_KEY", char(20), text="Reference key"),
        _e("OBJ_SYS", char(10), text="Logical system of source document"),
        _t("ACCOUNTGL", BAPIACGL09, optional=True, text="G/L account item"),
        _t("ACCOUNTRECEIVABLE", BAPIACAR09, optional=True, text="Customer item"),
        _t("CURRENCYAMOUNT", BAPIACCR09, text="Currency items"),
        _t("RETURN", BAPIRET2, text="Return parameter"),
    ),
    "BAPI_TRANSACTION_COMMIT": (
        _i("WAIT", char(1), optional=True),
        _e("RETURN", BAPIRET2),
    ),
    "BAPI_TRANSACTION_ROLLBACK": (_e("RETURN", BAPIRET2),),
    "Z_CLAIMBRIDGE_OPEN_CUSTOMERS": (
        _i("I_BUKRS", char(4), text="company code"),
        _i("I_KEYDATE", dats(), optional=True, text="key date"),
        _t("ET_CUSTOMERS", ZCLAIMBRIDGE_S_CUSTOMER, text="customers with open items"),
        _t("RETURN", BAPIRET2),
    ),
    "Z_CLAIMBRIDGE_DUNNING_BLOCK": (
        *_ITEM_KEY,
        _i("I_MANSP", char(1), text="dunning block; space removes it"),
        _i("I_ACTION_ID", char(70), optional=True, text="claimbridge action id"),
        _t("RETURN", BAPIRET2),
    ),
    "Z_CLAIMBRIDGE_ITEM_NOTE": (
        *_ITEM_KEY,
        _i("I_KIND", char(10), text="NOTE or STATUS"),
        _i("I_TEXT", string(), text="note text, or the case state"),
        _i("I_CASE", char(20), optional=True, text="case reference"),
        _i("I_AGENCY", char(30), optional=True, text="agency"),
        _i("I_ACTION_ID", char(70), optional=True, text="claimbridge action id"),
        _t("RETURN", BAPIRET2),
    ),
}
