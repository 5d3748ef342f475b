"""`claimbridge check` for the SAP connectors: SAP answers (RFC_PING), which system it is
(RFC_SYSTEM_INFO), and the functions the configuration names exist with the parameters it
uses (RFC_GET_FUNCTION_INTERFACE)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.base import CheckResult, ConnectorError
from connectors.sap_rfc.session import RfcSession

__all__ = ["connection_checks", "function_checks"]


def connection_checks(session: RfcSession) -> list[CheckResult]:
    """Ping, then the system's identity."""
    try:
        session.call("RFC_PING")
    except ConnectorError as exc:
        return [CheckResult("RFC_PING", False, str(exc))]
    results = [CheckResult("RFC_PING", True)]
    try:
        info = session.call("RFC_SYSTEM_INFO").get("RFCSI_EXPORT") or {}
    except ConnectorError as exc:
        results.append(CheckResult("RFC_SYSTEM_INFO", False, str(exc)))
        return results
    results.append(
        CheckResult(
            "RFC_SYSTEM_INFO",
            True,
            f"system {info.get('RFCSYSID', '?')}, release {info.get('RFCSAPRL', '?')}, "
            f"host {info.get('RFCHOST', '?')}, database {info.get('RFCDBSYS', '?')}",
        )
    )
    return results


def function_checks(
    session: RfcSession, functions: Mapping[str, Sequence[str]]
) -> list[CheckResult]:
    """For each function: it exists and has the parameters named."""
    results = []
    for function, parameters in functions.items():
        what = f"function {function}"
        try:
            rows = session.call("RFC_GET_FUNCTION_INTERFACE", FUNCNAME=function).get("PARAMS")
        except ConnectorError as exc:
            results.append(CheckResult(what, False, str(exc)))
            continue
        known = {str(row.get("PARAMETER", "")) for row in rows or ()}
        missing = [p for p in parameters if p not in known]
        if missing:
            results.append(
                CheckResult(
                    what,
                    False,
                    f"has no parameter(s) {', '.join(missing)} "
                    f"(it has: {', '.join(sorted(known))})",
                )
            )
        else:
            results.append(CheckResult(what, True))
    return results
