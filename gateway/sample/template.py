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
  standard:
    agency: acme
    min_dunning_level: 3
    min_days_overdue: 30
    min_amount: "50.00"             # per item, in its own currency
    exclude_dunning_blocks: ["R"]   # R = disputed in the ERP's own dunning
    exclude_disputed: true
    approval: automatic

schedules:
  daily-cycle:
    job: cycle
    cron: "30 6 * * 1-5"
    timezone: Europe/Berlin
"""
