"""Direct payments: what the debtor paid the creditor, not the agency, on an item of a case the
agency works, seen by an extraction (an item cleared or reduced) or in a bank statement
(camt.053/054), recorded under the same rules."""

from gateway.pipeline.payments.bank_statements import StatementResult, receive_statements
from gateway.pipeline.payments.direct_payments import DirectPayments

__all__ = ["DirectPayments", "StatementResult", "receive_statements"]
