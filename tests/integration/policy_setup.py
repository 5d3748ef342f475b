"""Setting a workspace's policies (and a second agency) for the policy tests."""

from __future__ import annotations

import re

from tests.conftest import Workspace

# A second agency working French debtors, files in their own folders.
SECOND_AGENCY = """\
  acme-fr:
    display_name: ACME Recouvrement SAS
    channel: files
    options:
      format: csv
      outbox: agency-fr/to-agency
      inbox:
        folder: agency-fr/from-agency
        pattern: "status_*.csv"
        settle_seconds: 0
"""

# Reference rates for the second half of 2026, which claimbridge does not ship: test values
# (not the published ones), round so that the expected interest is easy to check by hand.
TEST_RATES = """\
reference_rates:
  de_base_rate:
    2026-07-01: "1.00"
  ecb_refinancing_rate:
    2026-07-01: "2.00"
"""


def set_policies(
    workspace: Workspace, policies: str, *, second_agency: bool = False, rates: bool = False
) -> None:
    """Replace the workspace's `policies:` section with `policies` (YAML, indented as under
    `policies:`)."""
    text = workspace.config_path.read_text(encoding="utf-8")
    text = re.sub(r"\npolicies:\n.*?\n(?=\S)", "\npolicies:\n" + policies, text, flags=re.S)
    if second_agency:
        text = text.replace("\npolicies:\n", "\n" + SECOND_AGENCY.rstrip("\n") + "\n\npolicies:\n")
        for folder in ("to-agency", "from-agency"):
            workspace.path("agency-fr", folder).mkdir(parents=True, exist_ok=True)
    if rates:
        text = text.replace("\nschedules:\n", "\n" + TEST_RATES + "\nschedules:\n")
    workspace.config_path.write_text(text, encoding="utf-8")


STANDARD = """\
  standard:
    agency: acme
    criteria:
      - dunning_level: {at_least: 3}
      - days_overdue: {at_least: 30}
      - open_amount: {at_least: "50.00"}
      - dunning_block: {not_in: ["R"]}
      - disputed: false
"""
