"""The canonical model and the case state machine. Pure: no I/O, no framework."""

from gateway.domain.actions import (
    ActionKind,
    CaseContext,
    WriteBackAction,
    WriteBackRules,
    actions_for,
    allocate,
)
from gateway.domain.cases import AT_AGENCY, TERMINAL, CaseAmounts, CaseState, CaseStatus
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.items import Debtor, DebtorKind, ItemKey, OpenItem
from gateway.domain.money import CurrencyError, Money, currency_digits, is_known_currency
from gateway.domain.state_machine import event_order, fold

__all__ = [
    "AT_AGENCY",
    "TERMINAL",
    "ActionKind",
    "CaseAmounts",
    "CaseContext",
    "CaseEvent",
    "CaseState",
    "CaseStatus",
    "CurrencyError",
    "Debtor",
    "DebtorKind",
    "EventKind",
    "EventOrigin",
    "ItemKey",
    "Money",
    "OpenItem",
    "WriteBackAction",
    "WriteBackRules",
    "actions_for",
    "allocate",
    "currency_digits",
    "event_order",
    "fold",
    "is_known_currency",
]
