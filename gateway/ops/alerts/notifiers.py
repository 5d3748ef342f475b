"""Where alert notices go: a webhook (JSON POST) and e-mail (SMTP).

A notice says that a condition started (`firing`) or cleared (`resolved`). Sending raises
`NoticeFailed` with a message free of secrets; the caller retries later.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

import httpx

from gateway import __version__
from gateway.config.operations import AlertsConfig, EmailAlertConfig, WebhookAlertConfig
from gateway.logs import redact_text

__all__ = ["EmailNotifier", "Notice", "NoticeFailed", "Notifier", "WebhookNotifier", "notifiers"]


@dataclass(frozen=True, slots=True)
class Notice:
    key: str
    kind: str
    status: str  # firing | resolved
    summary: str
    since: datetime

    @property
    def title(self) -> str:
        return f"[claimbridge] {self.status.upper()}: {self.summary}"[:200]

    def as_json(self) -> dict[str, str]:
        return {
            "source": "claimbridge",
            "key": self.key,
            "kind": self.kind,
            "status": self.status,
            "summary": self.summary,
            "since": self.since.isoformat(),
        }


class NoticeFailed(Exception):
    """A notice could not be sent (the message names the channel and the reason)."""


class Notifier(Protocol):
    channel: str

    def send(self, notice: Notice) -> None: ...


class WebhookNotifier:
    """POSTs the notice as JSON; any 2xx answer is success."""

    channel = "webhook"

    def __init__(self, config: WebhookAlertConfig) -> None:
        self.config = config

    def send(self, notice: Notice) -> None:
        headers = {"User-Agent": f"claimbridge/{__version__}"}
        if self.config.token is not None:
            headers["Authorization"] = f"Bearer {self.config.token.get_secret_value()}"
        try:
            response = httpx.post(
                self.config.url,
                json=notice.as_json(),
                headers=headers,
                timeout=self.config.timeout.total_seconds(),
            )
        except httpx.HTTPError as exc:
            raise NoticeFailed(
                redact_text(f"webhook {self.config.url}: {type(exc).__name__}: {exc}")
            ) from None
        if not response.is_success:
            raise NoticeFailed(
                redact_text(f"webhook {self.config.url} answered {response.status_code}")
            )


class EmailNotifier:
    """Sends the notice as a plain-text e-mail through SMTP (STARTTLS, TLS or plain)."""

    channel = "email"

    def __init__(self, config: EmailAlertConfig) -> None:
        self.config = config

    def message(self, notice: Notice) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = notice.title
        message["From"] = self.config.sender
        message["To"] = ", ".join(self.config.recipients)
        message.set_content(
            f"{notice.summary}\n\n"
            f"status: {notice.status} since {notice.since:%Y-%m-%d %H:%M:%S} UTC\n"
            f"condition: {notice.key}\n\n"
            "claimbridge sends one message when a condition starts and one when it clears.\n"
        )
        return message

    def send(self, notice: Notice) -> None:
        config = self.config
        timeout = config.timeout.total_seconds()
        try:
            smtp: smtplib.SMTP
            if config.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
            with smtp:
                if config.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if config.username:
                    password = config.password.get_secret_value() if config.password else ""
                    smtp.login(config.username, password)
                smtp.send_message(self.message(notice))
        except (OSError, smtplib.SMTPException) as exc:
            raise NoticeFailed(
                redact_text(f"e-mail via {config.host}:{config.port}: {type(exc).__name__}: {exc}")
            ) from None


def notifiers(config: AlertsConfig) -> list[Notifier]:
    """The channels the configuration names."""
    found: list[Notifier] = []
    if config.webhook is not None:
        found.append(WebhookNotifier(config.webhook))
    if config.email is not None:
        found.append(EmailNotifier(config.email))
    return found
