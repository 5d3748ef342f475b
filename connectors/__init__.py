"""Connectors move records: ERP sources and write-backs, agency channels, file transports.
Each registers by entry point (see connectors.registry); connectors.base holds their protocols."""
