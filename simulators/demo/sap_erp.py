"""The simulated SAP system as the demo's ERP (`claimbridge demo --erp sap`).

`prepare` points the example configuration's source at SAP over RFC (the `sap-rfc` source and
write-back with `client: simulator`) and creates the simulated system, its state in
erp/sap-simulator.json so that both cycles (and the write-back between them) see one system.
`next_day` plays the accounting clerk once the agency has answered: a customer paid one
handed-over item in full (an incoming payment clears it) and another in part (a partial
payment referring to it; the invoice stays open, as SAP's partial-payment method leaves it).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from gateway.sample.init import CONFIG_NAME
from simulators.sap import SimulatedSap

__all__ = ["CUSTOMERS_PER_COMPANY_CODE", "STATE_FILE", "sap_next_day", "sap_prepare"]

STATE_FILE = "erp/sap-simulator.json"
CUSTOMERS_PER_COMPANY_CODE = 40
_DONE = "claimbridge demo: next day"

SAP_SOURCE = f"""\
sources:
  erp:
    # SAP FI-AR over RFC: open items by BAPI_AR_ACC_GETOPENITEMS, cleared items by
    # BAPI_AR_ACC_GETBALANCEDITEMS. Here the simulated SAP system (its state: {STATE_FILE});
    # for a real one: `client: pyrfc` and `connection: {{ashost, sysnr, client, user,
    # passwd: !env SAP_PASSWORD}}` (docs/sap.md).
    connector: sap-rfc
    mapping: preset:sap-bapi3007
    options:
      client: simulator
      simulator:
        state: {STATE_FILE}
      company_codes: ["1000", "2000", "3000"]
      customers:
        function:
          function: Z_CLAIMBRIDGE_OPEN_CUSTOMERS
          table: ET_CUSTOMERS
          key_date_parameter: I_KEYDATE
      cleared_items:
        lookback_days: 31
    writeback:
      # Dunning blocks and notes through claimbridge's Z-functions, payments by
      # BAPI_ACC_DOCUMENT_POST, each committed with BAPI_TRANSACTION_COMMIT.
      connector: sap-rfc
      mapping: preset:sap-writeback-rfc
      options:
        client: simulator
        simulator:
          state: {STATE_FILE}
      rules:
        dunning_block: "I"

"""


def sap_prepare(folder: Path, today: date) -> None:
    """Point the configuration at the simulated SAP system and create that system."""
    config = folder / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    text, count = re.subn(r"(?ms)^sources:\n.*?(?=^agencies:)", SAP_SOURCE, text)
    if count != 1:
        raise ValueError(f"{config}: no `sources:` section to replace")
    config.write_text(text, encoding="utf-8")
    for export in (folder / "erp" / "exports").glob("open_items_*.csv"):
        export.unlink()  # the CSV sample: this ERP is SAP
    SimulatedSap.create(
        base_date=today,
        customers_per_company_code=CUSTOMERS_PER_COMPANY_CODE,
        # A customer blocked for posting would turn the agency's payments on its cases into
        # dead letters (the SAP tests show that); the demo's loop ends clean.
        posting_blocks=False,
        path=folder / STATE_FILE,
    )


def sap_next_day(folder: Path, today: date) -> bool:
    """Customers pay two handed-over (dunning-blocked) items; False if done before."""
    sap = SimulatedSap.create(path=folder / STATE_FILE)
    state = sap.state
    if any(change.get("note") == _DONE for change in state.changes):
        return False
    blocked = sorted(key for key, block in state.blocks.items() if block)
    if len(blocked) < 2:
        return False
    sap.pay_in_full(blocked[0], today)
    found = sap.find_item(*blocked[1].split("/"))
    if found is not None:
        half = (found[0]["AMT_DOCCUR"] / 2).quantize(Decimal(1))
        sap.pay_in_part(blocked[1], half, today)
    state.changes.append({"note": _DONE})
    state.save()
    return True
