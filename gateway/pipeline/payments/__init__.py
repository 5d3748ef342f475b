"""Payments the debtor made past the agency, seen outside the ERP's open items: bank
statements (camt.053/054) matched to handed-over items and applied as direct payments."""

from gateway.pipeline.payments.bank_statements import StatementResult, receive_statements

__all__ = ["StatementResult", "receive_statements"]
