"""The simulated SAP system answers as SAP does through pyrfc: the shapes and types of every
structure, the FI-AR semantics (key date, noted items, clearings), the errors (logon, network,
timeout, unknown function or parameter, wrong types, authorizations), and the unit of work."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from simulators.sap import SimulatedSap, item_key
from simulators.sap.abap import Abap, Structure
from simulators.sap.ddic import FUNCTIONS, STRUCTURES
from simulators.sap.ledger import CURRENCY_DIGITS
from simulators.sap.rfc_errors import (
    ABAPApplicationError,
    ABAPRuntimeError,
    CommunicationError,
    ExternalRuntimeError,
    LogonError,
)

BASE = date(2026, 11, 20)
KEYDATE = "20261120"


@pytest.fixture
def sap() -> SimulatedSap:
    return SimulatedSap.create(base_date=BASE, customers_per_company_code=300)


def open_items(sap: SimulatedSap, company_code: str, customer: str, **more: Any) -> dict[str, Any]:
    return sap.call(
        "BAPI_AR_ACC_GETOPENITEMS",
        COMPANYCODE=company_code,
        CUSTOMER=customer,
        KEYDATE=more.pop("KEYDATE", KEYDATE),
        **more,
    )


def conforms(value: Any, kind: Abap | Structure) -> list[str]:
    """Where `value` is not what pyrfc returns for `kind` (empty: it is)."""
    if isinstance(kind, Structure):
        if not isinstance(value, dict) or list(value) != list(kind.names):
            return [f"{kind.name}: components {list(value) if isinstance(value, dict) else value}"]
        problems: list[str] = []
        for name, abap in kind.components:
            problems += [f"{kind.name}.{name}: {p}" for p in conforms(value[name], abap)]
        return problems
    if kind.kind == "C":
        ok = isinstance(value, str) and len(value) <= kind.length and value == value.rstrip()
    elif kind.kind == "N":
        ok = isinstance(value, str) and value.isdigit() and len(value) == kind.length
    elif kind.kind == "D":
        ok = value == "" or (
            isinstance(value, str)
            and date.fromisoformat(f"{value[:4]}-{value[4:6]}-{value[6:]}") is not None
        )
    elif kind.kind == "P":
        ok = isinstance(value, Decimal) and value.as_tuple().exponent == -kind.decimals
    elif kind.kind == "I":
        ok = type(value) is int
    else:
        ok = isinstance(value, str)
    return [] if ok else [f"{value!r} is not {kind}"]


def result_conforms(function: str, result: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    outputs = [p for p in FUNCTIONS[function] if p.direction != "I"]
    if sorted(result) != sorted(p.name for p in outputs):
        problems.append(f"{function}: parameters {sorted(result)}")
    for parameter in outputs:
        value = result.get(parameter.name)
        if parameter.direction == "T":
            assert isinstance(parameter.type, Structure)
            for row in value or []:
                problems += conforms(row, parameter.type)
        else:
            problems += conforms(value, parameter.type)
    return problems


def test_open_items_have_the_shape_and_types_pyrfc_gives(sap: SimulatedSap) -> None:
    checked = 0
    for company_code in ("1000", "2000", "3000"):
        for customer in list(sap.ledger.customers_of(company_code))[:60]:
            for function, extra in (
                ("BAPI_AR_ACC_GETOPENITEMS", {"KEYDATE": KEYDATE, "NOTEDITEMS": "X"}),
                ("BAPI_AR_ACC_GETBALANCEDITEMS", {"DATE_FROM": "20260101", "DATE_TO": KEYDATE}),
            ):
                result = sap.call(
                    function, COMPANYCODE=company_code, CUSTOMER=customer.number, **extra
                )
                assert result_conforms(function, result) == []
                checked += len(result["LINEITEMS"])
    assert checked > 2_000


def test_every_other_function_answers_in_its_interface(sap: SimulatedSap) -> None:
    calls = {
        "RFC_PING": {},
        "RFC_SYSTEM_INFO": {},
        "RFC_GET_FUNCTION_INTERFACE": {"FUNCNAME": "BAPI_AR_ACC_GETOPENITEMS"},
        "BAPI_COMPANYCODE_GETDETAIL": {"COMPANYCODEID": "2000"},
        "BAPI_CUSTOMER_GETDETAIL2": {"CUSTOMERNO": "0000100001", "COMPANYCODE": "1000"},
        "Z_CLAIMBRIDGE_OPEN_CUSTOMERS": {"I_BUKRS": "3000"},
        "BAPI_TRANSACTION_ROLLBACK": {},
    }
    for function, params in calls.items():
        assert result_conforms(function, sap.call(function, **params)) == [], function
    assert set(calls) | {
        "BAPI_AR_ACC_GETOPENITEMS",
        "BAPI_AR_ACC_GETBALANCEDITEMS",
        "BAPI_ACC_DOCUMENT_POST",
        "BAPI_TRANSACTION_COMMIT",
        "Z_CLAIMBRIDGE_DUNNING_BLOCK",
        "Z_CLAIMBRIDGE_ITEM_NOTE",
    } == set(FUNCTIONS)


def test_a_successful_bapireturn_is_all_initial(sap: SimulatedSap) -> None:
    assert open_items(sap, "1000", "0000100001")["RETURN"] == STRUCTURES["BAPIRETURN"].initial()
    assert STRUCTURES["BAPIRETURN"].initial()["LOG_MSG_NO"] == "000000"  # NUMC: zeros, not ''


def test_amounts_are_positive_packed_numbers_signed_by_db_cr_ind(sap: SimulatedSap) -> None:
    seen: set[tuple[str, str]] = set()
    for customer in list(sap.ledger.customers_of("3000"))[:150]:
        for row in open_items(sap, "3000", customer.number)["LINEITEMS"]:
            assert row["AMT_DOCCUR"] > 0 and row["LC_AMOUNT"] > 0
            assert row["DB_CR_IND"] in ("S", "H")
            digits = CURRENCY_DIGITS[row["CURRENCY"]]
            assert row["AMT_DOCCUR"] == row["AMT_DOCCUR"].quantize(Decimal(1).scaleb(-digits))
            seen.add((row["CURRENCY"], row["DB_CR_IND"]))
    assert {("USD", "S"), ("USD", "H"), ("JPY", "S")} <= seen  # several currencies, credits


def test_noted_items_come_only_when_asked_for(sap: SimulatedSap) -> None:
    with_noted = without = 0
    for customer in list(sap.ledger.customers_of("1000"))[:100]:
        rows = open_items(sap, "1000", customer.number, NOTEDITEMS="X")["LINEITEMS"]
        noted = [r for r in rows if r["DOC_STATUS"] == "S"]
        assert all(r["SP_GL_IND"] == "F" for r in noted)
        with_noted += len(noted)
        plain = open_items(sap, "1000", customer.number)["LINEITEMS"]
        assert [r for r in plain if r["DOC_STATUS"] == "S"] == []
        without += len(plain)
        assert len(plain) == len(rows) - len(noted)
    assert with_noted > 0 and without > 0


def test_the_key_date_decides_what_is_open(sap: SimulatedSap) -> None:
    customer = sap.ledger.customer("1000", 7)
    balanced = sap.call(
        "BAPI_AR_ACC_GETBALANCEDITEMS",
        COMPANYCODE="1000",
        CUSTOMER=customer.number,
        DATE_FROM="20250101",
        DATE_TO=KEYDATE,
    )["LINEITEMS"]
    invoice = next(r for r in balanced if r["DOC_TYPE"] == "RV")
    payment = next(r for r in balanced if r["DOC_NO"] == invoice["CLR_DOC_NO"])
    assert payment["CLR_DOC_NO"] == payment["DOC_NO"] and payment["DB_CR_IND"] == "H"
    cleared = invoice["CLEAR_DATE"]
    day_before = (date.fromisoformat(f"{cleared[:4]}-{cleared[4:6]}-{cleared[6:]}")).toordinal() - 1
    before = date.fromordinal(day_before).strftime("%Y%m%d")
    then = open_items(sap, "1000", customer.number, KEYDATE=before)["LINEITEMS"]
    now = open_items(sap, "1000", customer.number)["LINEITEMS"]
    assert invoice["DOC_NO"] in {r["DOC_NO"] for r in then}  # open the day before it was paid
    assert invoice["DOC_NO"] not in {r["DOC_NO"] for r in now}


def test_customers_are_alpha_numbers_some_alphanumeric(sap: SimulatedSap) -> None:
    numbers = [c.number for c in sap.ledger.customers_of("1000")]
    assert numbers[0] == "0000100000"
    alphanumeric = [n for n in numbers if not n.isdigit()]
    assert alphanumeric and all(len(n) <= 10 for n in alphanumeric)
    assert open_items(sap, "1000", alphanumeric[0])["RETURN"]["TYPE"] == ""
    # Not zero-padded: SAP does not know the customer (the caller must apply ALPHA).
    wrong = open_items(sap, "1000", "100001")["RETURN"]
    assert (wrong["TYPE"], wrong["CODE"], wrong["MESSAGE_V1"]) == ("E", "F2155", "100001")


def test_the_same_seed_gives_the_same_system() -> None:
    one = SimulatedSap.create(base_date=BASE, customers_per_company_code=20)
    two = SimulatedSap.create(base_date=BASE, customers_per_company_code=20)
    other = SimulatedSap.create(base_date=BASE, customers_per_company_code=20, seed=7)
    assert open_items(one, "2000", "0000200003") == open_items(two, "2000", "0000200003")
    assert open_items(one, "2000", "0000200003") != open_items(other, "2000", "0000200003")


def test_errors_come_back_in_return_for_company_code_and_customer(sap: SimulatedSap) -> None:
    unknown = open_items(sap, "9999", "0000100001")
    assert unknown["LINEITEMS"] == []
    assert (unknown["RETURN"]["TYPE"], unknown["RETURN"]["MESSAGE_V1"]) == ("E", "9999")
    assert unknown["RETURN"]["MESSAGE"] == "Company code 9999 does not exist"
    elsewhere = open_items(sap, "2000", "0000100001")["RETURN"]
    assert (elsewhere["TYPE"], elsewhere["MESSAGE_V1"], elsewhere["MESSAGE_V2"]) == (
        "E",
        "0000100001",
        "2000",
    )
    vip = sap.ledger.customer("1000", 17)  # authorization group VIP: not for this user
    assert sap.ledger.master_data(vip)["auth_group"] == "VIP"
    denied = open_items(sap, "1000", vip.number)["RETURN"]
    assert (denied["TYPE"], denied["CODE"]) == ("E", "F2543")
    sap.state.denied_company_codes.append("2000")
    assert open_items(sap, "2000", "0000200001")["RETURN"]["CODE"] == "F5155"
    detail = sap.call("BAPI_CUSTOMER_GETDETAIL2", CUSTOMERNO=vip.number, COMPANYCODE="1000")
    assert (detail["RETURN"]["TYPE"], detail["RETURN"]["ID"], detail["RETURN"]["NUMBER"]) == (
        "E",
        "F2",
        "543",
    )


def test_rfc_failures_raise_what_pyrfc_raises(sap: SimulatedSap) -> None:
    with pytest.raises(ABAPApplicationError) as missing:
        sap.call("Z_DOES_NOT_EXIST")
    assert (missing.value.key, missing.value.msg_class, missing.value.msg_number) == (
        "FU_NOT_FOUND",
        "FL",
        "046",
    )
    with pytest.raises(ExternalRuntimeError) as parameter:
        open_items(sap, "1000", "0000100001", NOTED="X")
    assert parameter.value.key == "RFC_INVALID_PARAMETER"
    assert parameter.value.message == "field 'NOTED' not found"
    with pytest.raises(TypeError, match="a numeric string is required"):
        sap.call("Z_CLAIMBRIDGE_DUNNING_BLOCK", I_GJAHR=2026)
    with pytest.raises(TypeError, match="date value required"):
        open_items(sap, "1000", "0000100001", KEYDATE=20261120)
    with pytest.raises(TypeError, match="dictionary required for structure"):
        sap.call("BAPI_ACC_DOCUMENT_POST", DOCUMENTHEADER=[])
    sap.state.denied_functions.append("BAPI_AR_ACC_GETOPENITEMS")
    with pytest.raises(ABAPRuntimeError, match="no RFC authorization"):
        open_items(sap, "1000", "0000100001")


def test_logon_network_and_timeout() -> None:
    wrong = SimulatedSap.create(base_date=BASE, user="claimbridge", password="guess")
    with pytest.raises(LogonError) as refused:
        wrong.call("RFC_PING")
    assert refused.value.key == "RFC_LOGON_FAILURE" and "guess" not in str(refused.value)
    right = SimulatedSap.create(base_date=BASE, user="claimbridge", password="claimbridge")
    assert right.call("RFC_PING") == {}
    right.unreachable = True
    with pytest.raises(CommunicationError):
        right.call("RFC_PING")
    slow = SimulatedSap.create(base_date=BASE, timeout=5)
    slow.delays["BAPI_AR_ACC_GETOPENITEMS"] = 30
    with pytest.raises(CommunicationError) as cancelled:
        open_items(slow, "1000", "0000100001")
    assert cancelled.value.key == "RFC_CANCELED"


def payment(customer: str, amount: str, *, balanced: bool = True) -> dict[str, Any]:
    return {
        "DOCUMENTHEADER": {
            "BUS_ACT": "RFBU",
            "COMP_CODE": "1000",
            "DOC_TYPE": "DZ",
            "PSTNG_DATE": "20261120",
            "DOC_DATE": "20261120",
            "REF_DOC_NO": "ABC",
        },
        "ACCOUNTGL": [{"ITEMNO_ACC": "0000000001", "GL_ACCOUNT": "0000113109"}],
        "ACCOUNTRECEIVABLE": [{"ITEMNO_ACC": "0000000002", "CUSTOMER": customer}],
        "CURRENCYAMOUNT": [
            {"ITEMNO_ACC": "0000000001", "CURRENCY": "EUR", "AMT_DOCCUR": Decimal(amount)},
            {
                "ITEMNO_ACC": "0000000002",
                "CURRENCY": "EUR",
                "AMT_DOCCUR": -Decimal(amount) if balanced else Decimal(0),
            },
        ],
    }


def test_a_posting_is_kept_only_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "sap.json"
    sap = SimulatedSap.create(base_date=BASE, customers_per_company_code=50, path=path)
    before = len(open_items(sap, "1000", "0000100003")["LINEITEMS"])
    posted = sap.call("BAPI_ACC_DOCUMENT_POST", **payment("0000100003", "250.00"))
    (message,) = posted["RETURN"]
    assert (message["TYPE"], message["ID"], message["NUMBER"]) == ("S", "RW", "605")
    assert posted["OBJ_TYPE"] == "BKPFF" and posted["OBJ_KEY"].endswith("10002026")
    assert len(open_items(sap, "1000", "0000100003")["LINEITEMS"]) == before  # not committed
    sap.call("BAPI_TRANSACTION_ROLLBACK")
    sap.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert len(open_items(sap, "1000", "0000100003")["LINEITEMS"]) == before  # rolled back
    sap.call("BAPI_ACC_DOCUMENT_POST", **payment("0000100003", "250.00"))
    sap.close()  # closing drops what was not committed
    assert len(open_items(sap, "1000", "0000100003")["LINEITEMS"]) == before
    sap.call("BAPI_ACC_DOCUMENT_POST", **payment("0000100003", "250.00"))
    assert sap.call("BAPI_TRANSACTION_COMMIT", WAIT="X")["RETURN"]["TYPE"] == ""
    rows = open_items(sap, "1000", "0000100003")["LINEITEMS"]
    credit = [r for r in rows if r["REF_DOC_NO"] == "ABC"]
    assert len(rows) == before + 1 and credit[0]["DB_CR_IND"] == "H"
    assert credit[0]["AMT_DOCCUR"] == Decimal("250.0000")
    sap.close()
    again = SimulatedSap.create(path=path)  # a new connection, another process: still there
    assert len(open_items(again, "1000", "0000100003")["LINEITEMS"]) == before + 1


def test_a_bad_posting_says_why(sap: SimulatedSap) -> None:
    unbalanced = sap.call("BAPI_ACC_DOCUMENT_POST", **payment("0000100003", "10", balanced=False))
    keys = [(m["TYPE"], m["ID"], m["NUMBER"]) for m in unbalanced["RETURN"]]
    assert keys[0] == ("E", "RW", "609") and ("E", "F5", "702") in keys
    assert unbalanced["OBJ_KEY"] == ""
    unpadded = sap.call("BAPI_ACC_DOCUMENT_POST", **payment("100003", "10"))
    assert ("E", "F2", "155") in [(m["TYPE"], m["ID"], m["NUMBER"]) for m in unpadded["RETURN"]]
    blocked = sap.ledger.customer("1000", 5)
    assert sap.ledger.master_data(blocked)["posting_block"] == "X"
    refused = sap.call("BAPI_ACC_DOCUMENT_POST", **payment(blocked.number, "10"))
    reason = refused["RETURN"][1]
    assert (reason["NUMBER"], reason["MESSAGE_V1"], reason["FIELD"]) == (
        "351",
        blocked.number,
        "CUSTOMER",
    )


def test_dunning_block_and_notes_through_the_z_functions(sap: SimulatedSap) -> None:
    customer = sap.ledger.customer("1000", 3)
    row = next(
        r for r in open_items(sap, "1000", customer.number)["LINEITEMS"] if r["DOC_TYPE"] == "RV"
    )
    item = {
        "I_BUKRS": "1000",
        "I_BELNR": row["DOC_NO"],
        "I_GJAHR": row["FISC_YEAR"],
        "I_BUZEI": row["ITEM_NUM"],
    }
    done = sap.call("Z_CLAIMBRIDGE_DUNNING_BLOCK", **item, I_MANSP="I", I_ACTION_ID="a1")
    assert [m["TYPE"] for m in done["RETURN"]] == ["S"]
    sap.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    blocked = {r["DOC_NO"]: r for r in open_items(sap, "1000", customer.number)["LINEITEMS"]}
    assert blocked[row["DOC_NO"]]["DUNN_BLOCK"] == "I"
    note = {**item, "I_KIND": "NOTE", "I_TEXT": "Handed over", "I_ACTION_ID": "a2"}
    assert sap.call("Z_CLAIMBRIDGE_ITEM_NOTE", **note)["RETURN"][0]["NUMBER"] == "007"
    sap.call("BAPI_TRANSACTION_COMMIT")
    # A repeated delivery of the same action changes nothing.
    assert sap.call("Z_CLAIMBRIDGE_ITEM_NOTE", **note)["RETURN"][0]["NUMBER"] == "005"
    sap.call("BAPI_TRANSACTION_COMMIT")
    key = item_key("1000", row["DOC_NO"], row["FISC_YEAR"], row["ITEM_NUM"])
    assert [n["text"] for n in sap.state.notes[key]] == ["Handed over"]
    sap.state.locks[f"1000/{row['DOC_NO']}/{row['FISC_YEAR']}"] = "SMITH"
    locked = sap.call("Z_CLAIMBRIDGE_DUNNING_BLOCK", **item, I_MANSP="")["RETURN"][0]
    assert (locked["TYPE"], locked["ID"], locked["NUMBER"], locked["MESSAGE_V4"]) == (
        "E",
        "ZCLAIMBRIDGE",
        "001",
        "SMITH",
    )
    missing = sap.call("Z_CLAIMBRIDGE_DUNNING_BLOCK", **{**item, "I_BELNR": "1899999999"})
    assert missing["RETURN"][0]["NUMBER"] == "002"


def test_the_function_interface_lists_the_parameters(sap: SimulatedSap) -> None:
    rows = sap.call("RFC_GET_FUNCTION_INTERFACE", FUNCNAME="Z_CLAIMBRIDGE_DUNNING_BLOCK")["PARAMS"]
    assert [(r["PARAMCLASS"], r["PARAMETER"]) for r in rows][:2] == [
        ("I", "I_BUKRS"),
        ("I", "I_BELNR"),
    ]
    assert {r["PARAMETER"]: r["EXID"] for r in rows}["RETURN"] == "h"
    with pytest.raises(ABAPApplicationError):
        sap.call("RFC_GET_FUNCTION_INTERFACE", FUNCNAME="Z_NOPE")
