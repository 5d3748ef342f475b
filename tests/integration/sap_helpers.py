"""A workspace whose ERP is the simulated SAP system, for the SAP connector's tests."""

from __future__ import annotations

import re
from pathlib import Path

from simulators.sap import SimulatedSap
from tests.conftest import TODAY, Workspace

STATE = "erp/sap.json"
CUSTOMERS = 60


def sap_source(
    company_codes: str = '["1000", "2000"]',
    customers: str = (
        "{function: {function: Z_CLAIMBRIDGE_OPEN_CUSTOMERS, table: ET_CUSTOMERS, "
        "key_date_parameter: I_KEYDATE}}"
    ),
    writeback_mapping: str = "preset:sap-writeback-rfc",
) -> str:
    return f"""\
sources:
  erp:
    connector: sap-rfc
    mapping: preset:sap-bapi3007
    options:
      client: simulator
      simulator: {{state: {STATE}}}
      company_codes: {company_codes}
      customers: {customers}
    writeback:
      connector: sap-rfc
      mapping: {writeback_mapping}
      options:
        client: simulator
        simulator: {{state: {STATE}}}

"""


def use_sap(workspace: Workspace, source: str | None = None) -> SimulatedSap:
    """Point the workspace at a new simulated SAP system (returned, for looking into it)."""
    config = workspace.config_path
    text = re.sub(r"(?ms)^sources:\n.*?(?=^agencies:)", source or sap_source(), config.read_text())
    config.write_text(text)
    return SimulatedSap.create(
        base_date=TODAY, customers_per_company_code=CUSTOMERS, path=workspace.path(STATE)
    )


def sap_of(workspace: Workspace) -> SimulatedSap:
    """The simulated system as the workspace's connectors left it."""
    return SimulatedSap.create(path=Path(workspace.path(STATE)))
