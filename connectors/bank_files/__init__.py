"""Bank statement files: incoming payments for matching to handed-over items."""

from connectors.bank_files.statements import BankStatementFiles, BankStatementOptions, StatementFile

__all__ = ["BankStatementFiles", "BankStatementOptions", "StatementFile"]
