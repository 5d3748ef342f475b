"""The SAP connector's small parts: ALPHA, RETURN messages of every structure, the
classification of RFC failures, and the options' checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.base import ConfigurationError, ConnectionFailed, RemoteRejected
from connectors.sap_rfc.alpha import alpha_in, alpha_out
from connectors.sap_rfc.failures import rfc_failure
from connectors.sap_rfc.options import SapRfcSourceOptions, SapRfcWriteBackOptions
from connectors.sap_rfc.returns import failures, messages
from simulators.sap.messages import bapiret2, bapireturn
from simulators.sap.rfc_errors import (
    ABAPApplicationError,
    ABAPRuntimeError,
    CommunicationError,
    ExternalRuntimeError,
    LogonError,
)


def test_alpha() -> None:
    assert alpha_in("100231") == "0000100231"
    assert alpha_in("0000100231") == "0000100231"
    assert alpha_in(" kd-7 ") == "KD-7"
    with pytest.raises(ValueError, match="more than 10 digits"):
        alpha_in("12345678901")
    assert alpha_out("0000100231") == "100231" and alpha_out("KD-7") == "KD-7"
    assert alpha_out("0000000000") == "0"


def test_return_messages_of_every_structure() -> None:
    old = bapireturn("E", "F5", "165", "9999")
    (message,) = failures(old)
    assert (message.key, message.variables[0]) == ("F5165", "9999")
    assert message.describe() == "E F5165 Company code 9999 does not exist [V1=9999]"
    table = [bapiret2("S", "RW", "605", "BKPFF", "K", "SYS"), bapiret2("E", "RW", "609", "B")]
    assert [m.type for m in messages(table)] == ["S", "E"]
    assert [m.key for m in failures(table)] == ["RW/609"]
    blank = {k: "" for k in ("TYPE", "ID", "NUMBER", "MESSAGE")}
    assert messages(blank) == [] and messages(None) == []
    warning = bapiret2("W", "ZCLAIMBRIDGE", "003", "x")
    assert failures([warning]) == [] and messages([warning])[0].mentions("x")


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (LogonError("Name or password is incorrect"), ConnectionFailed, "refused the logon"),
        (CommunicationError("down", key="RFC_COMMUNICATION_FAILURE"), ConnectionFailed, "down"),
        (CommunicationError("Connection was canceled", key="RFC_CANCELED"), ConnectionFailed, ""),
        (ABAPApplicationError("x", key="FU_NOT_FOUND"), ConfigurationError, "does not exist"),
        (ExternalRuntimeError("field 'A' not found", key="RFC_INVALID_PARAMETER"),
         ConfigurationError, "field 'A' not found"),
        (TypeError("a numeric string is required, received", 2026), ConfigurationError, "NUMC"),
        (ABAPRuntimeError("no RFC authorization", key="RFC_ERROR_SYSTEM_FAILURE"),
         RemoteRejected, "no RFC authorization"),
        (ABAPApplicationError("x", key="NOT_FOUND"), RemoteRejected, "NOT_FOUND"),
    ],
)  # fmt: skip
def test_rfc_failures_are_classified(error: Exception, kind: type, text: str) -> None:
    failure = rfc_failure("Z_FUNCTION", error)
    assert isinstance(failure, kind)
    assert str(failure).startswith("Z_FUNCTION: ") and text in str(failure)


def test_other_exceptions_are_not_rfc_failures() -> None:
    assert rfc_failure("F", KeyError("bug")) is None


BASE = {"client": "simulator", "company_codes": ["1000"], "customers": {"list": ["1"]}}


def test_source_options_are_checked() -> None:
    assert SapRfcSourceOptions.model_validate(
        {**BASE, "company_codes": ["1000 "]}
    ).company_codes == ["1000"]
    bad = [
        {**BASE, "company_codes": ["10000"]},
        {**BASE, "company_codes": ["1000", "1000"]},
        {**BASE, "customers": {}},
        {**BASE, "customers": {"list": ["1"], "function": {"function": "Z", "table": "T"}}},
        {**BASE, "customers": {"function": {"function": "z_lower", "table": "T"}}},
        {**BASE, "cleared_items": {"lookback_days": 400}},
        {**BASE, "client": "simulator", "connection": {"ashost": "h", "client": "100"}},
        {**BASE, "surprise": 1},
    ]
    for options in bad:
        with pytest.raises(ValidationError):
            SapRfcSourceOptions.model_validate(options)


def test_retriable_messages_are_id_and_number() -> None:
    options = SapRfcWriteBackOptions.model_validate(
        {"client": "simulator", "retriable_messages": ["zclaimbridge/1", "MC/601"]}
    )
    assert options.retriable_messages == ["ZCLAIMBRIDGE/001", "MC/601"]
    with pytest.raises(ValidationError, match="is not ID/NUMBER"):
        SapRfcWriteBackOptions.model_validate({"client": "simulator", "retriable_messages": ["X"]})
