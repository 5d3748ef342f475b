"""The configuration `claimbridge init` writes: a working example, commented for integrators."""

from __future__ import annotations

__all__ = ["SAMPLE_CONFIG"]

SAMPLE_CONFIG = """\
# claimbridge configuration: one file for sources, agencies, policies and schedules.
# Reference: docs/configuration.md. Check it with `claimbridge config check`.
# Secrets never go in this file: write `password: !env VARIABLE` or `!secret_file PATH`.

database:
  # SQLite by default (relative to this file); for PostgreSQL:
  # url: postgresql+psycopg://claimbridge@db.example.com/claimbridge
  # (CLAIMBRIDGE_DATABASE_URL in the environment overrides it)
  url: sqlite:///claimbridge.db

case_reference_prefix: CB

sources:
  erp:
    # The ERP drops open-items exports (CSV) into erp/exports; processed files move to
    # erp/exports/archive, refused ones to erp/exports/error with the reason beside them.
    connector: csv
    mapping: preset:generic-opos
    options:
      inbox:
        folder: erp/exports
        pattern: "open_items_*.csv"
    writeback:
      # One CSV file per delivery, one line per action, for the ERP to import.
      connector: csv
      mapping: preset:writeback-csv
      options:
        folder: erp/writeback
      rules:
        dunning_block: "I"          # the block that marks items handed over to an agency

agencies:
  acme:
    display_name: ACME Inkasso GmbH
    # Files in a shared folder (SFTP works the same way: see docs/sftp.md).
    channel: files
    options:
      format: csv                   # or json
      outbox: agency/to-agency      # handover files and notices for the agency
      inbox:
        folder: agency/from-agency  # the agency's status and payment files
        pattern: "status_*.csv"

policies:
  # Which open items go to an agency, written for accounting to read: docs/policies.md.
  standard:
    description: Invoices past the third reminder and a month overdue
    # where cases go (routing rules may send some to other agencies)
    agency: acme
    criteria:                       # an item is handed over when every criterion holds
      - dunning_level: {at_least: 3}
      - days_overdue: {at_least: 30}
      - open_amount: {at_least: "50.00"}    # per item, in its own currency
      - dunning_block: {not_in: ["R"]}      # R = disputed in the ERP's own dunning
      - disputed: false
    grouping:                       # one case per debtor and currency
      min_case_total: "0.00"
    approval: automatic             # or manual (accounting approves each case)
    claims:                         # what each case claims besides the open amount
      law:                          # statutory interest and flat fees, per company code
        "1000": de
        "2000": fr
      day_count: act/365

# Statutory interest needs the reference rate of every half-year of a delay. claimbridge ships
# them up to its release; add newer ones with `claimbridge rates add SERIES HALF-YEAR RATE`,
# which writes them here (docs/policies.md says where to find them):
# reference_rates:
#   de_base_rate:
#     2026-07-01: "..."    # the rate the Bundesbank published for that half-year

schedules:
  daily-cycle:
    job: cycle
    cron: "30 6 * * 1-5"
    timezone: Europe/Berlin
"""
