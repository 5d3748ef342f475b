"""Delivering the waiting e-mails over SMTP: each is marked sent once the server accepted it; a
failure is kept on the message (attempts, error without secrets) and tried again next run."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.config.notifications import SmtpConfig
from gateway.logs import redact_text
from gateway.storage.models import NotificationRow

__all__ = ["MAX_ATTEMPTS", "Sent", "send_waiting"]

MAX_ATTEMPTS = 10
BATCH = 200


@dataclass(slots=True)
class Sent:
    sent: int = 0
    failed: int = 0
    error: str = ""


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    timeout = config.timeout.total_seconds()
    smtp: smtplib.SMTP
    if config.security == "tls":
        smtp = smtplib.SMTP_SSL(
            config.host, config.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
    if config.security == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    if config.username:
        smtp.login(config.username, config.password.get_secret_value() if config.password else "")
    return smtp


def send_waiting(session: Session, config: SmtpConfig, now: datetime) -> Sent:
    """Send up to BATCH waiting messages, oldest first, over one connection."""
    waiting = list(
        session.scalars(
            select(NotificationRow)
            .where(NotificationRow.sent_at.is_(None), NotificationRow.attempts < MAX_ATTEMPTS)
            .order_by(NotificationRow.id)
            .limit(BATCH)
        )
    )
    result = Sent()
    if not waiting:
        return result
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        message = redact_text(
            f"e-mail via {config.host}:{config.port}: {type(exc).__name__}: {exc}"
        )
        for row in waiting:
            row.attempts += 1
            row.error = message[:2000]
        result.failed, result.error = len(waiting), message
        return result
    with smtp:
        for row in waiting:
            email = EmailMessage()
            email["Subject"] = row.subject
            email["From"] = config.sender
            email["To"] = row.recipient
            email["Content-Language"] = row.language
            email.set_content(row.body)
            try:
                smtp.send_message(email)
            except (OSError, smtplib.SMTPException) as exc:
                row.attempts += 1
                row.error = redact_text(f"{type(exc).__name__}: {exc}")[:2000]
                result.failed += 1
                result.error = row.error
                continue
            row.attempts += 1
            row.sent_at, row.error = now, ""
            result.sent += 1
    return result
