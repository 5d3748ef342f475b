"""The SAP connector from the command line: listed (its pyrfc client unavailable here, with
the reason), configured, checked, and run in the demo."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from connectors.base import ConfigurationError, ConnectionFailed
from connectors.sap_rfc import PYRFC_MISSING, PyRfcClient, RfcConnectionOptions, RfcSession
from connectors.sap_rfc.options import SapRfcSourceOptions
from connectors.secrets import SecretValue
from gateway.cli import main
from tests.conftest import TODAY, Workspace
from tests.integration.demo_outcome import assert_the_loop_ended_clean
from tests.integration.sap_helpers import sap_source, use_sap


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    return CliRunner()


def test_the_pyrfc_client_is_listed_unavailable_with_the_reason(cli: CliRunner) -> None:
    # pyrfc cannot be installed here (it needs SAP's proprietary SDK): listed unavailable.
    result = cli.invoke(main, ["connectors"])
    assert result.exit_code == 0
    lines = result.output.splitlines()

    def row(role: str, name: str) -> str:
        (found,) = [x for x in lines if x.startswith(role) and name in x]
        return found

    for role in ("source", "write-back"):
        pyrfc = row(role, "sap-rfc (client: pyrfc)")
        assert re.search(r"\bno\b", pyrfc) and PYRFC_MISSING in pyrfc
        assert re.search(r"\byes\b", row(role, "sap-rfc (client: simulator)"))
        assert re.search(r"\byes\b", row(role, " csv "))  # everything else works
    assert "preset:sap-bapi3007" in result.output and "preset:sap-writeback-rfc" in result.output


def test_choosing_pyrfc_without_it_is_a_configuration_error_with_its_line(
    cli: CliRunner, workspace: Workspace
) -> None:
    use_sap(workspace)
    text = workspace.config_path.read_text().replace(
        "      client: simulator\n      simulator: {state: erp/sap.json}\n      company_codes",
        "      client: pyrfc\n      connection: {ashost: sap.example.com, sysnr: '00', "
        "client: '100', user: RFC_CB, passwd: !env SAP_PASSWORD}\n      company_codes",
    )
    workspace.config_path.write_text(text)
    result = cli.invoke(
        main, ["-c", str(workspace.config_path), "config", "check"], env={"SAP_PASSWORD": "x"}
    )
    assert result.exit_code == 2
    (line,) = [x for x in result.output.splitlines() if "sources.erp.options" in x]
    assert re.match(r"\s+line \d+, sources\.erp\.options", line)
    assert f"the pyrfc client is unavailable: {PYRFC_MISSING}" in line


def test_a_literal_password_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be written in the configuration file"):
        SapRfcSourceOptions.model_validate(
            {
                "client": "simulator",
                "connection": {
                    "ashost": "h",
                    "sysnr": "00",
                    "client": "100",
                    "user": "U",
                    "passwd": "secret",
                },
                "company_codes": ["1000"],
                "customers": {"list": ["1"]},
            }
        )


def test_check_pings_sap_and_finds_the_functions(cli: CliRunner, workspace: Workspace) -> None:
    use_sap(workspace)
    result = cli.invoke(main, ["-c", str(workspace.config_path), "check", "erp"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ok   source erp: RFC_PING" in out
    assert "ok   source erp: RFC_SYSTEM_INFO: system SIM, release 758" in out
    assert "ok   source erp: function Z_CLAIMBRIDGE_OPEN_CUSTOMERS" in out
    assert "ok   source erp: company code 2000" in out
    assert "ok   write-back erp: function Z_CLAIMBRIDGE_DUNNING_BLOCK" in out
    use_sap(workspace, sap_source('["1000", "9999"]'))
    failed = cli.invoke(main, ["-c", str(workspace.config_path), "check", "erp"])
    assert failed.exit_code == 1
    assert "FAIL source erp: company code 9999: BAPI_COMPANYCODE_GETDETAIL" in failed.output


def test_the_demo_runs_on_the_simulated_sap_system(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    args = ["demo", str(folder), "--as-of", TODAY.isoformat(), "--erp", "sap"]
    result = cli.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "a simulated SAP system reached over RFC" in out
    first, second = out.rsplit("\nSecond cycle:\n", 1)
    extract = re.search(r"extract\s+erp\s+(.*)", first)
    assert extract is not None and "3 quarantined, 0 cleared, 0 direct payments" in extract[1]
    assert re.search(r"writeback\s+erp\s+\d+ delivered → rfc:simulator", first)
    # the item paid in full and the one paid in part (a line referring to it) are both seen
    assert re.search(r"extract\s+erp\s+.*1 cleared, 2 direct payments", second)
    assert re.search(r"notices\s+acme\s+2 delivered", second)
    # the agency reports no amount finer than the currency has (JPY): only its line about a
    # case it never received is quarantined, and the ERP's 3 customers it may not display
    assert re.search(r"updates\s+acme\s+.*0 flagged for attention, 1 quarantined", second)
    assert "in the authorization group VIP, which claimbridge's RFC user may not" in second
    # no customer of the demo's system is blocked for posting: every payment is booked
    assert_the_loop_ended_clean(cli, folder, out)
    again = cli.invoke(main, args, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "The sap ERP had already moved on" in again.output
    assert "1 direct payments" not in again.output
    assert_the_loop_ended_clean(cli, folder, again.output)


class _FakeConnection:
    """pyrfc.Connection as far as the client uses it (pyrfc itself needs SAP's SDK)."""

    opened: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, config: dict[str, Any] | None = None, **params: Any) -> None:
        self.closed = False
        _FakeConnection.opened.append({"config": config, **params})

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        if function == "RFC_PING":
            return {}
        raise type("CommunicationError", (Exception,), {"key": "RFC_COMMUNICATION_FAILURE"})(
            "partner not reached"
        )

    def close(self) -> None:
        self.closed = True


def test_the_pyrfc_client_opens_one_connection_lazily_and_closes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = types.ModuleType("pyrfc")
    fake.Connection = _FakeConnection  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyrfc", fake)
    options = RfcConnectionOptions.model_validate(
        {
            "ashost": "sap.example.com",
            "sysnr": "00",
            "client": "100",
            "user": "RFC_CB",
            "passwd": __import__("connectors.secrets", fromlist=["SecretValue"]).SecretValue(
                "s3cret"
            ),
        }
    )
    client = PyRfcClient(options, timeout=42)
    assert _FakeConnection.opened == []  # nothing before the first call
    session = RfcSession(client)
    session.call("RFC_PING")
    session.call("RFC_PING")
    (opened,) = _FakeConnection.opened
    assert opened["config"] == {"dtime": False, "rstrip": True, "timeout": 42}
    assert (opened["ashost"], opened["client"], opened["user"], opened["passwd"]) == (
        "sap.example.com",
        "100",
        "RFC_CB",
        "s3cret",
    )
    with pytest.raises(ConnectionFailed, match="partner not reached") as failed:
        session.call("BAPI_AR_ACC_GETOPENITEMS")
    assert "s3cret" not in str(failed.value)
    connection = client._connection  # the fake connection, to see it closed
    session.close()
    assert connection.closed


def test_the_pyrfc_client_without_pyrfc_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyrfc", None)  # import fails, as without the extra
    options = RfcConnectionOptions.model_validate(
        {
            "ashost": "h",
            "sysnr": "00",
            "client": "100",
            "user": "U",
            "passwd": SecretValue("p"),
        }
    )
    with pytest.raises(ConfigurationError, match=re.escape(PYRFC_MISSING)):
        PyRfcClient(options, 10).call("RFC_PING")
