"""The tables. Each area has its own module; importing this package registers them all."""

from gateway.storage.models.agency_api import (
    AgencyApiKeyRow,
    AgencyCaseAckRow,
    AgencyDocumentRow,
    AgencyNoticeAckRow,
    IdempotencyKeyRow,
)
from gateway.storage.models.bank_payments import BankPaymentRow
from gateway.storage.models.base import Base, UtcDateTime, metadata, utcnow
from gateway.storage.models.cases import CaseEventRow, CaseItemRow, CaseRow, HandoverBatchRow
from gateway.storage.models.items import DebtorRow, OpenItemRow, extraction_seen
from gateway.storage.models.kpi import (
    CreditSalesRow,
    DebtorAgeingRow,
    DebtorScoreRow,
    KpiSnapshotRow,
    KpiSnapshotTotalRow,
)
from gateway.storage.models.notifications import (
    NotificationMarkRow,
    NotificationPreferenceRow,
    NotificationRow,
)
from gateway.storage.models.ops import AlertStateRow, JobLeaseRow, JobRunRow, ProcessPresenceRow
from gateway.storage.models.outbox import OutboxBatchRow, OutboxMessageRow
from gateway.storage.models.policies import CaseApprovalRow, PolicyVersionRow, SelectionRunRow
from gateway.storage.models.transfers import (
    QuarantinedRecordRow,
    ReceivedFileRow,
    SnapshotHoldRow,
    TransferRow,
)
from gateway.storage.models.users import AuthFailureRow, UserRow, UserTokenRow, WebSessionRow

__all__ = [
    "AgencyApiKeyRow",
    "AgencyCaseAckRow",
    "AgencyDocumentRow",
    "AgencyNoticeAckRow",
    "AlertStateRow",
    "AuthFailureRow",
    "BankPaymentRow",
    "Base",
    "CaseApprovalRow",
    "CaseEventRow",
    "CaseItemRow",
    "CaseRow",
    "CreditSalesRow",
    "DebtorAgeingRow",
    "DebtorRow",
    "DebtorScoreRow",
    "HandoverBatchRow",
    "IdempotencyKeyRow",
    "JobLeaseRow",
    "JobRunRow",
    "KpiSnapshotRow",
    "KpiSnapshotTotalRow",
    "NotificationMarkRow",
    "NotificationPreferenceRow",
    "NotificationRow",
    "OpenItemRow",
    "OutboxBatchRow",
    "OutboxMessageRow",
    "PolicyVersionRow",
    "ProcessPresenceRow",
    "QuarantinedRecordRow",
    "ReceivedFileRow",
    "SelectionRunRow",
    "SnapshotHoldRow",
    "TransferRow",
    "UserRow",
    "UserTokenRow",
    "UtcDateTime",
    "WebSessionRow",
    "extraction_seen",
    "metadata",
    "utcnow",
]
