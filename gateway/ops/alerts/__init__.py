"""Alerts: conditions read from the store, notified once when they start and once when they
clear (webhook, e-mail)."""

from gateway.ops.alerts.monitor import AlertMonitor, CheckResult
from gateway.ops.alerts.notifiers import Notice, NoticeFailed, Notifier

__all__ = ["AlertMonitor", "CheckResult", "Notice", "NoticeFailed", "Notifier"]
